import { TopicValidatorResult } from '@libp2p/gossipsub';
import type { Connection, PeerId } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { DirectChannel, serveDirectStream } from './direct-channel.ts';
import { decodeRecord, encodeRecord, recordKey } from './dht-records.ts';
import { liveScoreParams, vaultTopicScoreParams } from './gossip-scoring.ts';
import { type PeerNode, dialWithRetry } from './peer-node.ts';
import { RecordRepublisher } from './record-republisher.ts';
import { SessionPeerGuard } from './session-peers.ts';
import type { FrameValidator, Transport } from '../core/p2p/transport.ts';

/** Stream protocol for acknowledged point-to-point protocol messages. */
export const DIRECT_PROTOCOL = '/petal/musig2/2.0.0/direct';
/**
 * Signing protocol 1's stream, still served so a member that has not updated is heard: its
 * frames reach the service, which refuses the version 1 envelopes inside with a typed error
 * reported once (service/old-protocol.ts) instead of leaving it to guess why nobody answers.
 */
export const LEGACY_DIRECT_PROTOCOL = '/petal/musig2/1.0.0/direct';
/** Largest protocol message accepted on any path; bigger frames are refused unread. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
const DIRECT_TIMEOUT_MS = 10_000;
const UPGRADE_TIMEOUT_MS = 30_000;

/**
 * The sender a handler is told about is the libp2p peer that *authored* the bytes: the remote
 * end of a Noise-authenticated stream, or the signed `from` of a GossipSub message. The protocol
 * layer binds that peer id to a vault member; it never takes identity from the payload alone.
 */
export type MessageHandler = (from: string, data: Uint8Array) => void | Promise<void>;

/** Returns false to reject a gossip message before it is forwarded to anyone else. */
export type GossipValidator = FrameValidator;

export class DirectSendError extends Error {
  override name = 'DirectSendError';
}

/**
 * Petal's three ways to move protocol bytes over libp2p: GossipSub topics (instant notice),
 * acknowledged direct streams (rounds), and DHT records (late-comers).
 */
export class Libp2pMessaging implements Transport {
  readonly #node: PeerNode;
  readonly #topicHandlers = new Map<string, Set<MessageHandler>>();
  #directHandler: MessageHandler | undefined;
  readonly #upgrading = new Set<string>();
  /** The kept stream to each peer, and channels being opened (so concurrent sends share one). */
  readonly #channels = new Map<string, DirectChannel>();
  readonly #opening = new Map<string, Promise<DirectChannel>>();
  readonly #guard: SessionPeerGuard;
  readonly #republisher: RecordRepublisher;
  /** A channel whose connection closed is forgotten, so peers long gone hold no memory. */
  readonly #onConnectionClose = (event: CustomEvent<Connection>) => {
    const closed = event.detail;
    const peerId = closed.remotePeer.toString();
    const channel = this.#channels.get(peerId);
    if (channel?.connection.id !== closed.id) return;
    channel.fail(new Error('Connection closed'));
    this.#channels.delete(peerId);
  };
  readonly #onGossip = (
    event: CustomEvent<{ topic: string; data: Uint8Array; type: string; from?: PeerId }>,
  ) => {
    const { topic, data, from } = event.detail;
    if (!from || data.length > MAX_MESSAGE_BYTES) return;
    for (const handler of this.#topicHandlers.get(topic) ?? []) void handler(from.toString(), data);
  };

  constructor(node: PeerNode) {
    this.#node = node;
    this.#guard = new SessionPeerGuard(node);
    this.#republisher = new RecordRepublisher(node, (id, payload, expiresAt, signal) =>
      this.#put(id, payload, expiresAt, signal),
    );
  }

  protectPeers(sessionId: string, peers: string[]): void {
    void this.#guard.protect(sessionId, peers).catch(() => undefined);
  }

  releasePeers(sessionId: string): void {
    void this.#guard.release(sessionId).catch(() => undefined);
  }

  /** Peers with a kept direct stream. */
  get openChannels(): number {
    return this.#channels.size;
  }

  /** Sessions whose members are currently protected. */
  get protectedSessions(): number {
    return this.#guard.size;
  }

  get peerId(): string {
    return this.#node.peerId.toString();
  }

  async start(): Promise<void> {
    this.#node.services.pubsub.addEventListener('message', this.#onGossip as EventListener);
    this.#node.addEventListener('connection:close', this.#onConnectionClose);
    this.#republisher.start();
    await this.#node.handle(
      [DIRECT_PROTOCOL, LEGACY_DIRECT_PROTOCOL],
      (stream, connection) => {
        const from = connection.remotePeer.toString();
        void serveDirectStream(stream, MAX_MESSAGE_BYTES, (frame) => {
          void Promise.resolve(this.#directHandler?.(from, frame)).catch(() => undefined);
        });
      },
      // Protocol frames are small, so a relayed link may carry them while WebRTC comes up.
      { maxInboundStreams: 64, runOnLimitedConnection: true },
    );
  }

  async stop(): Promise<void> {
    this.#node.services.pubsub.removeEventListener('message', this.#onGossip as EventListener);
    this.#node.removeEventListener('connection:close', this.#onConnectionClose);
    this.#republisher.stop();
    for (const topic of this.#topicHandlers.keys()) this.#node.services.pubsub.unsubscribe(topic);
    this.#topicHandlers.clear();
    await this.#node.unhandle([DIRECT_PROTOCOL, LEGACY_DIRECT_PROTOCOL]);
    for (const channel of this.#channels.values()) channel.fail(new Error('Messaging stopped'));
    this.#channels.clear();
  }

  subscribe(topic: string, handler: MessageHandler, validate?: GossipValidator): () => void {
    let handlers = this.#topicHandlers.get(topic);
    if (!handlers) {
      handlers = new Set();
      this.#topicHandlers.set(topic, handlers);
      const pubsub = this.#node.services.pubsub;
      // Validation runs before forwarding, so invalid traffic dies at the first honest hop.
      pubsub.topicValidators.set(topic, (_propagator, message) => {
        if (message.data.length > MAX_MESSAGE_BYTES || message.type !== 'signed') {
          return TopicValidatorResult.Reject;
        }
        // A frame that fails the protocol's checks is dropped, not forwarded, but not scored as
        // invalid: relays hold no vault keys and forward members' frames unopened, and GossipSub
        // would charge every later deliverer of a rejected message, so Reject would end up
        // graylisting the honest relay. The author is punished by the protocol's reputation
        // (its frames are refused once it is banned).
        if (validate && !validate(message.from.toString(), message.data))
          return TopicValidatorResult.Ignore;
        return TopicValidatorResult.Accept;
      });
      const scores = liveScoreParams(pubsub);
      if (scores) scores.topics[topic] = vaultTopicScoreParams();
      pubsub.subscribe(topic);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0) {
        this.#topicHandlers.delete(topic);
        this.#node.services.pubsub.topicValidators.delete(topic);
        delete liveScoreParams(this.#node.services.pubsub)?.topics[topic];
        // A stopped node has nothing left to unsubscribe from.
        if (this.#node.status === 'started') this.#node.services.pubsub.unsubscribe(topic);
      }
    };
  }

  async publish(topic: string, data: Uint8Array): Promise<number> {
    if (data.length > MAX_MESSAGE_BYTES) throw new DirectSendError('Message too large');
    const result = await this.#node.services.pubsub.publish(topic, data);
    return result.recipients.length;
  }

  onDirect(handler: MessageHandler): void {
    this.#directHandler = handler;
  }

  /** Delivers one message to a peer and resolves once the peer acknowledged it. */
  async send(peerId: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (data.length > MAX_MESSAGE_BYTES) throw new DirectSendError('Message too large');
    const deadline = signal ?? AbortSignal.timeout(DIRECT_TIMEOUT_MS);
    try {
      const channel = await this.#channelTo(peerId, deadline);
      await channel.send(data, deadline);
    } catch (err) {
      throw err instanceof DirectSendError
        ? err
        : new DirectSendError(`Send to ${peerId} failed: ${(err as Error).message}`);
    }
  }

  /**
   * The kept stream to a peer. A channel over a relayed link stays in use until a channel over a
   * direct connection has opened (in the background, so a direct link that is still coming up,
   * or never does, cannot hold a message back); then the relayed one retires once its acks are in.
   */
  async #channelTo(peerId: string, signal: AbortSignal): Promise<DirectChannel> {
    const current = this.#channels.get(peerId);
    if (current?.usable) {
      if (!current.direct) this.#preferDirect(peerId);
      return current;
    }
    return this.#open(peerId, signal);
  }

  #preferDirect(peerId: string): void {
    this.#upgrade(peerId, this.#webrtcRoutes(peerId));
    if (this.#opening.has(peerId)) return;
    const direct = this.#node.getConnections(peerIdFromString(peerId)).some((c) => !c.limits);
    if (direct) void this.#open(peerId).catch(() => undefined);
  }

  /** Opens a channel (one opening per peer at a time), bounded even when the caller is not. */
  #open(peerId: string, signal?: AbortSignal): Promise<DirectChannel> {
    let opening = this.#opening.get(peerId);
    if (!opening) {
      const timeout = AbortSignal.timeout(DIRECT_TIMEOUT_MS);
      const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
      opening = (async () => {
        const connection = await this.#connect(peerId, bounded);
        return DirectChannel.open(connection, DIRECT_PROTOCOL, {
          signal: bounded,
          maxDataLength: MAX_MESSAGE_BYTES,
          ackTimeoutMs: DIRECT_TIMEOUT_MS,
        });
      })();
      this.#opening.set(peerId, opening);
      void opening
        .then((channel) => {
          const previous = this.#channels.get(peerId);
          this.#channels.set(peerId, channel);
          if (previous && previous !== channel) void previous.retire();
        })
        .catch(() => undefined)
        .finally(() => this.#opening.delete(peerId));
    }
    return opening;
  }

  /**
   * A connection to the peer, fastest first: an existing direct one; else an existing or new
   * relayed circuit, so the message goes out now, while a direct WebRTC connection is negotiated
   * through the relay in the background and takes over once it is up.
   */
  async #connect(peerId: string, signal: AbortSignal): Promise<Connection> {
    const target = peerIdFromString(peerId);
    const existing = this.#node.getConnections(target);
    const direct = existing.find((c) => c.limits === undefined);
    if (direct) return direct;
    // The upgrade starts only once a relayed link is in hand: libp2p merges dials to one peer,
    // so a WebRTC dial started first would hold the relayed dial until ICE succeeds or gives up.
    const upgrade = () => this.#upgrade(peerId, this.#webrtcRoutes(peerId));
    if (existing[0]) {
      upgrade();
      return existing[0];
    }
    let lastError: unknown;
    for (const route of this.#relayAddrs().map((r) => `${r}/p2p-circuit/p2p/${peerId}`)) {
      try {
        const relayed = await this.#node.dial(multiaddr(route), { signal });
        upgrade();
        return relayed;
      } catch (err) {
        lastError = err;
      }
    }
    try {
      return await this.#node.dial(target, { signal });
    } catch (err) {
      lastError ??= err;
    }
    // The peer may sit behind relays we are not on, or have moved to other relays since we
    // learnt its addresses: ask the DHT (relays answer with the circuit addresses they hold).
    try {
      await this.#node.peerRouting.findPeer(target, { useCache: false, signal });
      return await this.#node.dial(target, { signal });
    } catch (err) {
      throw new DirectSendError(
        `No route to ${peerId}: ${(lastError as Error | undefined)?.message ?? (err as Error).message}`,
      );
    }
  }

  /** Our relays' WebSocket addresses (direct connections to them, not circuits). */
  #relayAddrs(): string[] {
    return this.#node
      .getConnections()
      .filter((c) => c.limits === undefined && !c.remoteAddr.toString().includes('/p2p-circuit'))
      .filter((c) => c.remoteAddr.toString().includes('/ws'))
      .map((c) => {
        const addr = c.remoteAddr.toString();
        return addr.includes('/p2p/') ? addr : `${addr}/p2p/${c.remotePeer.toString()}`;
      });
  }

  #webrtcRoutes(peerId: string): string[] {
    return this.#relayAddrs().map((r) => `${r}/p2p-circuit/webrtc/p2p/${peerId}`);
  }

  /** Negotiates a direct WebRTC connection to the peer in the background (one at a time). */
  #upgrade(peerId: string, routes: string[]): void {
    if (routes.length === 0 || this.#upgrading.has(peerId)) return;
    this.#upgrading.add(peerId);
    void (async () => {
      for (const route of routes) {
        try {
          await dialWithRetry(
            this.#node,
            multiaddr(route),
            AbortSignal.timeout(UPGRADE_TIMEOUT_MS),
          );
          return;
        } catch {
          // try the next relay; the next send tries again
        }
      }
    })().finally(() => this.#upgrading.delete(peerId));
  }

  /** Stores a record on the relays closest to its key, and puts it again when our relays change. */
  putRecord(
    id: string,
    payload: Uint8Array,
    expiresAt: number,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.#republisher.publish(id, payload, expiresAt, signal);
  }

  async #put(id: string, payload: Uint8Array, expiresAt: number, signal?: AbortSignal) {
    const value = encodeRecord({ expiresAt, payload });
    for await (const _event of this.#node.services.dht.put(recordKey(id), value, { signal })) {
      // drain: the put completes when the query does
    }
  }

  /** The freshest live copy of a record, or undefined if no server has one. */
  async getRecord(id: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    try {
      for await (const event of this.#node.services.dht.get(recordKey(id), { signal })) {
        if (event.name === 'VALUE') {
          const record = decodeRecord(event.value);
          if (record.expiresAt > Date.now()) return record.payload;
        }
      }
    } catch (err) {
      if ((err as Error).name === 'NotFoundError') return undefined;
      throw err;
    }
    return undefined;
  }
}
