import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lpStream } from '@libp2p/utils';
import {
  DIRECT_PROTOCOL,
  DirectSendError,
  LEGACY_DIRECT_PROTOCOL,
  Libp2pMessaging,
  MAX_MESSAGE_BYTES,
} from '../../src/network/libp2p-messaging.ts';
import { peerScore } from '../../src/network/gossip-scoring.ts';
import { createPeerNode, type PeerNode } from '../../src/network/peer-node.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';

const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);

describe('Libp2pMessaging over a relay and real nodes', () => {
  let relay: RunningRelay;
  let nodes: PeerNode[];
  let net: Libp2pMessaging[];

  beforeAll(async () => {
    relay = await startLocalRelay();
    nodes = await Promise.all([0, 1, 2].map(() => createPeerNode(memberOptions(relay))));
    net = nodes.map((node) => new Libp2pMessaging(node));
    await Promise.all(net.map((m) => m.start()));
  });

  afterAll(async () => {
    await Promise.all(net.map((m) => m.stop()));
    await Promise.all(nodes.map((n) => n.stop()));
    await relay.stop();
  });

  it('delivers gossip with the authoring peer id, and drops what the validator rejects', async () => {
    const [a, b, c] = net as [Libp2pMessaging, Libp2pMessaging, Libp2pMessaging];
    const topic = 'petal/test/validated';
    const seenByC: [string, string][] = [];
    const onlyGood = (_from: string, data: Uint8Array) => !read(data).startsWith('bad');
    a.subscribe(topic, () => {}, onlyGood);
    b.subscribe(topic, () => {}, onlyGood);
    c.subscribe(topic, (from, data) => void seenByC.push([from, read(data)]), onlyGood);
    // Meshes form over a few heartbeats; keep publishing until C is reachable.
    await until(async () => {
      await a.publish(topic, text('warm-up'));
      return seenByC.length > 0 ? true : undefined;
    });
    await a.publish(topic, text('bad: tampered'));
    await a.publish(topic, text('good: proposal'));
    await until(() => (seenByC.some(([, m]) => m === 'good: proposal') ? true : undefined));
    expect(seenByC.every(([from]) => from === a.peerId)).toBe(true);
    expect(seenByC.map(([, m]) => m)).not.toContain('bad: tampered');
  });

  it('delivers a direct message, acknowledged, with the Noise-authenticated sender', async () => {
    const [a, b] = net as [Libp2pMessaging, Libp2pMessaging];
    const received = new Promise<[string, string]>((done) =>
      b.onDirect((from, data) => done([from, read(data)])),
    );
    await a.send(b.peerId, text('nonce round'));
    expect(await received).toEqual([a.peerId, 'nonce round']);
    // It went out at once over the relay, and the pair moves to direct WebRTC negotiated through
    // it; later messages take the direct link.
    await until(() =>
      (nodes[0]?.getConnections(nodes[1]?.peerId) ?? []).some(
        (c) => c.remoteAddr.toString().includes('/webrtc') && c.limits === undefined,
      ),
    );
    const second = new Promise<string>((done) => b.onDirect((_from, data) => done(read(data))));
    await a.send(b.peerId, text('partial signatures'));
    expect(await second).toBe('partial signatures');
  });

  it('drops frames the protocol refuses without costing the relay that forwarded them', async () => {
    const [a, b] = net as [Libp2pMessaging, Libp2pMessaging];
    const topic = 'petal/test/scored';
    const onlyGood = (_from: string, data: Uint8Array) => !read(data).startsWith('bad');
    const seenByB: string[] = [];
    a.subscribe(topic, () => {}, onlyGood);
    b.subscribe(topic, (_from, data) => void seenByB.push(read(data)), onlyGood);
    await until(async () => {
      await a.publish(topic, text('warm-up'));
      return seenByB.length > 0 ? true : undefined;
    });
    const pubsubB = nodes[1]!.services.pubsub;
    for (let i = 0; i < 10; i++) await a.publish(topic, text(`bad: forged ${i}`));
    await a.publish(topic, text('good: after'));
    await until(() => (seenByB.includes('good: after') ? true : undefined));
    expect(seenByB.some((m) => m.startsWith('bad'))).toBe(false);
    // Scoring is on, and the relay that carried the forgeries keeps a clean score.
    expect(peerScore(pubsubB, relay.peerId)).toBeGreaterThanOrEqual(0);
  });

  it('keeps one stream per peer: frames arrive in order, and a dead link is reopened', async () => {
    const [a, , c] = net as [Libp2pMessaging, Libp2pMessaging, Libp2pMessaging];
    const got: string[] = [];
    c.onDirect((_from, data) => void got.push(read(data)));
    // The upgrade to a direct connection runs in the background, and a send starts it again if
    // an attempt failed: keep sending, and give it time on a busy machine.
    const UPGRADE_MS = 45_000;
    await until(
      async () => {
        await a.send(c.peerId, text('open'));
        return (nodes[0]?.getConnections(nodes[2]?.peerId) ?? []).some((conn) => !conn.limits);
      },
      UPGRADE_MS,
      250,
    );
    // The relayed channel carries on until a channel on the direct link has opened beside it,
    // then retires: one kept stream, on the direct connection.
    const directStreams = () =>
      (nodes[0]?.getConnections(nodes[2]?.peerId) ?? []).flatMap((conn) =>
        conn.streams
          .filter((st) => st.protocol === DIRECT_PROTOCOL && st.direction === 'outbound')
          .map(() => (conn.limits ? 'relayed' : 'direct')),
      );
    await a.send(c.peerId, text('move to the direct link'));
    await until(async () => {
      await a.send(c.peerId, text('still there?'));
      return directStreams().join() === 'direct';
    }, UPGRADE_MS);
    // 100 concurrent sends share the kept stream and are acknowledged in order.
    await Promise.all(Array.from({ length: 100 }, (_, i) => a.send(c.peerId, text(`frame ${i}`))));
    expect(got.slice(-100)).toEqual(Array.from({ length: 100 }, (_, i) => `frame ${i}`));
    expect(directStreams()).toEqual(['direct']);
    // Every connection to c dies.
    const channels = a.openChannels; // c's, and those of peers earlier tests sent to
    await Promise.all(
      (nodes[0]?.getConnections(nodes[2]?.peerId) ?? []).map((conn) => conn.close()),
    );
    // The dead channel is forgotten (no memory held for peers gone for good) ...
    await until(() => a.openChannels === channels - 1);
    // ... and the next send opens a new connection and stream by itself.
    await a.send(c.peerId, text('after the link died'));
    expect(got.at(-1)).toBe('after the link died');
    expect(a.openChannels).toBe(channels);
  });

  it('serves a peer that opens one stream per frame', async () => {
    const [a, b] = net as [Libp2pMessaging, Libp2pMessaging];
    const got: string[] = [];
    b.onDirect((_from, data) => void got.push(read(data)));
    const connection = await nodes[0]!.dial(nodes[1]!.peerId);
    for (const word of ['one', 'two']) {
      const stream = await connection.newStream(DIRECT_PROTOCOL, { runOnLimitedConnection: true });
      const lp = lpStream(stream);
      await lp.write(text(word));
      expect((await lp.read()).subarray()).toEqual(Uint8Array.of(1));
      await stream.close();
    }
    await until(() => (got.length === 2 ? true : undefined));
    expect(got).toEqual(['one', 'two']);
    expect(a.peerId).not.toBe(b.peerId);
  });

  it('hears a protocol 1 peer on its old stream, so the service can tell it to update', async () => {
    const [a, b] = net as [Libp2pMessaging, Libp2pMessaging];
    expect(DIRECT_PROTOCOL).toBe('/petal/musig2/2.0.0/direct');
    const got: [string, string][] = [];
    b.onDirect((from, data) => void got.push([from, read(data)]));
    await a.send(b.peerId, text('a protocol 2 frame')); // finds the route to b
    const connection = await nodes[0]!.dial(nodes[1]!.peerId);
    // What a version 1 node does: its own stream protocol, one length-prefixed frame, an ack.
    const stream = await connection.newStream(LEGACY_DIRECT_PROTOCOL, {
      runOnLimitedConnection: true,
    });
    const lp = lpStream(stream);
    await lp.write(text('a protocol 1 frame'));
    expect((await lp.read()).subarray()).toEqual(Uint8Array.of(1));
    await stream.close();
    await until(() => (got.length === 2 ? true : undefined));
    expect(got).toEqual([
      [a.peerId, 'a protocol 2 frame'],
      [a.peerId, 'a protocol 1 frame'],
    ]);
  });

  it('refuses to send an oversized message', async () => {
    const [a, b] = net as [Libp2pMessaging, Libp2pMessaging];
    await expect(a.send(b.peerId, new Uint8Array(MAX_MESSAGE_BYTES + 1))).rejects.toBeInstanceOf(
      DirectSendError,
    );
  });

  it('stores and reads back a record for late-comers', async () => {
    const [a, , c] = net as [Libp2pMessaging, Libp2pMessaging, Libp2pMessaging];
    const payload = await until(async () => {
      await a.putRecord('sessions/vault-x', text('sealed index'), Date.now() + 60_000);
      return c.getRecord('sessions/vault-x');
    });
    expect(read(payload)).toBe('sealed index');
    expect(await c.getRecord('sessions/nothing-here')).toBeUndefined();
  });
});
