/**
 * The wallet's local verifier: a Lotus script interpreter for everything Petal creates or spends.
 * It always applies the strict rules lotusd enforces for standard transactions (MINIMALDATA,
 * push-only scriptSigs, strict DER and low S, NULLFAIL, CLEANSTACK, FORKID-or-LOTUS hash types).
 * The wallet never broadcasts a transaction this rejects.
 *
 * In scope: push opcodes, flow control, stack ops, EQUAL/VERIFY, small-number arithmetic, hashes,
 * CODESEPARATOR, CHECKSIG(VERIFY), CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY, P2PKH, Taproot key
 * path and Taproot script path. Out of scope (ScriptError 'UNSUPPORTED'): P2SH, multisig, data
 * signatures and the byte-string opcodes, which Petal never creates.
 *
 * Failures carry lotusd's ScriptError enum name as `reason` (`NULLFAIL` stands for SIG_NULLFAIL),
 * raised in the node's order of checks; script-errors.ts turns a reason into the node's reject
 * string. Finality (nLockTime, BIP68) needs the chain and lives in finality.ts.
 */
import { ripemd160 } from '@noble/hashes/legacy.js';
import { N } from '../crypto/curve.ts';
import { ecdsaVerify } from '../crypto/ecdsa.ts';
import { hash160, sha256, sha256d } from '../crypto/hash.ts';
import { schnorrVerify } from '../crypto/schnorr.ts';
import { TAPROOT_LEAF_TAPSCRIPT, tapLeafHash, verifyTaprootCommitment } from '../crypto/taproot.ts';
import { ScriptError, SighashError } from './errors.ts';
import {
  LOCKTIME_THRESHOLD,
  SEQUENCE_LOCKTIME_DISABLE_FLAG,
  SEQUENCE_LOCKTIME_MASK,
  SEQUENCE_LOCKTIME_TYPE_FLAG,
} from './finality.ts';
import { OP } from './opcodes.ts';
import { type ScriptChunk, encodeScriptNum, parseScript } from './script.ts';
import {
  type ExecutionData,
  NO_REPLAY_PROTECTION,
  type ReplayProtection,
  type LotusTxData,
  precomputeLotus,
  sighashForkId,
  sighashLotus,
} from './sighash.ts';
import { classifyScript } from './templates.ts';
import { MAX_MONEY, type SpentOutput, type Transaction, serializeTx } from './transaction.ts';
import { bytesToHex } from '@noble/hashes/utils.js';

const MAX_SCRIPT_ELEMENT = 520;
/** lotusd script/script.h:32 (MAX_SCRIPT_SIZE), checked at the start of EvalScript. */
const MAX_SCRIPT_SIZE = 10_000;
// Control block `(leaf version | parity) ‖ internal key x ‖ 32-byte nodes`, lotusd
// script/taproot.h:15-22 and :33.
const TAPROOT_LEAF_MASK = 0xfe;
const TAPROOT_CONTROL_BASE_SIZE = 33;
const TAPROOT_CONTROL_NODE_SIZE = 32;
const TAPROOT_CONTROL_MAX_SIZE = TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * 128;
const TAPROOT_ANNEX_TAG = 0x50;
const MAX_STACK = 1000;
/** Lotus counts non-push opcodes, executed or not, up to 400 per script (Bitcoin: 201). */
const MAX_OPS = 400;
/** Lotus script numbers are up to 8 bytes (64-bit); results must stay in that range. */
const MAX_NUM_SIZE = 8;
const MAX_NUM = (1n << 63n) - 1n;
/**
 * Opcodes Lotus disables: they fail wherever they appear, even in an unexecuted branch
 * (derived from lotusd's script_tests.json DISABLED_OPCODE rows).
 */
export const DISABLED_OPCODES: ReadonlySet<number> = new Set<number>([
  OP.OP_RESERVED,
  OP.OP_RESERVED1,
  OP.OP_RESERVED2,
  OP.OP_VERIF,
  OP.OP_VERNOTIF,
  OP.OP_SHA1,
  OP.OP_IFDUP,
  OP.OP_NUMEQUAL,
  OP.OP_NUMEQUALVERIFY,
  OP.OP_NUMNOTEQUAL,
  OP.OP_INVERT,
  OP.OP_2MUL,
  OP.OP_2DIV,
  OP.OP_MUL,
]);
const MAX_TX_SIZE = 1_000_000;

type Stack = Uint8Array[];

/** Policy rules lotusd applies to standard transactions; the wallet always enables all three. */
export interface PolicyFlags {
  minimalIf: boolean;
  discourageUpgradableNops: boolean;
  cleanStack: boolean;
}

export const STANDARD_POLICY: PolicyFlags = {
  minimalIf: true,
  discourageUpgradableNops: true,
  cleanStack: true,
};

interface Context {
  flags: PolicyFlags;
  tx: Transaction;
  index: number;
  spent: SpentOutput[];
  replay: ReplayProtection;
  /** The hash committed to as "executed script" (H2(scriptPubKey), or the tapleaf hash). */
  executedScriptHash: Uint8Array;
  /** SIGHASH_LOTUS's per-transaction parts, computed once for every input's signature. */
  lotus: { data?: LotusTxData };
}

export type VerifyResult =
  { ok: true } | { ok: false; inputIndex: number; reason: string; message: string };

/** Verifies every input of a transaction against the outputs it spends. Never throws. */
export function verifyTransaction(
  tx: Transaction,
  spent: SpentOutput[],
  options: { replay?: ReplayProtection; flags?: PolicyFlags } = {},
): VerifyResult {
  if (spent.length !== tx.inputs.length) {
    return {
      ok: false,
      inputIndex: -1,
      reason: 'MISSING_SPENT_OUTPUTS',
      message: 'One spent output per input is required',
    };
  }
  try {
    checkTransaction(tx);
  } catch (err) {
    return {
      ok: false,
      inputIndex: -1,
      reason: (err as ScriptError).reason,
      message: (err as Error).message,
    };
  }
  // Shared by every input: a 256-input spend hashes its merkle roots once, not 256 times.
  const lotus: Context['lotus'] = {};
  for (let index = 0; index < tx.inputs.length; index++) {
    try {
      verifyInput(
        tx,
        index,
        spent,
        options.replay ?? NO_REPLAY_PROTECTION,
        options.flags ?? STANDARD_POLICY,
        lotus,
      );
    } catch (err) {
      const reason = err instanceof ScriptError ? err.reason : 'UNKNOWN_ERROR';
      return { ok: false, inputIndex: index, reason, message: (err as Error).message };
    }
  }
  return { ok: true };
}

/**
 * lotusd's CheckTransaction rules for a non-coinbase transaction: inputs and outputs present,
 * every value and the total in the money range, no input spent twice, no null prevout, and at
 * most 1,000,000 bytes.
 */
export function checkTransaction(tx: Transaction): void {
  if (tx.inputs.length === 0)
    throw new ScriptError('bad-txns-vin-empty', 'Transaction has no inputs');
  if (tx.outputs.length === 0)
    throw new ScriptError('bad-txns-vout-empty', 'Transaction has no outputs');
  if (serializeTx(tx).length > MAX_TX_SIZE)
    throw new ScriptError('bad-txns-oversize', 'Transaction over 1,000,000 bytes');
  let total = 0n;
  for (const out of tx.outputs) {
    // consensus/tx_check.cpp:32-50
    if (out.value < 0n) throw new ScriptError('bad-txns-vout-negative', 'Negative output value');
    if (out.value > MAX_MONEY)
      throw new ScriptError('bad-txns-vout-toolarge', 'Output value out of range');
    total += out.value;
    if (total > MAX_MONEY)
      throw new ScriptError('bad-txns-txouttotal-toolarge', 'Output total out of range');
  }
  const seen = new Set<string>();
  // consensus/tx_check.cpp:86-102: per input, the null check before the duplicate check.
  for (const input of tx.inputs) {
    if (input.prevout.vout === 0xffffffff && input.prevout.txid.every((b) => b === 0)) {
      throw new ScriptError('bad-txns-prevout-null', 'Null prevout in a non-coinbase transaction');
    }
    const key = `${bytesToHex(input.prevout.txid)}:${input.prevout.vout}`;
    if (seen.has(key))
      throw new ScriptError('bad-txns-inputs-duplicate', 'An input is spent twice');
    seen.add(key);
  }
}

/** Verifies one input; throws ScriptError with a reason code on failure. */
export function verifyInput(
  tx: Transaction,
  index: number,
  spent: SpentOutput[],
  replay: ReplayProtection,
  flags: PolicyFlags = STANDARD_POLICY,
  lotus: Context['lotus'] = {},
): void {
  const input = tx.inputs[index];
  const out = spent[index];
  if (!input || !out) throw new ScriptError('MISSING_SPENT_OUTPUTS');
  // An unparsable scriptSig is not push-only either (script/script.cpp:425-441).
  let scriptSig: ScriptChunk[] | undefined;
  try {
    scriptSig = parseScript(input.scriptSig);
  } catch {
    scriptSig = undefined;
  }
  if (!scriptSig?.every((c) => c.opcode <= OP.OP_16))
    throw new ScriptError('SIG_PUSHONLY', 'scriptSig must be push-only');
  const stack: Stack = [];
  const ctx: Context = {
    flags,
    tx,
    index,
    spent,
    replay,
    executedScriptHash: sha256d(out.script),
    lotus,
  };
  evaluate(scriptSig, stack, ctx, input.scriptSig);

  if (out.script[0] === OP.OP_SCRIPTTYPE) {
    // VerifyScriptType, script/interpreter.cpp:2158-2174: only type OP_1 (Taproot) is defined.
    if (out.script.length > 1 && out.script[1] !== OP.OP_1)
      throw new ScriptError('SCRIPTTYPE_INVALID_TYPE');
    const kind = classifyScript(out.script);
    // IsPayToTaproot (script/taproot.cpp:68-87) failing: interpreter.cpp:2083-2085.
    if (kind.type !== 'taproot') throw new ScriptError('SCRIPTTYPE_MALFORMED_SCRIPT');
    return verifyTaproot(stack, kind.payload as Uint8Array, kind.state, ctx);
  }
  const kind = classifyScript(out.script);
  if (kind.type === 'p2sh')
    throw new ScriptError('UNSUPPORTED', 'P2SH spends are outside the wallet verifier');
  evaluate(parseScript(out.script), stack, ctx, out.script);
  finish(stack, ctx.flags.cleanStack);
}

/**
 * lotusd's VerifyTaprootSpend (script/interpreter.cpp:2074-2156), check for check in the node's
 * order, so a failing spend gets the node's ScriptError.
 */
function verifyTaproot(
  stack: Stack,
  commitment: Uint8Array,
  state: Uint8Array | undefined,
  ctx: Context,
): void {
  // interpreter.cpp:2090-2092
  if (stack.length === 0) throw new ScriptError('INVALID_STACK_OPERATION', 'Empty Taproot spend');
  // interpreter.cpp:2093-2096
  if (stack.length >= 2 && stack.at(-1)?.[0] === TAPROOT_ANNEX_TAG)
    throw new ScriptError('TAPROOT_ANNEX_NOT_SUPPORTED');
  if (stack.length === 1) return verifyTaprootKeySpend(stack[0] as Uint8Array, commitment, ctx);

  const control = stack.pop() as Uint8Array;
  const script = stack.pop() as Uint8Array;
  // interpreter.cpp:2119-2126: 33 + 32n bytes, at most 128 nodes. A block over 520 bytes never
  // gets here: pushing it in the scriptSig already failed with PUSH_SIZE (interpreter.cpp:253).
  if (
    control.length < TAPROOT_CONTROL_BASE_SIZE ||
    control.length > TAPROOT_CONTROL_MAX_SIZE ||
    (control.length - TAPROOT_CONTROL_BASE_SIZE) % TAPROOT_CONTROL_NODE_SIZE !== 0
  ) {
    throw new ScriptError('TAPROOT_WRONG_CONTROL_SIZE');
  }
  // interpreter.cpp:2127-2130: checked before the commitment, so a leaf committed under another
  // version (0x00 included) fails here even though its merkle path is correct.
  const leafVersion = (control[0] as number) & TAPROOT_LEAF_MASK;
  if (leafVersion !== TAPROOT_LEAF_TAPSCRIPT)
    throw new ScriptError('TAPROOT_LEAF_VERSION_NOT_SUPPORTED');
  // interpreter.cpp:2131-2135
  if (!verifyTaprootCommitment(commitment, control, script))
    throw new ScriptError('TAPROOT_VERIFY_COMMITMENT_FAILED');
  // interpreter.cpp:2136-2140: the state is pushed onto the stack for the leaf script.
  if (state) stack.push(state);
  ctx.executedScriptHash = tapLeafHash(script, leafVersion);
  evaluate(parseScript(script), stack, ctx, script);
  // interpreter.cpp:2147-2154: EVAL_FALSE, then CLEANSTACK, which is a consensus flag on Lotus
  // (policy/policy.h:64-65).
  finish(stack, true);
}

/** The key path: interpreter.cpp:2097-2112 with sigencoding.cpp's key-spend rules. */
function verifyTaprootKeySpend(sig: Uint8Array, commitment: Uint8Array, ctx: Context): void {
  if (sig.length > 0) {
    // sigencoding.cpp:163-167: a non-64-byte body would be ECDSA, refused on the key path.
    if (sig.length !== 65)
      throw new ScriptError('TAPROOT_KEY_SPEND_MUST_USE_SCHNORR_SIG', 'Key path needs Schnorr');
    checkHashType(sig[64] as number, true);
  }
  checkPubKeyEncoding(commitment);
  if (sig.length === 0) throw new ScriptError('TAPROOT_VERIFY_SIGNATURE_FAILED');
  const digest = signatureHash(() =>
    sighashLotus(
      ctx.tx,
      ctx.index,
      ctx.spent,
      sig[64] as number,
      undefined,
      ctx.replay,
      lotusData(ctx),
    ),
  );
  if (!digest || !schnorrVerify(sig.subarray(0, 64), digest, commitment))
    throw new ScriptError('TAPROOT_VERIFY_SIGNATURE_FAILED');
}

function lotusData(ctx: Context): LotusTxData {
  ctx.lotus.data ??= precomputeLotus(ctx.tx, ctx.spent);
  return ctx.lotus.data;
}

function finish(stack: Stack, cleanStack: boolean): void {
  if (stack.length === 0 || !castToBool(stack.at(-1) as Uint8Array))
    throw new ScriptError('EVAL_FALSE', 'Script evaluated to false');
  if (cleanStack && stack.length !== 1)
    throw new ScriptError('CLEANSTACK', 'Stack must hold exactly one element');
}

export function castToBool(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 0) return !(i === v.length - 1 && v[i] === 0x80);
  }
  return false;
}

function decodeNum(v: Uint8Array, maxLength = MAX_NUM_SIZE): bigint {
  if (v.length > maxLength) throw new ScriptError('INVALID_NUMBER_RANGE', 'Script number overflow');
  if (
    v.length > 0 &&
    ((v.at(-1) as number) & 0x7f) === 0 &&
    (v.length === 1 || ((v.at(-2) as number) & 0x80) === 0)
  ) {
    throw new ScriptError('MINIMALDATA', 'Non-minimal script number');
  }
  let result = 0n;
  for (let i = 0; i < v.length; i++) result |= BigInt(v[i] as number) << BigInt(8 * i);
  if (v.length > 0 && ((v.at(-1) as number) & 0x80) !== 0) {
    return -(result & ~(0x80n << BigInt(8 * (v.length - 1))));
  }
  return result;
}

function encodeNum(n: bigint): Uint8Array {
  if (n > MAX_NUM || n < -MAX_NUM)
    throw new ScriptError('INVALID_NUMBER_RANGE', 'Script number overflow');
  return encodeScriptNum(n);
}

function checkMinimalPush(chunk: ScriptChunk): void {
  const data = chunk.data as Uint8Array;
  const op = chunk.opcode;
  if (data.length === 0) {
    if (op !== OP.OP_0) throw new ScriptError('MINIMALDATA');
  } else if (data.length === 1 && (data[0] as number) >= 1 && (data[0] as number) <= 16) {
    throw new ScriptError('MINIMALDATA');
  } else if (data.length === 1 && data[0] === 0x81) {
    throw new ScriptError('MINIMALDATA');
  } else if (data.length <= 75) {
    if (op !== data.length) throw new ScriptError('MINIMALDATA');
  } else if (data.length <= 255) {
    if (op !== OP.OP_PUSHDATA1) throw new ScriptError('MINIMALDATA');
  } else if (data.length <= 65535 && op !== OP.OP_PUSHDATA2) {
    throw new ScriptError('MINIMALDATA');
  }
}

/**
 * CheckSighashEncoding, sigencoding.cpp:217-240: a defined hash type first (base ALL/NONE/SINGLE,
 * no unused bits, not the reserved algorithm 0x20: script/sighashtype.h:101-120), then LOTUS on
 * the Taproot key path, then FORKID or LOTUS (SCRIPT_ENABLE_SIGHASH_FORKID is always on).
 */
function checkHashType(hashType: number, keySpend = false): void {
  const base = hashType & 0x1f;
  const algorithm = hashType & 0x60;
  if (base < 1 || base > 3 || algorithm === 0x20)
    throw new ScriptError('SIG_HASHTYPE', 'Undefined sighash type');
  if (keySpend && algorithm !== 0x60)
    throw new ScriptError('TAPROOT_KEY_SPEND_MUST_USE_LOTUS_SIGHASH');
  if (algorithm !== 0x40 && algorithm !== 0x60)
    throw new ScriptError('MUST_USE_FORKID', 'Signature must use FORKID or LOTUS');
}

/** CheckPubKeyEncoding, sigencoding.cpp:296-318: 33 bytes 02/03 or 65 bytes 04. */
function checkPubKeyEncoding(pubKey: Uint8Array): void {
  const ok =
    (pubKey.length === 33 && (pubKey[0] === 2 || pubKey[0] === 3)) ||
    (pubKey.length === 65 && pubKey[0] === 4);
  if (!ok) throw new ScriptError('PUBKEYTYPE');
}

/** BIP66 strict DER, IsValidDERSignatureEncoding (sigencoding.cpp:27-154); no hash type byte. */
function isValidDerSignature(sig: Uint8Array): boolean {
  const at = (i: number) => sig[i] as number;
  if (sig.length < 8 || sig.length > 72) return false;
  if (at(0) !== 0x30 || at(1) !== sig.length - 2) return false;
  if (at(2) !== 0x02) return false;
  const lenR = at(3);
  if (lenR === 0 || at(4) & 0x80 || lenR > sig.length - 7) return false;
  if (lenR > 1 && at(4) === 0 && !(at(5) & 0x80)) return false;
  const startS = lenR + 4;
  if (at(startS) !== 0x02) return false;
  const lenS = at(startS + 1);
  if (lenS === 0 || at(startS + 2) & 0x80) return false;
  if (startS + lenS + 2 !== sig.length) return false;
  if (lenS > 1 && at(startS + 2) === 0 && !(at(startS + 3) & 0x80)) return false;
  return true;
}

/**
 * CPubKey::CheckLowS (pubkey.cpp:365-376) on a strict-DER signature: S ≤ n/2. A lax parse turns
 * an S at or above n into zero, which is low.
 */
function hasLowS(der: Uint8Array): boolean {
  const startS = (der[3] as number) + 4;
  let s = 0n;
  for (const b of der.subarray(startS + 2)) s = (s << 8n) | BigInt(b);
  return s >= N || s <= N >> 1n;
}

/**
 * CheckTransactionSignatureEncoding (sigencoding.cpp:242-270): an empty signature passes; a
 * 64-byte body is Schnorr; anything else must be strict DER with low S; then the hash type.
 */
function checkSignatureEncoding(sig: Uint8Array): void {
  if (sig.length === 0) return;
  const body = sig.subarray(0, -1);
  if (body.length !== 64) {
    if (!isValidDerSignature(body)) throw new ScriptError('SIG_DER', 'Non-canonical DER signature');
    if (!hasLowS(body)) throw new ScriptError('SIG_HIGH_S', 'ECDSA signature with a high S');
  }
  checkHashType(sig.at(-1) as number);
}

/** A digest lotusd cannot compute (SignatureHash returns false) makes CheckSig false. */
function signatureHash(compute: () => Uint8Array): Uint8Array | undefined {
  try {
    return compute();
  } catch (err) {
    if (err instanceof SighashError) return undefined;
    throw err;
  }
}

/**
 * EvalChecksig (script/interpreter.cpp:186-216): encodings of the signature and the key, then an
 * empty signature is a plain false, and a failing non-empty one is SIG_NULLFAIL. 64-byte bodies
 * are Schnorr, anything else ECDSA (interpreter.cpp:1900-1908).
 */
function checkSig(
  sig: Uint8Array,
  pubKey: Uint8Array,
  ctx: Context,
  scriptCode: Uint8Array,
  codeSepPos: number,
): boolean {
  checkSignatureEncoding(sig);
  checkPubKeyEncoding(pubKey);
  if (sig.length === 0) return false;
  const hashType = sig.at(-1) as number;
  const body = sig.subarray(0, -1);
  const execution: ExecutionData = {
    codeSeparatorPos: codeSepPos,
    executedScriptHash: ctx.executedScriptHash,
  };
  const digest = signatureHash(() =>
    (hashType & 0x60) === 0x60
      ? sighashLotus(ctx.tx, ctx.index, ctx.spent, hashType, execution, ctx.replay, lotusData(ctx))
      : sighashForkId(
          ctx.tx,
          ctx.index,
          scriptCode,
          (ctx.spent[ctx.index] as SpentOutput).value,
          hashType,
          ctx.replay,
        ),
  );
  const ok =
    digest !== undefined &&
    (body.length === 64 ? schnorrVerify(body, digest, pubKey) : ecdsaVerify(body, digest, pubKey));
  if (!ok)
    throw new ScriptError('NULLFAIL', 'Signature is invalid (a failing signature must be empty)');
  return true;
}

function evaluate(chunks: ScriptChunk[], stack: Stack, ctx: Context, script: Uint8Array): void {
  // script/interpreter.cpp:235-237
  if (script.length > MAX_SCRIPT_SIZE) throw new ScriptError('SCRIPT_SIZE', 'Script is too big');
  const alt: Stack = [];
  const exec: boolean[] = [];
  let ops = 0;
  let codeSepPos = 0xffffffff;
  let scriptCodeStart = 0;
  // Byte offset of each opcode, for FORKID's scriptCode after OP_CODESEPARATOR.
  const offsets: number[] = [];
  let position = 0;
  for (const c of chunks) {
    offsets.push(position);
    position += c.data === undefined ? 1 : rawLength(c);
  }
  const pop = (): Uint8Array => {
    const v = stack.pop();
    if (!v) throw new ScriptError('INVALID_STACK_OPERATION');
    return v;
  };
  const top = (depth = 1): Uint8Array => {
    const v = stack[stack.length - depth];
    if (!v) throw new ScriptError('INVALID_STACK_OPERATION');
    return v;
  };
  const num = (v: Uint8Array) => decodeNum(v);
  const bool = (b: boolean) => (b ? Uint8Array.of(1) : new Uint8Array(0));

  chunks.forEach((chunk, index) => {
    const executing = exec.every(Boolean);
    const op = chunk.opcode;
    if (chunk.data !== undefined) {
      if (chunk.data.length > MAX_SCRIPT_ELEMENT) throw new ScriptError('PUSH_SIZE');
      if (executing) {
        checkMinimalPush(chunk);
        stack.push(chunk.data);
      }
      return;
    }
    if (op > OP.OP_16 && ++ops > MAX_OPS)
      throw new ScriptError('OP_COUNT', 'More than 400 opcodes');
    if (DISABLED_OPCODES.has(op) || op > OP.OP_REVERSEBYTES)
      throw new ScriptError('DISABLED_OPCODE', `Opcode 0x${op.toString(16)} is disabled`);
    // script/interpreter.cpp:267-269: a marker only, failing even in an unexecuted branch.
    if (op === OP.OP_SCRIPTTYPE)
      throw new ScriptError('INVALID_OP_SCRIPTTYPE', 'OP_SCRIPTTYPE inside a script');
    if (!executing && !(op >= OP.OP_IF && op <= OP.OP_ENDIF)) return;
    if (op >= OP.OP_1 && op <= OP.OP_16) {
      stack.push(encodeNum(BigInt(op - OP.OP_1 + 1)));
      return;
    }
    switch (op) {
      case OP.OP_0:
        stack.push(new Uint8Array(0));
        break;
      case OP.OP_1NEGATE:
        stack.push(Uint8Array.of(0x81));
        break;
      case OP.OP_NOP:
      case OP.OP_NOP1:
      case OP.OP_NOP4:
      case OP.OP_NOP5:
      case OP.OP_NOP6:
      case OP.OP_NOP7:
      case OP.OP_NOP8:
      case OP.OP_NOP9:
      case OP.OP_NOP10:
        if (op !== OP.OP_NOP && ctx.flags.discourageUpgradableNops)
          throw new ScriptError('DISCOURAGE_UPGRADABLE_NOPS');
        break;
      case OP.OP_IF:
      case OP.OP_NOTIF: {
        let value = false;
        if (executing) {
          const v = pop();
          if (ctx.flags.minimalIf && (v.length > 1 || (v.length === 1 && v[0] !== 1)))
            throw new ScriptError('MINIMALIF');
          value = castToBool(v) === (op === OP.OP_IF);
        }
        exec.push(value);
        break;
      }
      case OP.OP_ELSE:
        if (exec.length === 0) throw new ScriptError('UNBALANCED_CONDITIONAL');
        exec[exec.length - 1] = !exec.at(-1);
        break;
      case OP.OP_ENDIF:
        if (exec.length === 0) throw new ScriptError('UNBALANCED_CONDITIONAL');
        exec.pop();
        break;
      case OP.OP_VERIFY:
        if (!castToBool(pop())) throw new ScriptError('VERIFY');
        break;
      case OP.OP_RETURN:
        throw new ScriptError('OP_RETURN');
      case OP.OP_TOALTSTACK:
        alt.push(pop());
        break;
      case OP.OP_FROMALTSTACK: {
        const v = alt.pop();
        if (!v) throw new ScriptError('INVALID_ALTSTACK_OPERATION');
        stack.push(v);
        break;
      }
      case OP.OP_DROP:
        pop();
        break;
      case OP.OP_2DROP:
        pop();
        pop();
        break;
      case OP.OP_DUP:
        stack.push(top());
        break;
      case OP.OP_2DUP: {
        const [a, b] = [top(2), top(1)];
        stack.push(a, b);
        break;
      }
      case OP.OP_NIP: {
        const b = pop();
        pop();
        stack.push(b);
        break;
      }
      case OP.OP_OVER:
        stack.push(top(2));
        break;
      case OP.OP_SWAP: {
        const b = pop();
        const a = pop();
        stack.push(b, a);
        break;
      }
      case OP.OP_DEPTH:
        stack.push(encodeNum(BigInt(stack.length)));
        break;
      case OP.OP_SIZE:
        stack.push(encodeNum(BigInt(top().length)));
        break;
      case OP.OP_EQUAL:
      case OP.OP_EQUALVERIFY: {
        const b = pop();
        const a = pop();
        const equal = a.length === b.length && a.every((v, i) => v === b[i]);
        if (op === OP.OP_EQUALVERIFY) {
          if (!equal) throw new ScriptError('EQUALVERIFY');
        } else stack.push(bool(equal));
        break;
      }
      case OP.OP_1ADD:
        stack.push(encodeNum(num(pop()) + 1n));
        break;
      case OP.OP_1SUB:
        stack.push(encodeNum(num(pop()) - 1n));
        break;
      case OP.OP_NEGATE:
        stack.push(encodeNum(-num(pop())));
        break;
      case OP.OP_ABS: {
        const n = num(pop());
        stack.push(encodeNum(n < 0n ? -n : n));
        break;
      }
      case OP.OP_NOT:
        stack.push(bool(num(pop()) === 0n));
        break;
      case OP.OP_0NOTEQUAL:
        stack.push(bool(num(pop()) !== 0n));
        break;
      case OP.OP_ADD:
      case OP.OP_SUB:
      case OP.OP_BOOLAND:
      case OP.OP_BOOLOR:
      case OP.OP_LESSTHAN:
      case OP.OP_GREATERTHAN:
      case OP.OP_LESSTHANOREQUAL:
      case OP.OP_GREATERTHANOREQUAL:
      case OP.OP_MIN:
      case OP.OP_MAX: {
        const b = num(pop());
        const a = num(pop());
        const results: Record<number, bigint | boolean> = {
          [OP.OP_ADD]: a + b,
          [OP.OP_SUB]: a - b,
          [OP.OP_BOOLAND]: a !== 0n && b !== 0n,
          [OP.OP_BOOLOR]: a !== 0n || b !== 0n,
          [OP.OP_LESSTHAN]: a < b,
          [OP.OP_GREATERTHAN]: a > b,
          [OP.OP_LESSTHANOREQUAL]: a <= b,
          [OP.OP_GREATERTHANOREQUAL]: a >= b,
          [OP.OP_MIN]: a < b ? a : b,
          [OP.OP_MAX]: a > b ? a : b,
        };
        const r = results[op] as bigint | boolean;
        stack.push(typeof r === 'boolean' ? bool(r) : encodeNum(r));
        break;
      }
      case OP.OP_WITHIN: {
        const max = num(pop());
        const min = num(pop());
        const x = num(pop());
        stack.push(bool(min <= x && x < max));
        break;
      }
      case OP.OP_RIPEMD160:
        stack.push(ripemd160(pop()));
        break;
      case OP.OP_SHA256:
        stack.push(sha256(pop()));
        break;
      case OP.OP_HASH160:
        stack.push(hash160(pop()));
        break;
      case OP.OP_HASH256:
        stack.push(sha256d(pop()));
        break;
      case OP.OP_CODESEPARATOR:
        codeSepPos = index;
        scriptCodeStart = (offsets[index] as number) + 1;
        break;
      case OP.OP_CHECKSIG:
      case OP.OP_CHECKSIGVERIFY: {
        const pubKey = pop();
        const sig = pop();
        const ok = checkSig(sig, pubKey, ctx, script.subarray(scriptCodeStart), codeSepPos);
        if (op === OP.OP_CHECKSIGVERIFY) {
          if (!ok) throw new ScriptError('CHECKSIGVERIFY');
        } else stack.push(bool(ok));
        break;
      }
      case OP.OP_CHECKLOCKTIMEVERIFY:
        checkLockTime(decodeNum(top(), 5), ctx);
        break;
      case OP.OP_CHECKSEQUENCEVERIFY:
        checkSequence(decodeNum(top(), 5), ctx);
        break;
      default:
        throw new ScriptError(
          'UNSUPPORTED',
          `Opcode 0x${op.toString(16)} is not supported by the wallet verifier`,
        );
    }
    if (stack.length + alt.length > MAX_STACK) throw new ScriptError('STACK_SIZE');
  });
  if (exec.length > 0) throw new ScriptError('UNBALANCED_CONDITIONAL');
}

function rawLength(c: ScriptChunk): number {
  const n = (c.data as Uint8Array).length;
  if (c.opcode < OP.OP_PUSHDATA1) return 1 + n;
  return 1 + (c.opcode === OP.OP_PUSHDATA1 ? 1 : c.opcode === OP.OP_PUSHDATA2 ? 2 : 4) + n;
}

/** BIP65 with lotusd's rules. */
function checkLockTime(lockTime: bigint, ctx: Context): void {
  if (lockTime < 0n) throw new ScriptError('NEGATIVE_LOCKTIME');
  const txLock = BigInt(ctx.tx.locktime);
  const threshold = BigInt(LOCKTIME_THRESHOLD);
  if (txLock < threshold !== lockTime < threshold)
    throw new ScriptError('UNSATISFIED_LOCKTIME', 'Locktime types differ');
  if (lockTime > txLock) throw new ScriptError('UNSATISFIED_LOCKTIME', 'Locktime not reached');
  if ((ctx.tx.inputs[ctx.index] as { sequence: number }).sequence === 0xffffffff) {
    throw new ScriptError('UNSATISFIED_LOCKTIME', 'Input is final, so locktime is not enforced');
  }
}

/** BIP112 with lotusd's rules. */
function checkSequence(sequence: bigint, ctx: Context): void {
  if (sequence < 0n) throw new ScriptError('NEGATIVE_LOCKTIME');
  const seq = Number(sequence & 0xffffffffn);
  if (seq & SEQUENCE_LOCKTIME_DISABLE_FLAG) return;
  if (ctx.tx.version < 2)
    throw new ScriptError('UNSATISFIED_LOCKTIME', 'CSV needs transaction version 2');
  const txSeq = (ctx.tx.inputs[ctx.index] as { sequence: number }).sequence;
  if (txSeq & SEQUENCE_LOCKTIME_DISABLE_FLAG)
    throw new ScriptError('UNSATISFIED_LOCKTIME', 'Input sequence disables relative locktime');
  const mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK;
  const a = txSeq & mask;
  const b = seq & mask;
  if (a < SEQUENCE_LOCKTIME_TYPE_FLAG !== b < SEQUENCE_LOCKTIME_TYPE_FLAG)
    throw new ScriptError('UNSATISFIED_LOCKTIME', 'Relative locktime types differ');
  if (b > a) throw new ScriptError('UNSATISFIED_LOCKTIME', 'Relative locktime not reached');
}
