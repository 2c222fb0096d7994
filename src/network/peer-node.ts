import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { PETAL_SCORE_PARAMS, PETAL_SCORE_THRESHOLDS } from './gossip-scoring.ts';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { Connection, PrivateKey } from '@libp2p/interface';
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht';
import { noise } from '@libp2p/noise';
import { ping } from '@libp2p/ping';
import { webRTC } from '@libp2p/webrtc';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { peerIdFromString } from '@libp2p/peer-id';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { Redialer } from './redialer.ts';
import { DHT_PROTOCOL, RECORD_NAMESPACE, selectRecord, validateRecord } from './dht-records.ts';

export interface PeerNodeOptions {
  /** Relay multiaddrs (with /p2p/<id>) to reserve a slot on; they double as bootstrap peers. */
  relays: string[];
  privateKey?: PrivateKey;
  /** Browsers keep this modest; session peers are protected by tags, not by a high limit. */
  maxConnections?: number;
  /**
   * STUN URLs, normally served by the relays themselves (`stun:` from `petal-relay`): they give
   * a peer a server-reflexive address behind NAT, or on a loopback-only machine where WebRTC
   * gathers no host candidates at all.
   */
  iceServers?: string[];
}

/**
 * A Petal member's node (extension offscreen document, Firefox background page, headless
 * cosigner): dials relays over WebSockets, reserves a circuit slot so others can reach it, and
 * accepts direct WebRTC connections negotiated through that circuit. STUN comes only from the
 * caller's own relays: a public STUN server would learn who talks to whom.
 */
export async function createPeerNode(options: PeerNodeOptions) {
  const node = await createLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC({
        rtcConfiguration: { iceServers: (options.iceServers ?? []).map((urls) => ({ urls })) },
      }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: {
      maxConnections: options.maxConnections ?? 64,
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        scoreParams: PETAL_SCORE_PARAMS,
        scoreThresholds: PETAL_SCORE_THRESHOLDS,
      }),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: true,
        peerInfoMapper: passthroughMapper,
        validators: { [RECORD_NAMESPACE]: (key, value) => validateRecord(key, value) },
        selectors: { [RECORD_NAMESPACE]: selectRecord },
      }),
    },
  });
  await node.start();
  const redialer = new Redialer(node);
  node.addEventListener('stop', () => redialer.stop());
  await Promise.all(
    options.relays.map(async (addr) => {
      const relay = multiaddr(addr);
      const relayPeer = relay.getComponents().findLast((c) => c.name === 'p2p')?.value;
      if (relayPeer) {
        // A relay restart or a network blip heals itself: the redialer brings the link back,
        // and the tag keeps relays clear of connection pruning.
        const peer = peerIdFromString(relayPeer);
        await node.peerStore.merge(peer, { tags: { 'petal-relay': { value: 50 } } });
        redialer.watch('relay', peer, [relay]);
      }
      await node.dial(relay);
    }),
  );
  return Object.assign(node, { redialer });
}

export type PeerNode = Awaited<ReturnType<typeof createPeerNode>>;

/** Resolves once the node has a circuit reservation and a `/webrtc` address others can dial. */
const DIAL_ATTEMPTS = 3;

/**
 * Dials `addr`, trying again when an attempt fails: a WebRTC negotiation through a relay can lose
 * a race (both sides dialling at once, a candidate arriving after its peer connection closed) or
 * stall past libp2p's per-dial timeout on a loaded machine, and the next attempt usually succeeds.
 * `signal` bounds the whole thing.
 */
export async function dialWithRetry(
  node: PeerNode,
  addr: Multiaddr,
  signal?: AbortSignal,
): Promise<Connection> {
  let lastError: unknown;
  for (let attempt = 0; attempt < DIAL_ATTEMPTS && !signal?.aborted; attempt++) {
    try {
      return await node.dial(addr, signal ? { signal } : {});
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError ?? signal?.reason;
}

export async function waitForWebRtcAddress(node: PeerNode, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const addr = node.getMultiaddrs().find((ma) => ma.toString().includes('/p2p-circuit/webrtc'));
    if (addr) return addr.toString();
    if (Date.now() > deadline)
      throw new Error('No /webrtc address: relay reservation did not happen');
    await new Promise((done) => setTimeout(done, 25));
  }
}
