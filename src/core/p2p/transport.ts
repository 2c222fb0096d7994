/**
 * The small surface the signing protocol needs from a network, so the same core runs over libp2p
 * (extension, cosigner) and over an in-memory network in tests. Identities are transport peer ids;
 * `from` is always the authenticated author, never taken from message content.
 */
export type TransportHandler = (from: string, data: Uint8Array) => void | Promise<void>;

/**
 * Decides, before a relaying node forwards a topic message, whether it is a valid protocol
 * message from `from` (its author). Transports that forward (GossipSub) drop what fails it.
 */
export type FrameValidator = (from: string, data: Uint8Array) => boolean;

export interface Transport {
  readonly peerId: string;
  /** Receive a topic's messages; the returned function unsubscribes. */
  subscribe(topic: string, handler: TransportHandler, validate?: FrameValidator): () => void;
  /** Best-effort broadcast to the topic's subscribers (not to ourselves). */
  publish(topic: string, data: Uint8Array): Promise<unknown>;
  /** The handler for acknowledged point-to-point messages. */
  onDirect(handler: TransportHandler): void;
  /** Resolves once the peer acknowledged receipt; rejects if it cannot be reached. */
  send(peerId: string, data: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** DHT-style records for members who come online later. */
  putRecord(
    id: string,
    payload: Uint8Array,
    expiresAt: number,
    signal?: AbortSignal,
  ): Promise<void>;
  getRecord(id: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;
  /**
   * Keep these peers (a live session's members) connected above every other peer until
   * `releasePeers`; transports without connection management leave it out.
   */
  protectPeers?(sessionId: string, peers: string[]): void;
  releasePeers?(sessionId: string): void;
}

export class PeerUnreachableError extends Error {
  override name = 'PeerUnreachableError';
}
