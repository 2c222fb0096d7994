import {
  type Transport,
  type FrameValidator,
  type TransportHandler,
  PeerUnreachableError,
} from './transport.ts';

/**
 * An in-process network of transports for fast, deterministic multi-member tests. Delivery is
 * asynchronous (a macrotask per hop, like a real network) and copies bytes, so no test can rely
 * on shared buffers. Peers can be taken offline to simulate crashes and partitions.
 */
export class MemoryNetwork {
  readonly #peers = new Map<string, MemoryTransport>();
  readonly #records = new Map<string, { payload: Uint8Array; expiresAt: number }>();
  readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  join(peerId: string): MemoryTransport {
    const transport = new MemoryTransport(this, peerId);
    this.#peers.set(peerId, transport);
    return transport;
  }

  /** A crashed or partitioned peer: it neither sends nor receives until `reconnect`. */
  disconnect(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (peer) peer.online = false;
  }

  reconnect(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (peer) peer.online = true;
  }

  /** @internal */
  peer(peerId: string): MemoryTransport | undefined {
    return this.#peers.get(peerId);
  }

  /** @internal */
  peers(): Iterable<MemoryTransport> {
    return this.#peers.values();
  }

  /** @internal */
  records() {
    return this.#records;
  }
}

const hop = () => new Promise<void>((done) => setTimeout(done, 0));

export class MemoryTransport implements Transport {
  readonly peerId: string;
  online = true;
  readonly #network: MemoryNetwork;
  readonly #topics = new Map<string, Set<TransportHandler>>();
  readonly #validators = new Map<string, FrameValidator>();
  #direct: TransportHandler | undefined;
  /** Topic messages this node's validator refused (as a gossip node would, before forwarding). */
  validatorDrops = 0;

  constructor(network: MemoryNetwork, peerId: string) {
    this.#network = network;
    this.peerId = peerId;
  }

  subscribe(topic: string, handler: TransportHandler, validate?: FrameValidator): () => void {
    let handlers = this.#topics.get(topic);
    if (!handlers) this.#topics.set(topic, (handlers = new Set()));
    handlers.add(handler);
    if (validate) this.#validators.set(topic, validate);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0) {
        this.#topics.delete(topic);
        this.#validators.delete(topic);
      }
    };
  }

  async publish(topic: string, data: Uint8Array): Promise<number> {
    if (!this.online) return 0;
    const copy = data.slice();
    await hop();
    let delivered = 0;
    for (const peer of this.#network.peers()) {
      if (peer === this || !peer.online) continue;
      const validate = peer.#validators.get(topic);
      if (validate && !validate(this.peerId, copy)) {
        peer.validatorDrops++;
        continue;
      }
      for (const handler of peer.#topics.get(topic) ?? []) {
        delivered++;
        void Promise.resolve(handler(this.peerId, copy.slice())).catch(() => {});
      }
    }
    return delivered;
  }

  onDirect(handler: TransportHandler): void {
    this.#direct = handler;
  }

  async send(peerId: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const peer = this.#network.peer(peerId);
    await hop();
    if (!this.online || !peer || !peer.online || !peer.#direct)
      throw new PeerUnreachableError(`${peerId} is unreachable`);
    const handler = peer.#direct;
    // Acknowledged on receipt, like the libp2p transport; handling happens afterwards.
    void Promise.resolve(handler(this.peerId, data.slice())).catch(() => {});
  }

  async putRecord(id: string, payload: Uint8Array, expiresAt: number): Promise<void> {
    if (!this.online) throw new PeerUnreachableError('offline');
    await hop();
    this.#network.records().set(id, { payload: payload.slice(), expiresAt });
  }

  async getRecord(id: string): Promise<Uint8Array | undefined> {
    if (!this.online) throw new PeerUnreachableError('offline');
    await hop();
    const record = this.#network.records().get(id);
    if (!record || record.expiresAt <= this.#network.now()) return undefined;
    return record.payload.slice();
  }
}
