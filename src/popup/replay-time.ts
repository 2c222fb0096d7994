/**
 * How the popup reads and writes replay-protection activation times, and says which side of
 * lotusd's switch signatures are on. Times are unix seconds compared with the chain's median
 * time past, so every date is shown in UTC: a local time would put the switch at the wrong hour
 * for anyone comparing it with lotusd's release notes.
 */
import { REPLAY_ACTIVATION_RANGE } from '../core/rpc/index.ts';
import type { ReplayView } from '../core/wallet/wallet-service.ts';

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A time as people read it, in UTC; seconds only when they are not zero.
 * @example formatUtc(1798074180) // '24 Dec 2026, 01:03 UTC'
 */
export function formatUtc(seconds: number): string {
  const d = new Date(seconds * 1000);
  const s = d.getUTCSeconds();
  return (
    `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${s ? `:${pad(s)}` : ''} UTC`
  );
}

/**
 * A time in the form `parseActivationTime` reads back (UTC).
 * @example formatUtcInput(1798074180) // '2026-12-24 01:03'
 */
export function formatUtcInput(seconds: number): string {
  const d = new Date(seconds * 1000);
  const s = d.getUTCSeconds();
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${s ? `:${pad(s)}` : ''}`
  );
}

export type ActivationTimeProblem = 'empty' | 'format' | 'no-such-date' | 'milliseconds' | 'range';

/** Why typed text is not an activation time; `problem` is for code, the message for people. */
export class ActivationTimeInputError extends Error {
  override readonly name = 'ActivationTimeInputError';
  readonly problem: ActivationTimeProblem;
  constructor(problem: ActivationTimeProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

export type ParsedActivationTime =
  { ok: true; time: number } | { ok: false; error: ActivationTimeInputError };

const DATE_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:UTC|Z)?$/i;

/**
 * Reads an activation time typed as a UTC date and time (`2026-12-24 01:03`, seconds optional,
 * `T`/`Z`/`UTC` accepted) or as unix seconds, the form of lotusd's
 * `-replayprotectionactivationtime`. Never throws: a bad input comes back as a typed error.
 * @example
 * parseActivationTime('2026-12-24 01:03') // { ok: true, time: 1798074180 }
 * parseActivationTime('1798074180000')    // { ok: false, error: { problem: 'milliseconds' } }
 */
export function parseActivationTime(text: string): ParsedActivationTime {
  const input = text.trim();
  const fail = (problem: ActivationTimeProblem, message: string): ParsedActivationTime => ({
    ok: false,
    error: new ActivationTimeInputError(problem, message),
  });
  if (!input) return fail('empty', 'Enter a date and time (UTC) or unix seconds.');
  let time: number;
  if (/^\d+$/.test(input)) {
    time = Number(input);
    if (input.length >= 13 && time / 1000 <= REPLAY_ACTIVATION_RANGE.max)
      return fail('milliseconds', 'That looks like milliseconds; lotusd counts seconds.');
  } else {
    const m = DATE_TIME.exec(input);
    if (!m) return fail('format', 'Use YYYY-MM-DD HH:MM (UTC) or unix seconds.');
    const typed = m.slice(1, 7).map((x) => Number(x ?? 0));
    const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = typed;
    time = Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
    // Date.UTC rolls 31 Feb over into March; a date that does not read back is a typo.
    const back = new Date(time * 1000);
    const read = [
      back.getUTCFullYear(),
      back.getUTCMonth() + 1,
      back.getUTCDate(),
      back.getUTCHours(),
      back.getUTCMinutes(),
      back.getUTCSeconds(),
    ];
    if (read.some((n, i) => n !== typed[i]))
      return fail('no-such-date', `There is no ${input} in the calendar.`);
  }
  if (time < REPLAY_ACTIVATION_RANGE.min || time > REPLAY_ACTIVATION_RANGE.max)
    return fail('range', 'Pick a time between 2020 and 2100.');
  return { ok: true, time };
}

/** The replay-protection side in plain words, for the About screen. */
export interface ReplaySideText {
  /** "On since …" / "Off until …". */
  headline: string;
  /** Where the activation time comes from. */
  source: string;
  /** What the network confirmed, or that nothing has been confirmed yet. */
  confirmation: string;
}

/**
 * Describes `replay` (the wallet's view for the current network); `lotusdTime` is lotusd's own
 * activation time for that network, named when the user's setting replaces it.
 * @example
 * describeReplaySide({ active: false, activationTime: 1798074180, overridden: false,
 *   medianTime: 1796000000, learned: {} }, 1798074180).headline // 'Off until 24 Dec 2026, 01:03 UTC'
 */
export function describeReplaySide(replay: ReplayView, lotusdTime: number): ReplaySideText {
  const { active, activationTime: at, medianTime, learned } = replay;
  // The wallet follows what the network accepted over the configured time, so when the two
  // disagree the headline names the accepted transaction's time instead.
  const headline = active
    ? medianTime >= at || learned.onAt === undefined
      ? `On since ${formatUtc(at)}`
      : `On since ${formatUtc(learned.onAt)} or earlier`
    : medianTime < at || learned.offAt === undefined
      ? `Off until ${formatUtc(at)}`
      : `Off until after ${formatUtc(learned.offAt)}`;
  const source = replay.overridden
    ? `Your setting (lotusd's is ${formatUtc(lotusdTime)})`
    : "lotusd's default";
  const confirmation =
    active && learned.onAt !== undefined && medianTime >= learned.onAt
      ? `Confirmed by the network: it accepted a replay-protected payment at chain time ${formatUtc(learned.onAt)}.`
      : !active && learned.offAt !== undefined && medianTime <= learned.offAt
        ? `Confirmed by the network: it accepted a payment without replay protection at chain time ${formatUtc(learned.offAt)}.`
        : 'Not confirmed by the network yet: the next payment will show which side it accepts.';
  return { headline, source, confirmation };
}
