import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_KEPT_RECORDS, RecordRepublisher } from '../../src/network/record-republisher.ts';

const RELAY_A = '12D3KooWA1relayAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const RELAY_B = '12D3KooWB1relayBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

/** A node whose own addresses (circuits through relays) the test sets. */
class FakeNode extends EventTarget {
  addrs: string[] = [];
  getMultiaddrs() {
    return this.addrs.map((a) => multiaddr(a));
  }
  reserveOn(...relays: string[]) {
    this.addrs = relays.map((r) => `/ip4/127.0.0.1/tcp/4003/ws/p2p/${r}/p2p-circuit`);
    this.dispatchEvent(new CustomEvent('self:peer:update'));
  }
}

function setup() {
  const node = new FakeNode();
  const puts: { id: string; payload: string; expiresAt: number }[] = [];
  const put = vi.fn(async (id: string, payload: Uint8Array, expiresAt: number) => {
    puts.push({ id, payload: new TextDecoder().decode(payload), expiresAt });
  });
  const republisher = new RecordRepublisher(node as never, put, { intervalMs: 60_000 });
  return { node, puts, put, republisher };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('RecordRepublisher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('puts a record again, its latest copy only, once the node’s relays change', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { node, puts, republisher } = setup();
    node.reserveOn(RELAY_A, RELAY_B);
    republisher.start();
    await republisher.publish('m/1', bytes('first'), 2_000_000);
    await republisher.publish('m/1', bytes('second'), 2_000_000);
    expect(puts.map((p) => p.payload)).toEqual(['first', 'second']);

    // The same relays announced again: nothing to do.
    node.reserveOn(RELAY_B, RELAY_A);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(puts).toHaveLength(2);

    // Relay B went away: the latest copy goes out again once the change settles.
    node.reserveOn(RELAY_A);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(puts.map((p) => p.payload)).toEqual(['first', 'second', 'second']);
    republisher.stop();
  });

  it('republishes on its interval and lets expired records go', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { puts, republisher } = setup();
    republisher.start();
    await republisher.publish('m/short', bytes('short'), 1_000_000 + 30_000);
    await republisher.publish('m/long', bytes('long'), 1_000_000 + 3_600_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(puts.map((p) => p.id)).toEqual(['m/short', 'm/long', 'm/long']);
    expect(republisher.size).toBe(1);
    republisher.stop();
  });

  it('never lets an older copy land after a newer one', async () => {
    const node = new FakeNode();
    const landed: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((done) => (releaseFirst = done));
    const put = async (_id: string, payload: Uint8Array) => {
      const text = new TextDecoder().decode(payload);
      if (text === 'old') await firstHeld; // a slow DHT put
      landed.push(text);
    };
    const republisher = new RecordRepublisher(node as never, put);
    const old = republisher.publish('m/1', bytes('old'), Date.now() + 60_000);
    const newer = republisher.publish('m/1', bytes('new'), Date.now() + 60_000);
    const again = republisher.republish();
    releaseFirst();
    await Promise.all([old, newer, again]);
    expect(landed).toEqual(['old', 'new', 'new']);
  });

  it('keeps at most MAX_KEPT_RECORDS, letting the oldest go', async () => {
    const { republisher } = setup();
    for (let i = 0; i <= MAX_KEPT_RECORDS; i++)
      await republisher.publish(`m/${i}`, bytes('x'), Date.now() + 60_000);
    expect(republisher.size).toBe(MAX_KEPT_RECORDS);
  });

  it('reports a failed put to the writer, and a failed republish to nobody', async () => {
    const node = new FakeNode();
    const put = vi.fn().mockRejectedValue(new Error('no relay'));
    const republisher = new RecordRepublisher(node as never, put);
    await expect(republisher.publish('m/1', bytes('x'), Date.now() + 60_000)).rejects.toThrow(
      'no relay',
    );
    await expect(republisher.republish()).resolves.toBeUndefined();
    expect(put).toHaveBeenCalledTimes(2);
  });
});
