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
import { pacedCircuitRelayTransport } from './paced-relay-search.ts';
import { IceConfig } from './ice-config.ts';
import type { IceServer } from '../core/network/ice-servers.ts';
import { DHT_PROTOCOL, RECORD_NAMESPACE, selectRecord, validateRecord } from './dht-records.ts';

export interface PeerNodeOptions {
  /** Relay multiaddrs (with /p2p/<id>) to reserve a slot on; they double as bootstrap peers. */
  relays: string[];
  privateKey?: PrivateKey;
  /** Browsers keep this modest; session peers are protected by tags, not by a high limit. */
  maxConnections?: number;
  /**
   * STUN/TURN servers besides the relays' own (the user's, or a `--stun` URL): the STUN service
   * of every relay joined is added by itself (ice-config.ts). STUN gives a peer a
   * server-reflexive address behind NAT, or on a loopback-only machine where WebRTC gathers no
   * host candidates at all.
   */
  iceServers?: (string | IceServer)[];
  /** 'relay' sends nothing but TURN candidates (hides this machine's addresses from peers). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /**
   * Circuit reservations to hold at once (default 2): on the relays dialled first, then on relays
   * found through the DHT. When a relay goes away libp2p reserves on another, so the node stays
   * reachable while at least one relay of the network is up.
   */
  reservations?: number;
}

export const DEFAULT_RESERVATIONS = 2;

/**
 * A Petal member's node (extension offscreen document, Firefox background page, headless
 * cosigner): dials relays over WebSockets, reserves circuit slots on two or more of the network's
 * relays so others can reach it, and
 * accepts direct WebRTC connections negotiated through that circuit. STUN comes only from the
 * caller's own relays: a public STUN server would learn who talks to whom.
 */
export async function createPeerNode(options: PeerNodeOptions) {
  const ice = new IceConfig(
    (options.iceServers ?? []).map((s) => (typeof s === 'string' ? { urls: s } : s)),
    options.iceTransportPolicy,
  );
  const node = await createLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    // Each `/p2p-circuit` listen address asks circuit-relay for one reservation on a relay it
    // finds (connected relays first, then the peer store, then a DHT random walk).
    addresses: {
      listen: [
        ...Array.from(
          { length: options.reservations ?? DEFAULT_RESERVATIONS },
          () => '/p2p-circuit',
        ),
        '/webrtc',
      ],
    },
    transports: [
      webSockets(),
      // Read for every new peer connection, so relays joined later count too.
      webRTC({ rtcConfiguration: () => ice.rtcConfiguration() }),
      pacedCircuitRelayTransport(),
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
  const relayPeers = new Set<string>();
  // A relay redialled after a restart may have moved its STUN port: ask again on every link.
  const onOpen = (event: CustomEvent<Connection>) => {
    const connection = event.detail;
    if (relayPeers.has(connection.remotePeer.toString()) && connection.limits === undefined)
      void ice.learnFromRelay(node, connection);
  };
  node.addEventListener('connection:open', onOpen);
  node.addEventListener('stop', () => {
    redialer.stop();
    node.removeEventListener('connection:open', onOpen);
  });
  /** Joins a relay: reserve a slot through it, keep it connected, and use its STUN service. */
  const joinRelay = async (addr: string): Promise<Connection> => {
    const relay = multiaddr(addr);
    const relayPeer = relay.getComponents().findLast((c) => c.name === 'p2p')?.value;
    if (relayPeer) {
      // A relay restart or a network blip heals itself: the redialer brings the link back,
      // and the tag keeps relays clear of connection pruning.
      const peer = peerIdFromString(relayPeer);
      relayPeers.add(relayPeer);
      await node.peerStore.merge(peer, { tags: { 'petal-relay': { value: 50 } } });
      redialer.watch('relay', peer, [relay]);
    }
    const connection = await node.dial(relay);
    // Learned before the caller's first WebRTC dial, so that one already has the reflexive address.
    if (relayPeer) await ice.learnFromRelay(node, connection);
    return connection;
  };
  await Promise.all(options.relays.map(joinRelay));
  return Object.assign(node, { redialer, ice, joinRelay });
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

/** The relays this node holds a circuit reservation on (from its own `/p2p-circuit` addresses). */
export function reservedRelays(node: Pick<PeerNode, 'getMultiaddrs'>): string[] {
  const relays = new Set<string>();
  for (const addr of node.getMultiaddrs()) {
    const parts = addr.toString().split('/p2p-circuit')[0]?.split('/p2p/');
    if (parts && parts.length > 1 && addr.toString().includes('/p2p-circuit'))
      relays.add(parts.at(-1) as string);
  }
  return [...relays];
}
