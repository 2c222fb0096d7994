/**
 * The local verifier against lotusd's data and against spends Petal builds.
 *
 * script_tests.json rows run here: those whose scripts use only opcodes in the verifier's scope
 * (no CHECKSIG-family ops, whose rows need lotusd's own signing keys; no multisig, data-signature,
 * byte-string or P2SH ops, which Petal never creates) and whose flags are empty or among the
 * policy flags the verifier can switch (MINIMALIF, DISCOURAGE_UPGRADABLE_NOPS, CLEANSTACK);
 * Lotus's baseline rules (MINIMALDATA, STRICTENC, …) are always on, as in lotusd. Rows flagged
 * SIGHASH_FORKID / REPLAY_PROTECTION / INPUT_SIGCHECKS exercise signatures and sigcheck counting
 * and are out of scope. Each row's verdict (OK or any error) must match lotusd's.
 */
import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { hash160, sha256d } from '../../../src/core/crypto/hash.ts';
import {
  buildScriptTree,
  controlBlock,
  getPublicKey,
  schnorrSign,
  tapLeafHash,
  tweakPublicKey,
} from '../../../src/core/crypto/index.ts';
import {
  DISABLED_OPCODES,
  type PolicyFlags,
  verifyTransaction,
} from '../../../src/core/chain/interpreter.ts';
import { regtest } from '../../../src/core/chain/network.ts';
import { OP } from '../../../src/core/chain/opcodes.ts';
import {
  buildScript,
  encodeScriptNum,
  parseAsm,
  parseScript,
  rawPush,
} from '../../../src/core/chain/script.ts';
import { sighashLotus } from '../../../src/core/chain/sighash.ts';
import { buildUnsignedTx, signTransaction } from '../../../src/core/chain/signer.ts';
import { classifyScript, p2pkhScript, taprootScript } from '../../../src/core/chain/templates.ts';
import {
  type Transaction,
  parseTx,
  txidBytes,
  txidFromHex,
} from '../../../src/core/chain/transaction.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

const replay = { active: false };

describe('verifier on the Taproot key-path spend vectors', () => {
  const spends = loadVectors<{
    spends: { id: string; signed_tx: string; spent_outputs: { value: number; script: string }[] }[];
  }>('generated/taproot-keypath-spends.json').spends;

  it.each(spends)('accepts $id and rejects it once the locktime changes', (spend) => {
    const tx = parseTx(hexToBytes(spend.signed_tx));
    const spent = spend.spent_outputs.map((o) => ({
      value: BigInt(o.value),
      script: hexToBytes(o.script),
    }));
    expect(verifyTransaction(tx, spent)).toEqual({ ok: true });
    // Every digest commits to the locktime, whatever the hash type (NONE/SINGLE skip outputs).
    const tampered: Transaction = { ...tx, locktime: tx.locktime + 1 };
    const result = verifyTransaction(tampered, spent);
    expect(result.ok).toBe(false);
  });
});

const sk = new Uint8Array(32).fill(3);
const pub = getPublicKey(sk);
const coin = (script: Uint8Array, value = 50_000n, n = 1) => ({
  outpoint: { txid: new Uint8Array(32).fill(n), vout: 0 },
  value,
  script,
});

describe('verifier on spends Petal builds', () => {
  const p2pkh = p2pkhScript(hash160(pub));

  it('accepts P2PKH signed with Schnorr/FORKID, ECDSA/FORKID and Schnorr/LOTUS with execution data', () => {
    const coins = [coin(p2pkh)];
    const tx = buildUnsignedTx(coins, [{ value: 49_000n, script: p2pkh }]);
    for (const options of [
      {},
      { ecdsa: true },
      { p2pkhLotus: true },
      { ecdsa: true, p2pkhLotus: true },
    ]) {
      const signed = signTransaction(tx, coins, () => sk, { network: regtest, replay, ...options });
      expect(verifyTransaction(signed, coins)).toEqual({ ok: true });
    }
  });

  it('rejects a P2PKH signature computed as a key path (the reference libraries’ bug)', () => {
    const coins = [coin(p2pkh)];
    const tx = buildUnsignedTx(coins, [{ value: 49_000n, script: p2pkh }]);
    const wrong = sighashLotus(tx, 0, coins, 0x61); // spend type 0, no execution data
    tx.inputs[0]!.scriptSig = concatBytes(
      rawPush(concatBytes(schnorrSign(wrong, sk), Uint8Array.of(0x61))),
      rawPush(pub),
    );
    expect(verifyTransaction(tx, coins)).toMatchObject({
      ok: false,
      inputIndex: 0,
      reason: 'NULLFAIL',
    });
  });

  it('rejects a key signed under the wrong replay-protection regime', () => {
    const coins = [coin(taprootScript(tweakPublicKey(pub)))];
    const tx = buildUnsignedTx(coins, [{ value: 49_000n, script: p2pkh }]);
    const signed = signTransaction(tx, coins, () => sk, {
      network: regtest,
      replay: { active: true },
    });
    expect(verifyTransaction(signed, coins, { replay: { active: true } })).toEqual({ ok: true });
    expect(verifyTransaction(signed, coins).ok).toBe(false);
  });

  describe('Taproot script path', () => {
    const other = new Uint8Array(32).fill(4);
    const otherPub = getPublicKey(other);
    const leaves = {
      single: buildScript([pub, OP.OP_CHECKSIG]),
      chain: buildScript([pub, OP.OP_CHECKSIGVERIFY, otherPub, OP.OP_CHECKSIG]),
      cltv: buildScript([
        encodeScriptNum(10_000n),
        OP.OP_CHECKLOCKTIMEVERIFY,
        OP.OP_DROP,
        pub,
        OP.OP_CHECKSIG,
      ]),
      csv: buildScript([
        encodeScriptNum(144n),
        OP.OP_CHECKSEQUENCEVERIFY,
        OP.OP_DROP,
        pub,
        OP.OP_CHECKSIG,
      ]),
    };
    const internal = getPublicKey(new Uint8Array(32).fill(9));
    const tree = buildScriptTree([
      [{ script: leaves.single }, { script: leaves.chain }],
      [{ script: leaves.cltv }, { script: leaves.csv }],
    ]);
    const output = taprootScript(tweakPublicKey(internal, tree.merkleRoot));

    function spendLeaf(
      leaf: number,
      signers: Uint8Array[],
      opts: { locktime?: number; sequence?: number; leafHash?: Uint8Array } = {},
    ) {
      const coins = [coin(output, 80_000n, 7)];
      const tx = buildUnsignedTx(coins, [{ value: 79_000n, script: output }], opts);
      const info = tree.leaves[leaf]!;
      const digest = sighashLotus(tx, 0, coins, 0x61, {
        codeSeparatorPos: 0xffffffff,
        executedScriptHash: opts.leafHash ?? info.leafHash,
      });
      const sigs = signers.map((key) => concatBytes(schnorrSign(digest, key), Uint8Array.of(0x61)));
      tx.inputs[0]!.scriptSig = concatBytes(
        ...sigs.reverse().map(rawPush),
        rawPush(info.script),
        rawPush(controlBlock(internal, info.merklePath)),
      );
      return verifyTransaction(tx, coins);
    }

    it('accepts <key> OP_CHECKSIG and a CHECKSIGVERIFY chain signed over the tapleaf hash', () => {
      expect(spendLeaf(0, [sk])).toEqual({ ok: true });
      expect(spendLeaf(1, [sk, other])).toEqual({ ok: true });
    });

    it('rejects a leaf signature that commits to the wrong executed script', () => {
      expect(spendLeaf(0, [sk], { leafHash: sha256d(leaves.single) })).toMatchObject({
        ok: false,
        reason: 'NULLFAIL',
      });
      expect(spendLeaf(1, [other, sk])).toMatchObject({ ok: false });
    });

    it('enforces CLTV and CSV leaves', () => {
      expect(spendLeaf(2, [sk], { locktime: 10_000, sequence: 0xfffffffe })).toEqual({ ok: true });
      expect(spendLeaf(2, [sk], { locktime: 9_999, sequence: 0xfffffffe })).toMatchObject({
        reason: 'UNSATISFIED_LOCKTIME',
      });
      expect(spendLeaf(2, [sk], { locktime: 10_000 })).toMatchObject({
        reason: 'UNSATISFIED_LOCKTIME',
      });
      expect(spendLeaf(3, [sk], { sequence: 144 })).toEqual({ ok: true });
      expect(spendLeaf(3, [sk], { sequence: 143 })).toMatchObject({
        reason: 'UNSATISFIED_LOCKTIME',
      });
    });

    it('rejects a control block for another tree', () => {
      const coins = [coin(output, 80_000n, 7)];
      const tx = buildUnsignedTx(coins, [{ value: 79_000n, script: output }]);
      tx.inputs[0]!.scriptSig = concatBytes(rawPush(leaves.single), rawPush(controlBlock(pub, [])));
      expect(verifyTransaction(tx, coins)).toMatchObject({
        ok: false,
        reason: 'TAPROOT_VERIFY_COMMITMENT_FAILED',
      });
    });
  });

  // lotusd VerifyTaprootSpend (script/interpreter.cpp:2113-2135) checks the control block's size,
  // then its leaf version, then the commitment.
  describe('Taproot script path, checks in lotusd order', () => {
    const internal = getPublicKey(new Uint8Array(32).fill(9));
    const leaf = buildScript([pub, OP.OP_CHECKSIG]);

    /** A correctly committed leaf of `leafVersion`, signed over its tapleaf hash. */
    function spend(leafVersion: number, editControl = (c: Uint8Array) => c) {
      const tree = buildScriptTree([
        { script: leaf, leafVersion },
        { script: buildScript([OP.OP_RETURN]) },
      ]);
      const output = taprootScript(tweakPublicKey(internal, tree.merkleRoot));
      const coins = [coin(output, 80_000n, 8)];
      const tx = buildUnsignedTx(coins, [{ value: 79_000n, script: output }]);
      const info = tree.leaves[0]!;
      const digest = sighashLotus(tx, 0, coins, 0x61, {
        codeSeparatorPos: 0xffffffff,
        executedScriptHash: tapLeafHash(leaf, leafVersion),
      });
      tx.inputs[0]!.scriptSig = concatBytes(
        rawPush(concatBytes(schnorrSign(digest, sk), Uint8Array.of(0x61))),
        rawPush(leaf),
        rawPush(editControl(controlBlock(internal, info.merklePath, leafVersion))),
      );
      return verifyTransaction(tx, coins);
    }

    it('accepts the leaf under version 0xc0', () => {
      expect(spend(0xc0)).toEqual({ ok: true });
    });

    it('refuses a leaf committed under version 0x00 even though its commitment verifies', () => {
      expect(spend(0x00)).toMatchObject({
        ok: false,
        reason: 'TAPROOT_LEAF_VERSION_NOT_SUPPORTED',
      });
      expect(spend(0xc2)).toMatchObject({ reason: 'TAPROOT_LEAF_VERSION_NOT_SUPPORTED' });
    });

    it('checks the leaf version before the commitment', () => {
      const flipKeyByte = (c: Uint8Array) => c.map((b, i) => (i === 5 ? b ^ 1 : b));
      expect(spend(0x00, flipKeyByte)).toMatchObject({
        reason: 'TAPROOT_LEAF_VERSION_NOT_SUPPORTED',
      });
      expect(spend(0xc0, flipKeyByte)).toMatchObject({
        reason: 'TAPROOT_VERIFY_COMMITMENT_FAILED',
      });
    });

    it('refuses a control block that is not 33 + 32n bytes before looking at its version', () => {
      const extraByte = (c: Uint8Array) => concatBytes(c, Uint8Array.of(0));
      expect(spend(0xc0, extraByte)).toMatchObject({
        ok: false,
        reason: 'TAPROOT_WRONG_CONTROL_SIZE',
      });
      expect(spend(0x00, extraByte)).toMatchObject({ reason: 'TAPROOT_WRONG_CONTROL_SIZE' });
      expect(spend(0xc0, (c) => c.subarray(0, 32))).toMatchObject({
        reason: 'TAPROOT_WRONG_CONTROL_SIZE',
      });
      expect(spend(0xc0, () => new Uint8Array(0))).toMatchObject({
        reason: 'TAPROOT_WRONG_CONTROL_SIZE',
      });
    });

    it('refuses a control block over 520 bytes as a push, before any Taproot check', () => {
      // Depth 16: 33 + 16 × 32 = 545 bytes, which the scriptSig cannot push.
      const deep = (c: Uint8Array) => concatBytes(c, new Uint8Array(15 * 32));
      expect(spend(0xc0, deep)).toMatchObject({ ok: false, reason: 'PUSH_SIZE' });
    });
  });
});

type ScriptRow = [...unknown[]];
const SUPPORTED = new Set<number>([
  ...Array.from({ length: 0x61 }, (_, i) => i),
  OP.OP_NOP,
  OP.OP_IF,
  OP.OP_NOTIF,
  OP.OP_ELSE,
  OP.OP_ENDIF,
  OP.OP_VERIFY,
  OP.OP_RETURN,
  OP.OP_TOALTSTACK,
  OP.OP_FROMALTSTACK,
  OP.OP_DROP,
  OP.OP_2DROP,
  OP.OP_DUP,
  OP.OP_2DUP,
  OP.OP_NIP,
  OP.OP_OVER,
  OP.OP_SWAP,
  OP.OP_DEPTH,
  OP.OP_SIZE,
  OP.OP_EQUAL,
  OP.OP_EQUALVERIFY,
  OP.OP_1ADD,
  OP.OP_1SUB,
  OP.OP_NEGATE,
  OP.OP_ABS,
  OP.OP_NOT,
  OP.OP_0NOTEQUAL,
  OP.OP_ADD,
  OP.OP_SUB,
  OP.OP_BOOLAND,
  OP.OP_BOOLOR,
  OP.OP_NUMEQUAL,
  OP.OP_NUMEQUALVERIFY,
  OP.OP_NUMNOTEQUAL,
  OP.OP_LESSTHAN,
  OP.OP_GREATERTHAN,
  OP.OP_LESSTHANOREQUAL,
  OP.OP_GREATERTHANOREQUAL,
  OP.OP_MIN,
  OP.OP_MAX,
  OP.OP_WITHIN,
  OP.OP_RIPEMD160,
  OP.OP_SHA256,
  OP.OP_HASH160,
  OP.OP_HASH256,
  // Disabled on Lotus: in scope, since the verifier must refuse them wherever they appear.
  ...DISABLED_OPCODES,
]);

function inScope(script: Uint8Array): boolean {
  try {
    return parseScript(script).every((c) => SUPPORTED.has(c.opcode));
  } catch {
    return false;
  }
}

describe("lotusd script_tests.json (signature-free rows in the verifier's scope)", () => {
  const rows = loadVectors<unknown[]>('lotusd/script_tests.json').filter(
    (r): r is ScriptRow => Array.isArray(r) && r.length >= 4,
  );
  const selected: {
    sig: Uint8Array;
    pub: Uint8Array;
    amount: bigint;
    flags: string;
    expected: string;
    comment: string;
  }[] = [];
  for (const row of rows) {
    const withAmount = Array.isArray(row[0]);
    const [sigAsm, pubAsm, flags, expected, comment] = (
      withAmount ? row.slice(1) : row
    ) as string[];
    const flagList = (flags ?? '').split(',').filter(Boolean);
    if (
      !flagList.every((f) => ['MINIMALIF', 'DISCOURAGE_UPGRADABLE_NOPS', 'CLEANSTACK'].includes(f))
    )
      continue;
    let sig: Uint8Array;
    let pubScript: Uint8Array;
    try {
      sig = parseAsm(sigAsm as string);
      pubScript = parseAsm(pubAsm as string);
    } catch {
      continue;
    }
    if (!inScope(sig) || !inScope(pubScript)) continue;
    if (classifyScript(pubScript).type === 'p2sh') continue; // P2SH spends are out of scope
    const amount = withAmount ? BigInt(Math.round(Number((row[0] as number[])[0]) * 1e6)) : 0n;
    selected.push({
      sig,
      pub: pubScript,
      amount,
      flags: flags as string,
      expected: expected as string,
      comment: comment ?? '',
    });
  }

  it(`agrees with lotusd on all ${selected.length} selected rows`, () => {
    expect(selected.length).toBeGreaterThan(300);
    const disagreements: string[] = [];
    for (const row of selected) {
      const credit: Transaction = {
        version: 1,
        inputs: [
          {
            prevout: { txid: new Uint8Array(32), vout: 0xffffffff },
            scriptSig: Uint8Array.of(0, 0),
            sequence: 0xffffffff,
          },
        ],
        outputs: [{ value: row.amount, script: row.pub }],
        locktime: 0,
      };
      const spend: Transaction = {
        version: 1,
        inputs: [
          {
            prevout: { txid: txidBytes(credit), vout: 0 },
            scriptSig: row.sig,
            sequence: 0xffffffff,
          },
        ],
        outputs: [{ value: row.amount, script: new Uint8Array(0) }],
        locktime: 0,
      };
      const set = new Set(row.flags.split(','));
      const flags: PolicyFlags = {
        minimalIf: set.has('MINIMALIF'),
        discourageUpgradableNops: set.has('DISCOURAGE_UPGRADABLE_NOPS'),
        cleanStack: set.has('CLEANSTACK'),
      };
      const result = verifyTransaction(spend, [{ value: row.amount, script: row.pub }], { flags });
      const ok = result.ok;
      if (ok !== (row.expected === 'OK')) {
        disagreements.push(
          `${row.expected} vs ${ok ? 'OK' : (result as { reason: string }).reason}: ${row.comment}`,
        );
      }
    }
    expect(disagreements).toEqual([]);
  });
});

// tx_valid.json / tx_invalid.json: rows run are those whose spent scripts and scriptSigs use only
// in-scope opcodes and no signature opcodes. Their signatures are BCH-era legacy digests without
// FORKID, which Lotus consensus refuses (MUST_USE_FORKID), so signature rows are not comparable;
// P2SH spends and coinbase transactions are out of the verifier's scope. Rows are checked with
// their own (empty) flags.
describe('lotusd tx_valid.json / tx_invalid.json (signature-free rows in scope)', () => {
  const NO_POLICY: PolicyFlags = {
    minimalIf: false,
    discourageUpgradableNops: false,
    cleanStack: false,
  };
  const SIG_OPS = new Set<number>([
    OP.OP_CHECKSIG,
    OP.OP_CHECKSIGVERIFY,
    OP.OP_CHECKMULTISIG,
    OP.OP_CHECKMULTISIGVERIFY,
    OP.OP_CHECKDATASIG,
    OP.OP_CHECKDATASIGVERIFY,
  ]);
  const comparable = (script: Uint8Array) => {
    try {
      return parseScript(script).every(
        (c) =>
          !SIG_OPS.has(c.opcode) &&
          (SUPPORTED.has(c.opcode) ||
            c.opcode === OP.OP_CHECKLOCKTIMEVERIFY ||
            c.opcode === OP.OP_CHECKSEQUENCEVERIFY),
      );
    } catch {
      return true; // an unparsable script is simply invalid
    }
  };

  for (const [file, expectValid] of [
    ['tx_valid', true],
    ['tx_invalid', false],
  ] as const) {
    const rows = loadVectors<unknown[]>(`lotusd/${file}.json`).filter(
      (r): r is [[string, number, string, number?][], string, string] =>
        Array.isArray(r) && r.length === 3,
    );
    const selected = rows.filter(([prevs, raw]) => {
      let tx: Transaction;
      try {
        tx = parseTx(hexToBytes(raw));
      } catch {
        return !expectValid;
      }
      // Coinbase rows (a null prevout) are out of scope: the wallet never builds one.
      if (
        tx.inputs.some((i) => i.prevout.vout === 0xffffffff && i.prevout.txid.every((b) => b === 0))
      )
        return false;
      try {
        return (
          prevs.every(
            ([, , asm]) =>
              comparable(parseAsm(asm)) && classifyScript(parseAsm(asm)).type !== 'p2sh',
          ) && tx.inputs.every((i) => comparable(i.scriptSig))
        );
      } catch {
        return false;
      }
    });

    it(`${file}: all ${selected.length} selected rows get lotusd's verdict`, () => {
      expect(selected.length).toBeGreaterThan(expectValid ? 3 : 30);
      for (const [prevs, raw] of selected) {
        let ok: boolean;
        try {
          const tx = parseTx(hexToBytes(raw));
          const spent = tx.inputs.map((input) => {
            const prev = prevs.find(
              ([id, vout]) =>
                bytesToHexSafe(txidFromHex(id)) === bytesToHexSafe(input.prevout.txid) &&
                vout >>> 0 === input.prevout.vout,
            );
            if (!prev) throw new Error('missing prevout');
            return { value: BigInt(prev[3] ?? 0), script: parseAsm(prev[2]) };
          });
          ok = verifyTransaction(tx, spent, { flags: NO_POLICY }).ok;
        } catch {
          ok = false;
        }
        expect(ok, raw.slice(0, 60)).toBe(expectValid);
      }
    });
  }
});

function bytesToHexSafe(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
