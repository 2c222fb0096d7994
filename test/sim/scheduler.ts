/**
 * Virtual time. Every timer of every member, every message delivery and every user action is an
 * event in one queue ordered by (time, insertion order); the loop runs one event, lets all the
 * promise continuations it caused settle, checks the invariants, and moves on. Nothing waits on
 * real time and nothing reads Date.now, so a run is fast and replays exactly from its seed.
 */
import type { Clock, TimerId } from '../../src/core/p2p/clock.ts';

interface SimEvent {
  at: number;
  seq: number;
  label: string;
  fn: () => void;
  cancelled: boolean;
}

/** Resolves after every pending microtask (and those they queue) has run. */
const settle = () => new Promise<void>((done) => setImmediate(done));

export class Scheduler {
  /** Virtual milliseconds since the run began. */
  now = 0;
  /** The wall-clock value members see at virtual time 0 (before their own skew). */
  readonly epoch: number;
  #seq = 0;
  #steps = 0;
  readonly #heap: SimEvent[] = [];
  readonly #byId = new Map<number, SimEvent>();

  constructor(epoch: number) {
    this.epoch = epoch;
  }

  get steps(): number {
    return this.#steps;
  }

  get pending(): number {
    return this.#byId.size;
  }

  /** Runs `fn` after `delayMs` of virtual time; returns an id for `cancel`. */
  after(delayMs: number, label: string, fn: () => void): number {
    const event: SimEvent = {
      at: this.now + Math.max(0, delayMs),
      seq: ++this.#seq,
      label,
      fn,
      cancelled: false,
    };
    this.#push(event);
    this.#byId.set(event.seq, event);
    return event.seq;
  }

  cancel(id: number): void {
    const event = this.#byId.get(id);
    if (!event) return;
    event.cancelled = true;
    this.#byId.delete(id);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((done) => this.after(ms, 'sleep', done));
  }

  /**
   * Runs events until none is left before `until` (asked again after every event: a horizon may
   * move), or `stop` says so. `afterStep` runs after each event once its consequences settled
   * (the invariant checks).
   */
  async run(
    until: () => number,
    stop: () => boolean,
    afterStep: (label: string) => void,
  ): Promise<void> {
    await settle();
    while (!stop()) {
      const event = this.#pop();
      if (!event) break;
      if (event.at > until()) {
        this.#push(event);
        break;
      }
      this.#byId.delete(event.seq);
      this.now = event.at;
      this.#steps++;
      event.fn();
      await settle();
      afterStep(event.label);
    }
  }

  #push(event: SimEvent): void {
    const heap = this.#heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as SimEvent, heap[parent] as SimEvent)) break;
      [heap[i], heap[parent]] = [heap[parent] as SimEvent, heap[i] as SimEvent];
      i = parent;
    }
  }

  #pop(): SimEvent | undefined {
    const heap = this.#heap;
    for (;;) {
      if (heap.length === 0) return undefined;
      const top = heap[0] as SimEvent;
      const last = heap.pop() as SimEvent;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l] as SimEvent, heap[m] as SimEvent)) m = l;
          if (r < heap.length && before(heap[r] as SimEvent, heap[m] as SimEvent)) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m] as SimEvent, heap[i] as SimEvent];
          i = m;
        }
      }
      if (!top.cancelled) return top;
    }
  }
}

const before = (a: SimEvent, b: SimEvent) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * One member incarnation's clock: the shared virtual time plus that member's skew. When the
 * incarnation crashes, its timers never fire again (the process they lived in is gone).
 */
export class MemberClock implements Clock {
  readonly #scheduler: Scheduler;
  readonly #skew: number;
  readonly #label: string;
  readonly #timers = new Set<number>();
  #alive = true;

  constructor(scheduler: Scheduler, skewMs: number, label: string) {
    this.#scheduler = scheduler;
    this.#skew = skewMs;
    this.#label = label;
  }

  now(): number {
    return this.#scheduler.epoch + this.#scheduler.now + this.#skew;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    if (!this.#alive) return -1;
    const id = this.#scheduler.after(ms, `timer ${this.#label}`, () => {
      this.#timers.delete(id);
      if (this.#alive) fn();
    });
    this.#timers.add(id);
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#scheduler.cancel(id);
    this.#timers.delete(id);
  }

  /** The process died: nothing it scheduled runs. */
  kill(): void {
    this.#alive = false;
    for (const id of this.#timers) this.#scheduler.cancel(id);
    this.#timers.clear();
  }
}
