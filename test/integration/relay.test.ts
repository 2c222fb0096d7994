import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PeerNode,
  createPeerNode,
  dialWithRetry,
  waitForWebRtcAddress,
} from '../../src/network/peer-node.ts';
import { decodeRecord, encodeRecord, recordKey } from '../../src/network/dht-records.ts';
import { type RunningRelay, startRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { multiaddr } from '@multiformats/multiaddr';
import { until } from '../support/until.ts';

const encoder = new TextEncoder();

describe('relay with real libp2p peers on loopback', () => {
  let relay: RunningRelay;
  let alice: PeerNode;
  let bob: PeerNode;

  beforeAll(async () => {
    relay = await startLocalRelay({ healthPort: 0 });
    [alice, bob] = await Promise.all([
      createPeerNode(memberOptions(relay)),
      createPeerNode(memberOptions(relay)),
    ]);
  });

  afterAll(async () => {
    await Promise.all([alice?.stop(), bob?.stop()]);
    await relay?.stop();
  });

  it('serves /health with its peer id and connection count', async () => {
    const res = await fetch(relay.healthUrl as string);
    const body = (await res.json()) as { status: string; peerId: string; connections: number };
    expect(body).toMatchObject({ status: 'ok', peerId: relay.peerId });
    expect(body.connections).toBeGreaterThanOrEqual(2);
    expect((await fetch(relay.healthUrl!.replace('/health', '/nope'))).status).toBe(404);
  });

  it('relays gossip between two members subscribed to the same topic', async () => {
    const topic = 'petal/test/gossip';
    alice.services.pubsub.subscribe(topic);
    bob.services.pubsub.subscribe(topic);
    const received = new Promise<string>((done) =>
      bob.services.pubsub.addEventListener('message', (evt) => {
        if (evt.detail.topic === topic) done(new TextDecoder().decode(evt.detail.data));
      }),
    );
    await until(() => alice.services.pubsub.getSubscribers(topic).length > 0 || undefined);
    await until(async () => {
      const result = await alice.services.pubsub.publish(topic, encoder.encode('hello bob'));
      return result.recipients.length > 0 || undefined;
    });
    expect(await received).toBe('hello bob');
  });

  it('stores and returns /petal/ records in its DHT, and refuses expired ones', async () => {
    const key = recordKey('session-index/abc');
    const value = encodeRecord({
      expiresAt: Date.now() + 60_000,
      payload: encoder.encode('sealed'),
    });
    // Right after dialling, the DHT may not have the relay in its routing table yet: retry.
    const found = await until(async () => {
      for await (const _ of alice.services.dht.put(key, value)) {
        // drain the query
      }
      try {
        for await (const event of bob.services.dht.get(key)) {
          if (event.name === 'VALUE') return event.value;
        }
      } catch {
        // not found yet
      }
      return undefined;
    });
    expect(found && new TextDecoder().decode(decodeRecord(found).payload)).toBe('sealed');

    // The relay's validator refuses an expired record, so nobody can fetch it afterwards.
    const expired = encodeRecord({ expiresAt: Date.now() - 1, payload: encoder.encode('old') });
    try {
      for await (const _ of alice.services.dht.put(recordKey('stale'), expired)) {
        // drain
      }
    } catch {
      // a put that every server refused may end in an error; what matters is the lookup below
    }
    const stale: Uint8Array[] = [];
    try {
      for await (const event of bob.services.dht.get(recordKey('stale'))) {
        if (event.name === 'VALUE') stale.push(event.value);
      }
    } catch {
      // NotFoundError: the record is not stored anywhere
    }
    expect(stale).toEqual([]);
  });

  it('lets two peers upgrade from the relayed circuit to a direct WebRTC connection', async () => {
    const bobAddr = await waitForWebRtcAddress(bob);
    await waitForWebRtcAddress(alice);
    const connection = await dialWithRetry(alice, multiaddr(bobAddr));
    expect(connection.remotePeer.equals(bob.peerId)).toBe(true);
    expect(connection.remoteAddr.toString()).toContain('/webrtc');
    expect(connection.limits).toBeUndefined();
  });
});

describe('relay restarts', () => {
  it('members reconnect to a restarted relay by themselves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'petal-relay-restart-'));
    const keyFile = join(dir, 'key');
    const first = await startRelay({ host: '127.0.0.1', port: 0, keyFile });
    const port = Number(first.multiaddrs[0]?.split('/tcp/')[1]?.split('/')[0]);
    const member = await createPeerNode({ relays: first.multiaddrs });
    try {
      await first.stop();
      await until(() => (member.getConnections().length === 0 ? true : undefined));
      const second = await startRelay({ host: '127.0.0.1', port, keyFile });
      try {
        expect(second.peerId).toBe(first.peerId);
        await until(
          () => (member.getConnections(second.node.peerId).length > 0 ? true : undefined),
          20_000,
        );
      } finally {
        await second.stop();
      }
    } finally {
      await member.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('relay command line', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'petal-relay-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function runRelay(
    keyName = 'key',
    args: string[] = [],
  ): Promise<{
    info: { peerId: string; health: string; multiaddrs: string[] };
    stop(): Promise<number | null>;
  }> {
    const child = spawn(
      process.execPath,
      [resolve('src/relay/main.ts'), '--port', '0', '--key-file', join(dir, keyName), ...args],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((done, fail) => {
      createInterface({ input: child.stdout }).once('line', done);
      child.once('exit', (code) => fail(new Error(`relay exited early with ${code}`)));
    });
    return {
      info: JSON.parse(line),
      stop: () =>
        new Promise((done) => {
          child.once('exit', (code) => done(code));
          child.kill('SIGTERM');
        }),
    };
  }

  it('keeps its peer id across restarts and exits 0 on SIGTERM', async () => {
    const first = await runRelay();
    expect((await fetch(first.info.health)).status).toBe(200);
    expect(await first.stop()).toBe(0);
    const second = await runRelay();
    expect(second.info.peerId).toBe(first.info.peerId);
    expect(await second.stop()).toBe(0);
  });

  it('joins the relay named by --bootstrap, and says so in /health', async () => {
    const first = await runRelay('first', ['--standalone']);
    const second = await runRelay('second', ['--bootstrap', first.info.multiaddrs[0] as string]);
    try {
      const health = async (url: string) =>
        ((await (await fetch(url)).json()) as { relays: number }).relays;
      await until(async () => (await health(second.info.health)) === 1 || undefined, 20_000);
      await until(async () => (await health(first.info.health)) === 1 || undefined, 20_000);
    } finally {
      expect(await second.stop()).toBe(0);
      expect(await first.stop()).toBe(0);
    }
  });

  it('refuses a bootstrap address without a peer id, with exit code 2', async () => {
    const child = spawn(
      process.execPath,
      [resolve('src/relay/main.ts'), '--port', '0', '--bootstrap', '/ip4/127.0.0.1/tcp/1/ws'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code).toBe(2);
    expect(stderr).toContain('--bootstrap');
  });
});
