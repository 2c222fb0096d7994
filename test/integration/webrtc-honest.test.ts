import type { Connection } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { lpStream } from '@libp2p/utils';
import { RTCPeerConnection as NodePeerConnection } from 'node-datachannel/polyfill';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type PeerNode,
  createPeerNode,
  dialWithRetry,
  waitForWebRtcAddress,
} from '../../src/network/peer-node.ts';
import { iceConnected, peerConnectionOf, selectedRoute } from '../../src/network/webrtc-state.ts';
import { NetworkHost, describeConnection } from '../../src/offscreen/network-host.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';

// @libp2p/webrtc's signalling protocol: protobuf `Message { type = 1 (enum); data = 2 }`.
const SIGNALING_PROTOCOL = '/webrtc-signaling/0.0.1';
const SDP_OFFER = 0;
const SDP_ANSWER = 1;

function signallingMessage(type: number, data: string): Uint8Array {
  const text = new TextEncoder().encode(data);
  const length: number[] = [];
  for (let n = text.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  return Uint8Array.from([0x08, type, 0x12, ...length, ...text]);
}

// Real libp2p nodes (node-datachannel WebRTC) on loopback, through a real relay.
describe('WebRTC links are reported as direct only when ICE connected', () => {
  let relay: RunningRelay | undefined;
  const nodes: PeerNode[] = [];
  const hosts: NetworkHost[] = [];

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    await relay?.stop();
    relay = undefined;
  });

  it('learns the STUN service of every relay it joins, with no third-party default', async () => {
    relay = await startLocalRelay();
    const host = new NetworkHost();
    hosts.push(host);
    const status = await host.start(relay.multiaddrs);
    // The relay is on 127.0.0.1: the STUN address is the host we reached it at, with its port.
    expect(status.iceServers).toEqual([relay.stunUrl]);
    expect(relay.stunUrl).toMatch(/^stun:127\.0\.0\.1:\d+$/);

    // The user's servers come after the relay's and apply to the running node.
    const withUser = await host.start(relay.multiaddrs, [
      { urls: 'turn:turn.example.org:3478', username: 'u', credential: 'p' },
    ]);
    expect(withUser.iceServers).toEqual([relay.stunUrl, 'turn:turn.example.org:3478']);
  });

  it('a relay without STUN adds nothing (no Google or other default STUN server)', async () => {
    relay = await startLocalRelay({ stunPort: undefined });
    const node = await createPeerNode({ relays: relay.multiaddrs });
    nodes.push(node);
    expect(node.ice.servers()).toEqual([]);
    expect(node.ice.rtcConfiguration().iceServers).toEqual([]);
  });

  it('a working link is direct on both sides, with the selected candidate pair from getStats', async () => {
    relay = await startLocalRelay();
    const [alice, bob] = await Promise.all([
      createPeerNode({ relays: relay.multiaddrs }),
      createPeerNode({ relays: relay.multiaddrs }),
    ]);
    nodes.push(alice, bob);
    const bobAddr = await waitForWebRtcAddress(bob);
    const connection = await dialWithRetry(alice, multiaddr(bobAddr), AbortSignal.timeout(30_000));
    const info = await describeConnection(connection);
    expect(info).toMatchObject({ kind: 'webrtc', limited: false, direct: true });
    expect(info.ice === 'connected' || info.ice === 'completed').toBe(true);
    // Both sides met on the relay's STUN answer (loopback has no host candidates).
    expect(info.route?.local).toMatch(/^(srflx|prflx|host)$/);
    const seenByBob = await until(async () => {
      for (const c of bob.getConnections(alice.peerId)) {
        const described = await describeConnection(c);
        if (described.kind === 'webrtc') return described;
      }
      return undefined;
    }, 15_000);
    expect(seenByBob.direct).toBe(true);
  });

  it('a dialler that walks away mid-signalling leaves the answerer no phantom connection', async () => {
    relay = await startLocalRelay();
    const [alice, bob] = await Promise.all([
      createPeerNode({ relays: relay.multiaddrs }),
      createPeerNode({ relays: relay.multiaddrs }),
    ]);
    nodes.push(alice, bob);
    await waitForWebRtcAddress(bob);
    const opened: Connection[] = [];
    bob.addEventListener('connection:open', (event) => {
      if (event.detail.remoteAddr.toString().includes('/webrtc')) opened.push(event.detail);
    });
    // Alice offers through the relay, reads Bob's answer, sends no ICE candidate and closes the
    // signalling stream, as a dialler does when its dial times out: ICE can never connect.
    const circuit = await alice.dial(
      multiaddr(`${relay.multiaddrs[0]}/p2p-circuit/p2p/${bob.peerId.toString()}`),
    );
    const stream = await circuit.newStream(SIGNALING_PROTOCOL, { runOnLimitedConnection: true });
    const signalling = lpStream(stream);
    const offerer = new NodePeerConnection();
    offerer.createDataChannel('init');
    const offer = await offerer.createOffer();
    await signalling.write(signallingMessage(SDP_OFFER, offer.sdp ?? ''));
    const answer = await signalling.read({ signal: AbortSignal.timeout(10_000) });
    expect(answer.subarray()[1]).toBe(SDP_ANSWER);
    await stream.close();
    offerer.close();
    // Upstream's answerer took the end of signalling for success and listed a direct, unlimited
    // `/webrtc` connection while ICE was still checking; it lived on for 13–28 s.
    await new Promise((done) => setTimeout(done, 3_000));
    const live = await Promise.all(
      opened.filter((c) => c.status === 'open').map((c) => describeConnection(c)),
    );
    expect(live).toEqual([]);
    expect(opened.map((c) => c.remoteAddr.toString())).toEqual([]);
  });

  it('reads ICE state from the peer connection, not from the address', async () => {
    relay = await startLocalRelay();
    const [alice, bob] = await Promise.all([
      createPeerNode({ relays: relay.multiaddrs }),
      createPeerNode({ relays: relay.multiaddrs }),
    ]);
    nodes.push(alice, bob);
    const connection = await dialWithRetry(
      alice,
      multiaddr(await waitForWebRtcAddress(bob)),
      AbortSignal.timeout(30_000),
    );
    const pc = peerConnectionOf(connection);
    expect(pc).toBeDefined();
    expect(iceConnected(pc as RTCPeerConnection)).toBe(true);
    expect(await selectedRoute(pc as RTCPeerConnection)).toBeDefined();
    // Once the peer connection closes, the same connection is no longer direct.
    pc?.close();
    const after = await describeConnection(connection);
    expect(after.direct).toBe(false);
  });
});
