/**
 * Acknowledged, retried delivery of direct frames. A send resolves when the receiving peer's
 * transport has taken the frame; until then it is retried with exponential backoff (on the
 * injected clock) until the caller's signal ends it, which happens when the round or the session
 * ends, so retries never outlive the state they belong to.
 */
import type { Clock } from './clock.ts';
import type { Transport } from './transport.ts';

export interface OutboxOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export class Outbox {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #initial: number;
  readonly #max: number;
  #pending = 0;

  constructor(transport: Transport, clock: Clock, options: OutboxOptions = {}) {
    this.#transport = transport;
    this.#clock = clock;
    this.#initial = options.initialDelayMs ?? 250;
    this.#max = options.maxDelayMs ?? 4_000;
  }

  /**
   * Delivers `frame` to `peer`; resolves true once acknowledged, false if `signal` ended it. A
   * function is asked again before every try, so a member who reconnects under a new peer id
   * still gets what was queued for it.
   */
  async deliver(
    peer: string | (() => string | undefined),
    frame: Uint8Array,
    signal: AbortSignal,
  ): Promise<boolean> {
    this.#pending++;
    try {
      let delay = this.#initial;
      while (!signal.aborted) {
        const peerId = typeof peer === 'function' ? peer() : peer;
        try {
          if (peerId === undefined) throw new Error('no peer yet');
          await this.#transport.send(peerId, frame, signal);
          return true;
        } catch {
          if (signal.aborted) return false;
        }
        await this.#sleep(delay, signal);
        delay = Math.min(this.#max, delay * 2);
      }
      return false;
    } finally {
      this.#pending--;
    }
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#clock.clearTimeout(id);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const id = this.#clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Frames not yet acknowledged. */
  get pending(): number {
    return this.#pending;
  }
}
