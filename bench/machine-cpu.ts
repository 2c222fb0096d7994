/**
 * How busy the whole machine was during a measured span, from Linux's /proc/stat (every process:
 * browsers, relay, devnet, this bench). A round that keeps every core busy is bound by the CPU
 * work of all its members together, not by any one wait; the in-run floor, measured one browser
 * at a time on a quiet machine, cannot show that.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Kernel clock ticks per second in /proc/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;
const SAMPLE_EVERY_MS = 5;

interface Sample {
  at: number;
  busy: number;
  total: number;
}

export interface CpuSpan {
  /** CPU time spent by every process on the machine in the span. */
  cpuMs: number;
  /** Share of all cores' time that was busy, 0–1. */
  busy: number;
}

export class MachineCpu {
  readonly cores = availableParallelism();
  readonly #samples: Sample[] = [];
  readonly #timer: ReturnType<typeof setInterval>;

  private constructor() {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), SAMPLE_EVERY_MS);
  }

  /** Starts sampling; undefined where /proc/stat does not exist (not Linux). */
  static start(): MachineCpu | undefined {
    return readStat() ? new MachineCpu() : undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The machine between two `Date.now()` times, to the nearest samples. */
  between(fromMs: number, toMs: number): CpuSpan {
    const a = this.#nearest(fromMs);
    const b = this.#nearest(toMs);
    const total = b.total - a.total;
    const busy = b.busy - a.busy;
    return { cpuMs: (busy * 1000) / TICKS_PER_SECOND, busy: total > 0 ? busy / total : 0 };
  }

  #sample(): void {
    const stat = readStat();
    if (stat) this.#samples.push({ at: Date.now(), ...stat });
  }

  #nearest(at: number): Sample {
    let best = this.#samples[0] as Sample;
    for (const s of this.#samples) if (Math.abs(s.at - at) < Math.abs(best.at - at)) best = s;
    return best;
  }
}

/** Busy and total ticks over all cores: the first line of /proc/stat. */
function readStat(): { busy: number; total: number } | undefined {
  let line: string;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
  } catch {
    return undefined;
  }
  // cpu user nice system idle iowait irq softirq steal …
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((x, y) => x + y, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}
