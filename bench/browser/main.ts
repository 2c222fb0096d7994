import { measure, petalCases } from '../crypto-cases.ts';

/** Called by scripts/bench-browser.ts through Playwright: the same Petal cases, in Chromium's V8. */
(
  window as unknown as { runBench: (minMs: number) => { op: string; opsPerSecond: number }[] }
).runBench = (minMs) =>
  petalCases().map(({ op, run }) => ({ op, opsPerSecond: measure(run, minMs) }));
