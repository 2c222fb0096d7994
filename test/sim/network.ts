/**
 * A simulated network under the real `Transport` interface: every frame is a scheduler event
 * with its own delay, and may be dropped, duplicated, reordered (independent delays), cut by a
 * partition, or acknowledged without the ack coming back (so the sender retries and the receiver
 * sees it twice). Peers that crashed neither send nor receive. The DHT is one shared record map
 * whose reads and writes can fail like any other request.
 */
import {
  type FrameValidator,
  PeerUnreachableError,
  type Transport,
  type TransportHandler,
} from '../../src/core/p2p/transport.ts';
import type { Prng } from './prng.ts';
import type { Scheduler } from './scheduler.ts';

export interface LinkFaults {
  /** Chance a frame (or DHT request) is lost. */
  drop: number;
  /** Chance a delivered frame arrives a second time, later. */
  duplicate: number;
  /** Chance a delivered direct frame's acknowledgement is lost (the sender will retry). */
  ackLoss: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const CALM: LinkFaults = {
  drop: 0,
  duplicate: 0,
  ackLoss: 0,
  minDelayMs: 5,
  maxDelayMs: 120,
};

interface Endpoint {
  peerId: string;
  member: number;
  online: boolean;
  topics: Map<string, { handler: TransportHandler; validate?: FrameValidator }>;
  direct?: TransportHandler;
}

/** What left a member's transport: the oracle's view of what each member sent. */
export type SendTap = (member: number, frame: Uint8Array, to: string) => void;

const never = <T>() => new Promise<T>(() => undefined);

export class SimNetwork {
  readonly #scheduler: Scheduler;
  readonly #prng: Prng;
  readonly #peers = new Map<string, Endpoint>();
  readonly #records = new Map<string, { payload: Uint8Array; expiresAt: number }>();
  faults: LinkFaults = CALM;
  /** Member groups that cannot reach each other while set. */
  partition: number[][] | undefined;
  tap: SendTap | undefined;
  /** Frames handed to the network, and how many it lost or duplicated (for the summary). */
  readonly counts = { frames: 0, dropped: 0, duplicated: 0, ackLost: 0, partitioned: 0 };

  constructor(scheduler: Scheduler, prng: Prng) {
    this.#scheduler = scheduler;
    this.#prng = prng;
  }

  join(peerId: string, member: number): SimTransport {
    const endpoint: Endpoint = { peerId, member, online: true, topics: new Map() };
    this.#peers.set(peerId, endpoint);
    return new SimTransport(this, endpoint);
  }

  /** The peer is gone for good (its process crashed; a restart joins under a new peer id). */
  leave(peerId: string): void {
    const endpoint = this.#peers.get(peerId);
    if (endpoint) endpoint.online = false;
  }

  #split(a: number, b: number): boolean {
    if (!this.partition) return false;
    const group = (m: number) => this.partition?.findIndex((g) => g.includes(m)) ?? -1;
    return group(a) !== group(b);
  }

  #delay(): number {
    return this.#prng.int(this.faults.minDelayMs, this.faults.maxDelayMs);
  }

  /** Schedules the arrival (and maybe a duplicate) of one frame; false if it is lost. */
  #carry(from: Endpoint, to: Endpoint, arrive: () => void): { delivered: boolean; at: number } {
    this.counts.frames++;
    if (this.#split(from.member, to.member)) {
      this.counts.partitioned++;
      return { delivered: false, at: 0 };
    }
    if (!to.online || this.#prng.chance(this.faults.drop)) {
      if (to.online) this.counts.dropped++;
      return { delivered: false, at: 0 };
    }
    const delay = this.#delay();
    const land = () => {
      if (to.online) arrive();
    };
    this.#scheduler.after(delay, `deliver ${from.peerId}>${to.peerId}`, land);
    if (this.#prng.chance(this.faults.duplicate)) {
      this.counts.duplicated++;
      this.#scheduler.after(delay + this.#delay(), `dup ${from.peerId}>${to.peerId}`, land);
    }
    return { delivered: true, at: delay };
  }

  /** @internal */
  publish(from: Endpoint, topic: string, data: Uint8Array): number {
    let reached = 0;
    for (const to of this.#peers.values()) {
      if (to === from || !to.online || !to.topics.has(topic)) continue;
      const copy = data.slice();
      const { delivered } = this.#carry(from, to, () => {
        const sub = to.topics.get(topic);
        if (!sub || (sub.validate && !sub.validate(from.peerId, copy))) return;
        void Promise.resolve(sub.handler(from.peerId, copy.slice())).catch(() => undefined);
      });
      if (delivered) reached++;
    }
    return reached;
  }

  /** @internal Resolves on the receiver's acknowledgement; rejects when it cannot be reached. */
  send(from: Endpoint, peerId: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const to = this.#peers.get(peerId);
    const copy = data.slice();
    const fate = to
      ? this.#carry(from, to, () => {
          void Promise.resolve(to.direct?.(from.peerId, copy.slice())).catch(() => undefined);
        })
      : { delivered: false, at: 0 };
    const ackLost = fate.delivered && this.#prng.chance(this.faults.ackLoss);
    if (ackLost) this.counts.ackLost++;
    // A dial that fails, or an ack that never comes, is noticed after a timeout.
    const settleIn =
      fate.delivered && !ackLost ? fate.at + this.#delay() : this.#prng.int(50, 10_000);
    return new Promise<void>((resolve, reject) => {
      const id = this.#scheduler.after(settleIn, `ack ${from.peerId}>${peerId}`, () => {
        signal?.removeEventListener('abort', onAbort);
        if (fate.delivered && !ackLost) resolve();
        else reject(new PeerUnreachableError(`${peerId} is unreachable`));
      });
      const onAbort = () => {
        this.#scheduler.cancel(id);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** @internal A DHT request: it may fail, and it takes time. */
  async request<T>(from: Endpoint, op: () => T): Promise<T> {
    const lost = this.#prng.chance(this.faults.drop);
    await this.#scheduler.sleep(this.#delay() * 2);
    if (lost || !from.online) throw new PeerUnreachableError('DHT request failed');
    return op();
  }

  /** @internal */
  records() {
    return this.#records;
  }

  /** @internal Global (unskewed) time, by which the DHT expires records. */
  get time(): number {
    return this.#scheduler.epoch + this.#scheduler.now;
  }
}

export class SimTransport implements Transport {
  readonly #network: SimNetwork;
  readonly #endpoint: Endpoint;

  constructor(network: SimNetwork, endpoint: Endpoint) {
    this.#network = network;
    this.#endpoint = endpoint;
  }

  get peerId(): string {
    return this.#endpoint.peerId;
  }

  get online(): boolean {
    return this.#endpoint.online;
  }

  subscribe(topic: string, handler: TransportHandler, validate?: FrameValidator): () => void {
    this.#endpoint.topics.set(topic, { handler, ...(validate ? { validate } : {}) });
    return () => {
      this.#endpoint.topics.delete(topic);
    };
  }

  async publish(topic: string, data: Uint8Array): Promise<number> {
    if (!this.#endpoint.online) return never();
    this.#network.tap?.(this.#endpoint.member, data, 'topic');
    return this.#network.publish(this.#endpoint, topic, data);
  }

  onDirect(handler: TransportHandler): void {
    this.#endpoint.direct = handler;
  }

  async send(peerId: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (!this.#endpoint.online) return never();
    signal?.throwIfAborted();
    this.#network.tap?.(this.#endpoint.member, data, peerId);
    return this.#network.send(this.#endpoint, peerId, data, signal);
  }

  async putRecord(id: string, payload: Uint8Array, expiresAt: number): Promise<void> {
    if (!this.#endpoint.online) return never();
    const copy = payload.slice();
    await this.#network.request(this.#endpoint, () =>
      this.#network.records().set(id, { payload: copy, expiresAt }),
    );
  }

  async getRecord(id: string): Promise<Uint8Array | undefined> {
    if (!this.#endpoint.online) return never();
    return this.#network.request(this.#endpoint, () => {
      const record = this.#network.records().get(id);
      if (!record || record.expiresAt <= this.#network.time) return undefined;
      return record.payload.slice();
    });
  }
}
