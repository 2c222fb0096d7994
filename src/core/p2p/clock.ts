/**
 * Time for the protocol: every timeout goes through a Clock, so tests drive round timeouts and
 * coordinator failover deterministically with a ManualClock instead of waiting.
 */
export type TimerId = number;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerId,
  clearTimeout: (id) => clearTimeout(id as unknown as ReturnType<typeof setTimeout>),
};

/** A clock that only moves when told to; timers fire in deadline order during `advance`. */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<TimerId, { at: number; fn: () => void }>();

  constructor(start = 1_800_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#timers.delete(id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let nextId: TimerId | undefined;
      let nextAt = Infinity;
      for (const [id, timer] of this.#timers) {
        if (timer.at <= target && timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.#timers.get(nextId) as { at: number; fn: () => void };
      this.#timers.delete(nextId);
      this.#now = Math.max(this.#now, timer.at);
      timer.fn();
    }
    this.#now = target;
  }

  get pending(): number {
    return this.#timers.size;
  }
}

/**
 * The timers one owner (a session, the service) has running, so they can all be cancelled at
 * once when it ends: nothing keeps firing for a session that is gone.
 */
export class TimerSet {
  readonly #clock: Clock;
  readonly #ids = new Set<TimerId>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  set(fn: () => void, ms: number): TimerId {
    const id = this.#clock.setTimeout(() => {
      this.#ids.delete(id);
      fn();
    }, ms);
    this.#ids.add(id);
    return id;
  }

  clear(id: TimerId | undefined): void {
    if (id === undefined) return;
    this.#clock.clearTimeout(id);
    this.#ids.delete(id);
  }

  clearAll(): void {
    for (const id of this.#ids) this.#clock.clearTimeout(id);
    this.#ids.clear();
  }

  get size(): number {
    return this.#ids.size;
  }
}
