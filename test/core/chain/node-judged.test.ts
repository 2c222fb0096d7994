/**
 * Every transaction of lotusd-node-judged.json, judged by Petal on both sides (replay protection
 * off and on), must get the verdict the lotusd v11.4.14 node gave, word for word: "allowed", a
 * finality rejection (`bad-txns-nonfinal`, `non-BIP68-final`) or
 * `mandatory-script-verify-flag-failed (<lotusd's ScriptErrorString>)`.
 *
 * Petal judges in the node's mempool order (validation.cpp:499-510, :580-583, then scripts):
 * nLockTime finality, BIP68 sequence locks, then the script verifier. Finality is judged at the
 * tip height and MTP stated in the row's description; the spent coin's confirmation height is
 * `tip − confirmations + 1` when the description states its confirmations.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  type ChainTip,
  calculateSequenceLocks,
  checkFinalityForNextBlock,
  checkFinalTxForNextBlock,
  checkSequenceLocks,
} from '../../../src/core/chain/finality.ts';
import { verifyTransaction } from '../../../src/core/chain/interpreter.ts';
import { assertStandard } from '../../../src/core/chain/policy.ts';
import { scriptErrorString, scriptRejectReason } from '../../../src/core/chain/script-errors.ts';
import {
  type SpentOutput,
  type Transaction,
  parseTx,
} from '../../../src/core/chain/transaction.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

type Side = 'off' | 'on';

interface NodeJudgedRow {
  case: string;
  description: string;
  txHex: string;
  spent: { sats: number; scriptPubKeyHex: string }[];
  signedReplaySide: Side;
  node: Record<Side, string>;
  standard: boolean;
}

const rows = loadVectors<NodeJudgedRow[]>('lotusd-node-judged.json');
const SIDES: readonly Side[] = ['off', 'on'];
const SCRIPT_FAILURE = /^mandatory-script-verify-flag-failed \((.*)\)$/;
const FINALITY_REASONS = ['bad-txns-nonfinal', 'non-BIP68-final'];

/** The chain a row was judged at, when its description says (the CSV and CLTV rows). */
interface JudgedAt {
  tip: ChainTip;
  /** Height of each spent coin's block; undefined where the description does not say. */
  coinHeights: (number | undefined)[];
}

function judgedAt(row: NodeJudgedRow): JudgedAt | undefined {
  const height = /tip height (\d+)/.exec(row.description);
  const mtp = /MTP (\d+)/.exec(row.description);
  if (!height || !mtp) return undefined;
  const tip = { height: Number(height[1]), medianTimePast: Number(mtp[1]) };
  const confirmations = /(\d+) confirmations?\b/.exec(row.description);
  const coinHeight = confirmations ? tip.height - Number(confirmations[1]) + 1 : undefined;
  return { tip, coinHeights: row.spent.map(() => coinHeight) };
}

function parseRow(row: NodeJudgedRow): { tx: Transaction; spent: SpentOutput[]; fee: bigint } {
  const tx = parseTx(hexToBytes(row.txHex));
  const spent = row.spent.map((s) => ({
    value: BigInt(s.sats),
    script: hexToBytes(s.scriptPubKeyHex),
  }));
  const fee =
    spent.reduce((sum, s) => sum + s.value, 0n) - tx.outputs.reduce((sum, o) => sum + o.value, 0n);
  return { tx, spent, fee };
}

/** nLockTime 0 and no input with a relative lock: final at every tip, whatever the coins. */
function finalAtEveryTip(tx: Transaction): boolean {
  return tx.locktime === 0 && tx.inputs.every((i) => (i.sequence >>> 0) & 0x80000000);
}

/** Petal's verdict in the node's words, judged at the row's chain when it states one. */
function petalVerdict(row: NodeJudgedRow, side: Side): string {
  const { tx, spent } = parseRow(row);
  const chain = judgedAt(row);
  if (chain) {
    const finality = checkFinalityForNextBlock(tx, chain.tip, chain.coinHeights);
    if (!finality.ok) return finality.reason;
  } else if (!finalAtEveryTip(tx)) {
    return 'no tip in the description to judge finality against';
  }
  const result = verifyTransaction(tx, spent, { replay: { active: side === 'on' } });
  if (result.ok) return 'allowed';
  return scriptRejectReason(result.reason) ?? `Petal-only reason ${result.reason}`;
}

const cases = rows.flatMap((row) =>
  SIDES.map((side) => ({
    name: `${row.case} [signed ${row.signedReplaySide}, judged with replay protection ${side}]`,
    row,
    side,
    expected: row.node[side],
  })),
);

describe('lotusd-node-judged.json: Petal gives the node’s verdict', () => {
  it('has 64 rows, 32 cases each signed for both sides', () => {
    expect(rows).toHaveLength(64);
    expect(new Set(rows.map((r) => `${r.case}/${r.signedReplaySide}`)).size).toBe(64);
  });

  it.each(cases)('$name: $expected', ({ row, side, expected }) => {
    expect(petalVerdict(row, side)).toBe(expected);
  });

  it.each(cases.filter((c) => c.expected === 'allowed'))(
    '$name: passes the verifier and Petal’s standardness rules with its fee',
    ({ row, side }) => {
      const { tx, spent, fee } = parseRow(row);
      expect(verifyTransaction(tx, spent, { replay: { active: side === 'on' } })).toEqual({
        ok: true,
      });
      expect(side).toBe(row.signedReplaySide);
      expect(row.standard).toBe(true);
      expect(() => assertStandard(tx, fee)).not.toThrow();
    },
  );

  it.each(cases.filter((c) => SCRIPT_FAILURE.test(c.expected)))(
    '$name: fails in the verifier with a reason whose lotusd message is the node’s',
    ({ row, side, expected }) => {
      const { tx, spent } = parseRow(row);
      const result = verifyTransaction(tx, spent, { replay: { active: side === 'on' } });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(scriptErrorString(result.reason)).toBe(SCRIPT_FAILURE.exec(expected)?.[1]);
    },
  );
});

describe('lotusd-node-judged.json: finality at the tip in each row’s description', () => {
  const timelocked = rows.filter((row) => judgedAt(row) !== undefined);

  it('covers every row the node refused for finality, and only CSV/CLTV rows', () => {
    const refused = rows.filter((r) => SIDES.some((s) => FINALITY_REASONS.includes(r.node[s])));
    expect(refused.length).toBeGreaterThan(0);
    for (const row of refused) expect(timelocked).toContain(row);
    for (const row of rows.filter((r) => !timelocked.includes(r)))
      expect(finalAtEveryTip(parseRow(row).tx), row.case).toBe(true);
  });

  it.each(timelocked.map((row) => ({ name: `${row.case} [signed ${row.signedReplaySide}]`, row })))(
    '$name: the finality functions give the node’s verdict',
    ({ row }) => {
      const { tx, spent } = parseRow(row);
      const { tip, coinHeights } = judgedAt(row) as JudgedAt;
      // Finality does not depend on replay protection: the node gave both sides the same one.
      const nodeFinality = FINALITY_REASONS.find((r) => r === row.node.off || r === row.node.on);
      if (nodeFinality) expect(row.node.on).toBe(row.node.off);
      const absolute = checkFinalTxForNextBlock(tx, tip);
      const relative = checkSequenceLocks(tx, tip, coinHeights);
      if (nodeFinality === 'bad-txns-nonfinal') {
        expect(absolute).toEqual({ ok: false, reason: 'bad-txns-nonfinal' });
      } else if (nodeFinality === 'non-BIP68-final') {
        expect(absolute).toEqual({ ok: true });
        expect(relative).toEqual({ ok: false, reason: 'non-BIP68-final' });
      } else {
        // Allowed, or refused by its script: final at that tip.
        expect(absolute).toEqual({ ok: true });
        expect(relative).toEqual({ ok: true });
      }
      if (coinHeights.includes(undefined)) {
        // Confirmations not stated: only for inputs without a relative lock, where they do not count.
        expect(calculateSequenceLocks(tx, [0]).minHeight).toBe(-1);
        expect(calculateSequenceLocks(tx, [1_000_000]).minHeight).toBe(-1);
      }
      if (nodeFinality) {
        // Refused only for its timing: the script itself verifies on the side it was signed for.
        const replay = { active: row.signedReplaySide === 'on' };
        expect(verifyTransaction(tx, spent, { replay })).toEqual({ ok: true });
      }
    },
  );

  it('makes every finality-refused row final at tip 120, where the node allowed their twins', () => {
    const allowedTips = timelocked
      .filter((r) => r.node[r.signedReplaySide] === 'allowed')
      .map((r) => (judgedAt(r) as JudgedAt).tip.height);
    expect(new Set(allowedTips)).toEqual(new Set([120]));
    for (const row of timelocked.filter((r) => FINALITY_REASONS.includes(r.node.off))) {
      const { tx } = parseRow(row);
      const { tip, coinHeights } = judgedAt(row) as JudgedAt;
      // The coin keeps its height; the chain grows to 120 (the MTP barely moves on regtest).
      const first = firstFinalTip(tx, tip, coinHeights);
      expect(first, row.case).toBe(120);
    }
  });
});

/** The lowest tip height at which `tx` is final, the MTP held at the judged tip's. */
function firstFinalTip(
  tx: Transaction,
  from: ChainTip,
  coinHeights: (number | undefined)[],
): number | undefined {
  for (let height = from.height; height < from.height + 1_000; height++) {
    const tip = { height, medianTimePast: from.medianTimePast };
    if (checkFinalityForNextBlock(tx, tip, coinHeights).ok) return height;
  }
  return undefined;
}
