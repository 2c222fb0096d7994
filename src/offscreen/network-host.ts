import { multiaddr } from '@multiformats/multiaddr';
import type { Connection } from '@libp2p/interface';
import type { ConnectionInfo, IceServer, NetworkStatus } from '../core/rpc/index.ts';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Libp2pMessaging } from '../network/libp2p-messaging.ts';
import { type PeerNode, createPeerNode, reservedRelays } from '../network/peer-node.ts';
import { type PeerKeyStorage, loadOrCreatePeerKey } from './peer-key.ts';
import { iceConnected, peerConnectionOf, selectedRoute } from '../network/webrtc-state.ts';
import type { Transport, TransportHandler } from '../core/p2p/transport.ts';

/** Hands what the node received to the background (vault formation runs there). */
export type InboundForward = (message: {
  topic?: string;
  from: string;
  data: string;
}) => Promise<unknown>;

const STATS_TIMEOUT_MS = 2_000;

/**
 * Describes a live connection truthfully: its transport from the remote address, and for WebRTC
 * whether ICE really connected and over which candidate pair (the browser's own stats).
 */
export async function describeConnection(connection: Connection): Promise<ConnectionInfo> {
  const addr = connection.remoteAddr.toString();
  const kind = addr.includes('/webrtc')
    ? 'webrtc'
    : addr.includes('/p2p-circuit')
      ? 'relayed'
      : addr.includes('/ws')
        ? 'websockets'
        : 'other';
  const info: ConnectionInfo = {
    peerId: connection.remotePeer.toString(),
    remoteAddr: addr,
    kind,
    limited: connection.limits !== undefined,
    direct: kind === 'websockets' && connection.limits === undefined,
  };
  if (kind !== 'webrtc') return info;
  const pc = peerConnectionOf(connection);
  if (!pc) return info;
  info.ice = pc.iceConnectionState;
  info.direct = iceConnected(pc);
  if (info.direct) {
    const route = await Promise.race([
      selectedRoute(pc).catch(() => undefined),
      new Promise<undefined>((done) => setTimeout(done, STATS_TIMEOUT_MS)),
    ]);
    if (route) info.route = route;
  }
  return info;
}

/**
 * Owns the one libp2p node of this extension instance. It lives in the offscreen document, which
 * outlives service-worker restarts, so the background re-attaches to a running node instead of
 * starting a new one. With `keys`, the node's identity is stored (peer-key.ts): a node started
 * again (the document was closed, the browser restarted) has the same peer id; without, every
 * start is a new peer (tests).
 */
export class NetworkHost {
  #node: PeerNode | undefined;
  #messaging: Libp2pMessaging | undefined;
  #starting: Promise<PeerNode> | undefined;
  readonly #topics = new Set<string>();
  /** The signing runner's direct-message handler; without one, direct frames go to the background. */
  #localDirect: TransportHandler | undefined;
  readonly #forward: InboundForward;
  readonly #keys: PeerKeyStorage | undefined;

  constructor(forward: InboundForward = async () => undefined, keys?: PeerKeyStorage) {
    this.#forward = forward;
    this.#keys = keys;
  }

  async start(relays: string[], iceServers: IceServer[] = []): Promise<NetworkStatus> {
    if (!this.#node) {
      this.#starting ??= this.#create(relays, iceServers).finally(() => {
        this.#starting = undefined;
      });
      const node = await this.#starting;
      const messaging = new Libp2pMessaging(node);
      await messaging.start();
      messaging.onDirect((from, data) =>
        this.#localDirect ? this.#localDirect(from, data) : this.#pass(undefined, from, data),
      );
      this.#node = node;
      this.#messaging = messaging;
    } else {
      // Already running: the user's servers apply to the next WebRTC link, and every relay asked
      // for is joined (and its STUN service used).
      const node = this.#node;
      node.ice.setUserServers(iceServers);
      await Promise.all(relays.map((addr) => node.joinRelay(addr)));
    }
    return this.status();
  }

  async #create(relays: string[], iceServers: IceServer[]): Promise<PeerNode> {
    const keys = this.#keys;
    return createPeerNode({
      relays,
      iceServers,
      ...(keys ? { privateKey: await loadOrCreatePeerKey(keys) } : {}),
    });
  }

  async status(): Promise<NetworkStatus> {
    const node = this.#node;
    if (!node) return { running: false, multiaddrs: [], connections: [] };
    return {
      running: true,
      peerId: node.peerId.toString(),
      multiaddrs: node.getMultiaddrs().map((ma) => ma.toString()),
      connections: await Promise.all(node.getConnections().map(describeConnection)),
      iceServers: node.ice.servers().map((s) => s.urls),
      reservedRelays: reservedRelays(node),
    };
  }

  async dial(address: string): Promise<ConnectionInfo> {
    if (!this.#node) throw new NetworkNotStartedError();
    return describeConnection(await this.#node.dial(multiaddr(address)));
  }

  async stop(): Promise<NetworkStatus> {
    const node = this.#node;
    const messaging = this.#messaging;
    this.#node = undefined;
    this.#messaging = undefined;
    this.#localDirect = undefined;
    this.#topics.clear();
    await messaging?.stop();
    await node?.stop();
    return this.status();
  }

  // ——— the P2P bridge: sealed frames in and out, as hex ———

  #pass(topic: string | undefined, from: string, data: Uint8Array): void {
    const message = { from, data: bytesToHex(data), ...(topic ? { topic } : {}) };
    // A sleeping service worker is woken by this message; a failure only loses one frame,
    // which the sender's retries or the mailbox records make up for.
    void this.#forward(message).catch(() => undefined);
  }

  #requireMessaging(): Libp2pMessaging {
    if (!this.#messaging) throw new NetworkNotStartedError();
    return this.#messaging;
  }

  subscribe(topic: string): { ok: true } {
    const messaging = this.#requireMessaging();
    if (!this.#topics.has(topic)) {
      this.#topics.add(topic);
      messaging.subscribe(topic, (from, data) => this.#pass(topic, from, data));
    }
    return { ok: true };
  }

  async publish(topic: string, data: string): Promise<{ ok: true }> {
    await this.#requireMessaging().publish(topic, hexToBytes(data));
    return { ok: true };
  }

  async send(peer: string, data: string): Promise<{ ok: true }> {
    await this.#requireMessaging().send(peer, hexToBytes(data));
    return { ok: true };
  }

  protect(sessionId: string, peers: string[]): { ok: true } {
    this.#requireMessaging().protectPeers(sessionId, peers);
    return { ok: true };
  }

  release(sessionId: string): { ok: true } {
    this.#messaging?.releasePeers(sessionId);
    return { ok: true };
  }

  async putRecord(id: string, payload: string, expiresAt: number): Promise<{ ok: true }> {
    await this.#requireMessaging().putRecord(id, hexToBytes(payload), expiresAt);
    return { ok: true };
  }

  async getRecord(id: string): Promise<{ payload?: string }> {
    const payload = await this.#requireMessaging().getRecord(id);
    return payload ? { payload: bytesToHex(payload) } : {};
  }

  /**
   * The node as the protocol's Transport for the signing runner in this same context: frames go
   * straight between the node and the protocol, and GossipSub validates with the protocol's own
   * check before forwarding. Valid until the node stops (the runner stops with it).
   */
  localTransport(): Transport {
    const messaging = this.#requireMessaging();
    return {
      peerId: messaging.peerId,
      subscribe: (topic, handler, validate) => messaging.subscribe(topic, handler, validate),
      publish: (topic, data) => messaging.publish(topic, data),
      onDirect: (handler) => {
        this.#localDirect = handler;
      },
      send: (peer, data, signal) => messaging.send(peer, data, signal),
      putRecord: (id, payload, expiresAt, signal) =>
        messaging.putRecord(id, payload, expiresAt, signal),
      getRecord: (id, signal) => messaging.getRecord(id, signal),
      protectPeers: (sessionId, peers) => messaging.protectPeers(sessionId, peers),
      releasePeers: (sessionId) => messaging.releasePeers(sessionId),
    };
  }

  /** The runner is gone: direct frames go to the background again. */
  releaseLocal(): void {
    this.#localDirect = undefined;
  }

  get node(): PeerNode | undefined {
    return this.#node;
  }
}

export class NetworkNotStartedError extends Error {
  override name = 'NetworkNotStartedError';
  constructor() {
    super('The P2P node is not running; connect to a relay first');
  }
}
