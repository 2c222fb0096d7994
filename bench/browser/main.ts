import { Buffer } from 'buffer';
import { measure, petalCases } from '../crypto-cases.ts';
import { type MemberRow, measureMembers, memberRows, petalMember } from '../member-cases.ts';
import { xpiReference } from '../xpi-cases.ts';

interface Row {
  op: string;
  petal: number;
  xpi: number;
}

/**
 * Called by scripts/bench-browser.ts through Playwright: every Petal case and its xpi-ts
 * reference, both in Chromium's V8 in this one page. xpi-ts's bn.js needs a global Buffer in a
 * browser (without it KeyAgg fails with "Point does not lie on the curve"), so it gets the
 * `buffer` package's before the library loads.
 */
(window as unknown as { runBench: (minMs: number) => Promise<Row[]> }).runBench = async (minMs) => {
  (globalThis as unknown as { Buffer: typeof Buffer }).Buffer ??= Buffer;
  const X: unknown = await import('xpi-ts/lib/bitcore');
  return petalCases().map(({ op, run }) => ({
    op,
    petal: measure(run, minMs),
    xpi: measure(xpiReference(X, op), minMs),
  }));
};

/** One member's MuSig2 work, Petal and the secp256k1-zkp WASM reference, in this page. */
(window as unknown as { runMemberBench: (minMs: number) => Promise<MemberRow[]> }).runMemberBench =
  memberRows;

/** Petal's median ms for one member's work at n, alone, as the protocol checks partials (the network bench's floor). */
(window as unknown as { runMemberWork: (n: number, minMs: number) => number }).runMemberWork = (
  n,
  minMs,
) => measureMembers([petalMember(n)], minMs)[0] as number;
