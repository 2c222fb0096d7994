/**
 * The recovery path of a threshold vault (policy 2, docs/PROTOCOL.md §2.5) from both ends:
 *
 * - **Recovery.** A recovery-key holder spends the vault's coins alone through its leaf
 *   `<afterBlocks> OP_CHECKSEQUENCEVERIFY OP_DROP <key> OP_CHECKSIG` once each coin is old enough
 *   (`recoveryStatus`, `planRecoverySpend`, `signRecoverySpend`, `buildRecoverySpend`).
 * - **Refresh.** While the members are around, they pay coins that near that age back to the vault
 *   (`coinsNeedingRefresh`, `buildRefreshSpend`): a new coin's clock starts at its own
 *   confirmation, so the recovery key never gets to move funds whose members are still present.
 *
 * Age is counted as lotusd counts it (BIP68 height locks; consensus/tx_verify.cpp
 * CalculateSequenceLocks and validation.cpp CheckSequenceLocks, mirrored in finality.ts): a coin
 * confirmed in block h with a lock of N blocks may be spent in block h + N, so a node takes the
 * spend into its mempool once its tip is h + N − 1 — the coin has N confirmations. The b-csv10 rows
 * of lotusd-node-judged.json pin the boundary: CSV 10 refused with 9 confirmations, accepted with 10.
 *
 * Pure: no I/O. The caller reads coins and the tip from its indexer and broadcasts the signed bytes
 * with `broadcastOnEitherSide` (replay-side.ts), as a signature belongs to one side of lotusd's
 * replay-protection switch.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { estimateSize, inputSize } from '../chain/fees.ts';
import { verifyTransaction } from '../chain/interpreter.ts';
import {
  MAX_STANDARD_TX_SIZE,
  MIN_RELAY_FEE_PER_BYTE,
  assertStandard,
  dustThreshold,
} from '../chain/policy.ts';
import { rawPush } from '../chain/script.ts';
import {
  type ExecutionData,
  SIGHASH_ALL,
  SIGHASH_LOTUS,
  sighashLotus,
  withForkValue,
} from '../chain/sighash.ts';
import { buildUnsignedTx } from '../chain/signer.ts';
import { classifyScript } from '../chain/templates.ts';
import {
  type SpentOutput,
  type Transaction,
  serializeTx,
  sumAmounts,
  txSize,
  txid as txidOf,
  txidFromHex,
} from '../chain/transaction.ts';
import type { UnsignedSpend } from '../chain/unsigned-spend.ts';
import { schnorrSign } from '../crypto/schnorr.ts';
import { type SecretKey, signingKeyOf } from '../crypto/signing-key.ts';
import { formatXpi } from './amount.ts';
import { VaultError } from './vault-error.ts';
import { KEYPATH_SCRIPTSIG_BYTES, hasSigningLeaves, maxScriptSigBytes } from './vault-spend.ts';
import type { RecoveryPath, VaultLeaf } from './vault-tree.ts';
import { type Vault, aboutDuration, recoveryLeafFor } from './vault.ts';

/** No OP_CODESEPARATOR runs in a recovery leaf: the position lotusd commits to then. */
const NO_CODESEPARATOR = 0xffffffff;

/** A coin of the vault, as the indexer reports it (`IndexedUtxo` fits). */
export interface RecoveryCoin {
  /** The funding transaction's id in display hex. */
  txid: string;
  vout: number;
  value: bigint;
  /** The height of the block that confirmed it; -1 while unconfirmed. */
  blockHeight: number;
  /** The coin's output script, when known; it must be the vault's. */
  script?: Uint8Array;
}

/** Where one coin stands against the recovery lock. */
export interface CoinRecoveryStatus {
  coin: RecoveryCoin;
  confirmed: boolean;
  /**
   * The first block that may include a recovery spend of the coin: confirmation height +
   * afterBlocks. For an unconfirmed coin, the earliest it can be (if it confirms in the next block).
   */
  opensAtHeight: number;
  /**
   * Blocks still to be mined before a node accepts the recovery spend (0 when open); for an
   * unconfirmed coin, the least it can be (afterBlocks).
   */
  blocksLeft: number;
  /** A node would take the recovery spend into its mempool now. */
  open: boolean;
  /** "in 1,204 blocks, about 40 hours", "open now" or "after it confirms". */
  about: string;
}

/** Why a recovery or refresh was refused, for callers that branch on more than `name`. */
export type RecoveryRefusal =
  | 'no-recovery-path'
  | 'several-keys'
  | 'unknown-key'
  | 'wrong-key'
  | 'bad-height'
  | 'bad-coin'
  | 'no-coins'
  | 'duplicate-coin'
  | 'foreign-coin'
  | 'not-open'
  | 'bad-destination'
  | 'fee-rate'
  | 'dust'
  | 'tx-size'
  | 'invalid-spend';

/** A recovery or refresh the wallet refuses to build or sign; `reason` says which rule. */
export class RecoveryError extends VaultError {
  override name = 'RecoveryError';
  readonly reason: RecoveryRefusal;
  constructor(reason: RecoveryRefusal, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Coins whose recovery lock a node would still enforce; `coins` says when each opens. */
export class RecoveryNotOpenError extends RecoveryError {
  override name = 'RecoveryNotOpenError';
  readonly coins: CoinRecoveryStatus[];
  constructor(coins: CoinRecoveryStatus[]) {
    const first = coins[0] as CoinRecoveryStatus;
    const which = coins.length === 1 ? 'A coin is' : `${coins.length} coins are`;
    super(
      'not-open',
      `${which} not open to recovery yet: ${outpointText(first.coin)} opens ${first.about}`,
    );
    this.coins = coins;
  }
}

/**
 * The vault's recovery needs several keys together (m > 1): their MuSig2 session is not built
 * yet, so Petal only signs recoveries a single key holder makes alone.
 */
export class SeveralKeyRecoveryError extends RecoveryError {
  override name = 'SeveralKeyRecoveryError';
  constructor(recovery: RecoveryPath) {
    super(
      'several-keys',
      `Recovery by ${recovery.threshold} of ${recovery.keys.length} keys together is not ` +
        'supported yet; Petal signs recoveries that one key makes alone',
    );
  }
}

const outpointText = (coin: RecoveryCoin) => `${coin.txid}:${coin.vout}`;
const plural = (n: number, one: string, many: string) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function requireRecovery(vault: Vault): RecoveryPath {
  if (!vault.recovery)
    throw new RecoveryError('no-recovery-path', 'This vault has no recovery path');
  return vault.recovery;
}

function assertTipHeight(tipHeight: number): void {
  if (!Number.isInteger(tipHeight) || tipHeight < 0)
    throw new RecoveryError(
      'bad-height',
      `The tip height must be a block height, not ${tipHeight}`,
    );
}

function statusOf(coin: RecoveryCoin, afterBlocks: number, tipHeight: number): CoinRecoveryStatus {
  if (!Number.isInteger(coin.blockHeight) || coin.blockHeight < -1)
    throw new RecoveryError('bad-coin', `Coin ${outpointText(coin)} has no valid block height`);
  const confirmed = coin.blockHeight >= 0;
  // lotusd counts a mempool coin as confirming in the next block (validation.cpp:236-238), the
  // earliest it can; with afterBlocks ≥ 1 its lock is then never met yet.
  const confirmedAt = confirmed ? coin.blockHeight : tipHeight + 1;
  // CalculateSequenceLocks: the last invalid height is confirmedAt + afterBlocks − 1.
  const opensAtHeight = confirmedAt + afterBlocks;
  // The mempool judges the block after the tip (CheckSequenceLocks).
  const blocksLeft = Math.max(0, opensAtHeight - (tipHeight + 1));
  const open = confirmed && blocksLeft === 0;
  const about = !confirmed
    ? 'after it confirms'
    : open
      ? 'open now'
      : `in ${plural(blocksLeft, 'block', 'blocks')}, ${aboutDuration(blocksLeft)}`;
  return { coin, confirmed, opensAtHeight, blocksLeft, open, about };
}

/**
 * When each coin opens to the vault's recovery path, judged against the chain tip `tipHeight`.
 * @throws RecoveryError for a vault without recovery, a bad tip height or coin height.
 * @example
 *   // afterBlocks 10, coin confirmed at 111
 *   recoveryStatus(vault, [coin], 119)[0]; // { opensAtHeight: 121, blocksLeft: 1, open: false, … }
 *   recoveryStatus(vault, [coin], 120)[0]; // { blocksLeft: 0, open: true, about: 'open now', … }
 */
export function recoveryStatus(
  vault: Vault,
  coins: readonly RecoveryCoin[],
  tipHeight: number,
): CoinRecoveryStatus[] {
  const { afterBlocks } = requireRecovery(vault);
  assertTipHeight(tipHeight);
  return coins.map((coin) => statusOf(coin, afterBlocks, tipHeight));
}

/** The coins as distinct inputs of the vault, or a refusal naming the first bad one. */
function checkCoins(vault: Vault, coins: readonly RecoveryCoin[]): void {
  if (coins.length === 0) throw new RecoveryError('no-coins', 'No coins to spend');
  const seen = new Set<string>();
  for (const coin of coins) {
    const key = outpointText(coin);
    if (!/^[0-9a-f]{64}$/i.test(coin.txid) || !Number.isInteger(coin.vout) || coin.vout < 0)
      throw new RecoveryError('bad-coin', `Coin ${key} is not a valid outpoint`);
    if (seen.has(key.toLowerCase()))
      throw new RecoveryError('duplicate-coin', `Coin ${key} is listed twice`);
    seen.add(key.toLowerCase());
    if (coin.script && !sameBytes(coin.script, vault.script))
      throw new RecoveryError('foreign-coin', `Coin ${key} is not held by this vault`);
  }
  sumAmounts(coins.map((c) => c.value));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkFeeRate(feePerByte: bigint): void {
  if (feePerByte < MIN_RELAY_FEE_PER_BYTE)
    throw new RecoveryError(
      'fee-rate',
      `The fee rate is below the relay minimum of ${MIN_RELAY_FEE_PER_BYTE} sat per byte`,
    );
}

/** The vault's outputs that the coins are: what every sighash commits to. */
const spentOf = (vault: Vault, coins: readonly RecoveryCoin[]): SpentOutput[] =>
  coins.map((c) => ({ value: c.value, script: vault.script }));

const vaultHashType = (vault: Vault) =>
  withForkValue(SIGHASH_ALL | SIGHASH_LOTUS, vault.network.forkValue);

/** A leaf spend's scriptSig: push(sig ‖ hash type) push(leaf script) push(control block). */
function leafScriptSigBytes(leaf: VaultLeaf): number {
  return KEYPATH_SCRIPTSIG_BYTES + rawPush(leaf.script).length + rawPush(leaf.controlBlock).length;
}

/** What a recovery needs to be planned. */
export interface RecoverySpendRequest {
  vault: Vault;
  /** Index into `vault.recovery.keys` (sorted) of the key that spends alone. */
  keyIndex: number;
  /** The coins to sweep; every one must be open at `tipHeight`. */
  coins: readonly RecoveryCoin[];
  /** The chain tip the spend is for (the node judges it for the next block). */
  tipHeight: number;
  /** The output script that receives everything, less the fee. */
  to: Uint8Array;
  /** Sats per byte of the signed transaction; default and minimum 1. */
  feePerByte?: bigint;
}

/** An unsigned recovery: the spend, its leaf and its exact price. */
export interface RecoverySpendPlan extends UnsignedSpend {
  leaf: VaultLeaf;
  /** What `to` receives. */
  amount: bigint;
  fee: bigint;
  /** The signed transaction's size in bytes (a Lotus Schnorr signature is always 64 bytes). */
  size: number;
}

/** A signed recovery, checked by the interpreter and relay policy for its replay side. */
export interface SignedRecoverySpend {
  tx: Transaction;
  raw: Uint8Array;
  txid: string;
  fee: bigint;
  replayProtection: boolean;
}

/**
 * Plans a recovery: every coin to `to` in one output, less the exact fee; a version-2 transaction
 * whose inputs carry nSequence = afterBlocks (the leaf's CHECKSEQUENCEVERIFY compares it with
 * its own number, and BIP68 holds the spend until each coin is that old).
 * @throws SeveralKeyRecoveryError when recovery needs several keys together;
 *   RecoveryNotOpenError for a coin that is unconfirmed or not old enough at `tipHeight`;
 *   RecoveryError otherwise (no recovery path, unknown key, bad, duplicate or foreign coin, an
 *   OP_RETURN or nonstandard destination, a fee rate below 1 sat/byte, an amount below the
 *   destination's dust threshold, a transaction over the standard size).
 * @example
 *   const plan = planRecoverySpend({ vault, keyIndex: 0, coins, tipHeight, to: myScript });
 *   signRecoverySpend(plan, recoverySecret, replaySwitch.active(network, tip.medianTime)).raw;
 */
export function planRecoverySpend(request: RecoverySpendRequest): RecoverySpendPlan {
  const { vault, keyIndex, coins, tipHeight, to } = request;
  const recovery = requireRecovery(vault);
  if (recovery.threshold > 1) throw new SeveralKeyRecoveryError(recovery);
  if (!Number.isInteger(keyIndex) || keyIndex < 0 || keyIndex >= recovery.keys.length)
    throw new RecoveryError(
      'unknown-key',
      `The vault has ${plural(recovery.keys.length, 'recovery key', 'recovery keys')}; ` +
        `there is no #${keyIndex + 1}`,
    );
  const leaf = recoveryLeafFor(vault, [keyIndex]);
  if (!leaf) throw new RecoveryError('unknown-key', `No recovery leaf for key #${keyIndex + 1}`);
  checkCoins(vault, coins);
  const closed = recoveryStatus(vault, coins, tipHeight).filter((s) => !s.open);
  if (closed.length) throw new RecoveryNotOpenError(closed);
  const type = classifyScript(to).type;
  if (type === 'op_return' || type === 'nonstandard')
    throw new RecoveryError(
      'bad-destination',
      `Recovery pays an address; a ${type === 'op_return' ? 'data (OP_RETURN)' : 'nonstandard'} ` +
        'output would lose the funds or not relay',
    );
  const feePerByte = request.feePerByte ?? MIN_RELAY_FEE_PER_BYTE;
  checkFeeRate(feePerByte);

  const size = estimateSize(
    coins.map(() => inputSize(leafScriptSigBytes(leaf))),
    [to],
  );
  if (size > MAX_STANDARD_TX_SIZE)
    throw new RecoveryError(
      'tx-size',
      `Recovering ${coins.length} coins at once takes ${size.toLocaleString('en-US')} bytes; the ` +
        `network relays at most ${MAX_STANDARD_TX_SIZE.toLocaleString('en-US')}: recover fewer at a time`,
    );
  const total = sumAmounts(coins.map((c) => c.value));
  const fee = BigInt(size) * feePerByte;
  const amount = total - fee;
  const dust = dustThreshold({ script: to });
  if (amount < dust)
    throw new RecoveryError(
      'dust',
      `The coins hold ${formatXpi(total)} XPI; after the ${formatXpi(fee)} XPI fee that leaves ` +
        `less than the ${formatXpi(dust)} XPI the network relays to this address`,
    );
  const afterBlocks = leaf.afterBlocks ?? recovery.afterBlocks;
  const tx = buildUnsignedTx(
    coins.map((c) => ({ outpoint: { txid: txidFromHex(c.txid), vout: c.vout } })),
    [{ value: amount, script: to }],
    { sequence: afterBlocks },
  );
  return {
    network: vault.network,
    tx,
    spent: spentOf(vault, coins),
    hashType: vaultHashType(vault),
    leaf,
    amount,
    fee,
    size,
  };
}

/**
 * Signs a planned recovery with the recovery key for one side of the replay-protection switch:
 * every input SIGHASH_LOTUS spend type 2 over the leaf (executed script hash = tapleaf hash, no
 * code separator), scriptSig `push(sig ‖ hash type) push(leaf) push(control block)`. The result
 * passed the local interpreter (for that side) and lotusd's relay policy.
 * @throws RecoveryError 'wrong-key' when `secretKey` is not the leaf's key, 'invalid-spend' when
 *   the interpreter refuses the signed transaction (e.g. UNSATISFIED_LOCKTIME for an nSequence
 *   below the lock); PolicyError when relay policy does.
 * @example
 *   await broadcastOnEitherSide(guess, (side) => signRecoverySpend(plan, key, side).raw, send, why);
 */
export function signRecoverySpend(
  plan: RecoverySpendPlan,
  secretKey: SecretKey,
  replayProtection: boolean,
): SignedRecoverySpend {
  const key = signingKeyOf(secretKey);
  if (!sameBytes(key.publicKey, plan.leaf.key))
    throw new RecoveryError('wrong-key', "This secret key is not the recovery leaf's key");
  const execution: ExecutionData = {
    codeSeparatorPos: NO_CODESEPARATOR,
    executedScriptHash: plan.leaf.leafHash,
  };
  const replay = { active: replayProtection };
  const byte = plan.hashType & 0xff;
  const tx: Transaction = {
    ...plan.tx,
    inputs: plan.tx.inputs.map((input, i) => {
      const digest = sighashLotus(plan.tx, i, plan.spent, plan.hashType, execution, replay);
      const signature = concatBytes(schnorrSign(digest, key), Uint8Array.of(byte));
      return {
        ...input,
        scriptSig: concatBytes(
          rawPush(signature),
          rawPush(plan.leaf.script),
          rawPush(plan.leaf.controlBlock),
        ),
      };
    }),
  };
  const verdict = verifyTransaction(tx, plan.spent, { replay });
  if (!verdict.ok)
    throw new RecoveryError(
      'invalid-spend',
      `The signed recovery fails input ${verdict.inputIndex}: ${verdict.reason} (${verdict.message})`,
    );
  // The fee was priced on this size; a difference would mean the plan was altered.
  if (txSize(tx) !== plan.size)
    throw new RecoveryError(
      'invalid-spend',
      `The signed recovery is ${txSize(tx)} bytes, not the ${plan.size} its fee was priced for`,
    );
  const fee =
    sumAmounts(plan.spent.map((o) => o.value)) - sumAmounts(tx.outputs.map((o) => o.value));
  assertStandard(tx, fee);
  return { tx, raw: serializeTx(tx), txid: txidOf(tx), fee, replayProtection };
}

/**
 * Plans and signs a recovery in one step (see `planRecoverySpend` and `signRecoverySpend` for the
 * rules and errors). To retry on the other replay side, plan once and sign per side instead.
 * @example
 *   const { raw, txid } = buildRecoverySpend({
 *     vault, keyIndex: 0, coins, tipHeight, to: myScript, secretKey, replayProtection: false,
 *   });
 */
export function buildRecoverySpend(
  request: RecoverySpendRequest & { secretKey: SecretKey; replayProtection: boolean },
): SignedRecoverySpend {
  return signRecoverySpend(planRecoverySpend(request), request.secretKey, request.replayProtection);
}

/**
 * The least warning a refresh gets: 720 blocks, about one day at Lotus's 2-minute blocks. A refresh
 * is an ordinary vault session, so k members must see it, approve it and sign it (a leaf spend
 * waits for `leafAfter`, an hour by default), and it must confirm before the old coins open;
 * otherwise the recovery key can race the members for them. (Bitcoin's "144 blocks, a day" is
 * under 5 hours on Lotus.)
 */
export const MIN_REFRESH_MARGIN_BLOCKS = 720;
/** A refresh starts once a tenth of the lock is left, so long locks warn days ahead. */
export const REFRESH_MARGIN_PERCENT = 10;

/**
 * How many blocks before a coin opens to recovery its members should refresh it: a tenth of the
 * lock, at least MIN_REFRESH_MARGIN_BLOCKS (65,535 blocks → 6,554, about 9 days; 21,600 → 2,160,
 * about 3 days). A lock no longer than the margin (a test setting, not a protection) leaves every
 * confirmed coin always due: such a recovery key can take the funds in under a day anyway.
 * @throws RecoveryError for a vault without recovery.
 */
export function refreshMarginBlocks(vault: Vault): number {
  const { afterBlocks } = requireRecovery(vault);
  return Math.max(
    MIN_REFRESH_MARGIN_BLOCKS,
    Math.ceil((afterBlocks * REFRESH_MARGIN_PERCENT) / 100),
  );
}

/**
 * The confirmed coins whose recovery path opens within `marginBlocks` blocks of `tipHeight` (or is
 * already open), most urgent first: the ones the members should pay back to the vault. A session
 * signs at most 256 inputs (MAX_SESSION_INPUTS); take the first that many for one refresh.
 * @throws RecoveryError for a vault without recovery, bad heights or a negative margin.
 * @example
 *   const due = coinsNeedingRefresh(vault, coins, tip.height);
 *   if (due.length) signing.propose(vault.id, buildRefreshSpend(vault, due));
 */
export function coinsNeedingRefresh<C extends RecoveryCoin>(
  vault: Vault,
  coins: readonly C[],
  tipHeight: number,
  marginBlocks: number = refreshMarginBlocks(vault),
): C[] {
  if (!Number.isInteger(marginBlocks) || marginBlocks < 0)
    throw new RecoveryError(
      'bad-height',
      `A refresh margin is a number of blocks, not ${marginBlocks}`,
    );
  return recoveryStatus(vault, coins, tipHeight)
    .map((status, index) => ({ status, coin: coins[index] as C }))
    .filter(({ status }) => status.confirmed && status.blocksLeft <= marginBlocks)
    .sort((a, b) => a.status.opensAtHeight - b.status.opensAtHeight)
    .map(({ coin }) => coin);
}

/**
 * The unsigned spend that refreshes `coins`: all of them to one output paying the vault itself,
 * less the exact fee, which the members propose and sign as an ordinary session. Priced as
 * `buildVaultSpend` prices it: a threshold vault's inputs at its largest signing-leaf scriptSig
 * (the session may end on a leaf), others at the key path, so `checkSpend` accepts it either way.
 * @throws RecoveryError for no, bad, duplicate or foreign coins, a fee rate below 1 sat/byte, or
 *   coins worth less than the fee plus the vault output's dust threshold.
 * @example
 *   const spend = buildRefreshSpend(vault, coinsNeedingRefresh(vault, coins, tip.height));
 */
export function buildRefreshSpend(
  vault: Vault,
  coins: readonly RecoveryCoin[],
  options: { feePerByte?: bigint } = {},
): UnsignedSpend {
  checkCoins(vault, coins);
  const feePerByte = options.feePerByte ?? MIN_RELAY_FEE_PER_BYTE;
  checkFeeRate(feePerByte);
  const inputBytes = inputSize(maxScriptSigBytes(vault, hasSigningLeaves(vault)));
  const size = estimateSize(
    coins.map(() => inputBytes),
    [vault.script],
  );
  if (size > MAX_STANDARD_TX_SIZE)
    throw new RecoveryError(
      'tx-size',
      `Refreshing ${coins.length} coins at once takes ${size.toLocaleString('en-US')} bytes; ` +
        `the network relays at most ${MAX_STANDARD_TX_SIZE.toLocaleString('en-US')}`,
    );
  const total = sumAmounts(coins.map((c) => c.value));
  const fee = BigInt(size) * feePerByte;
  const dust = dustThreshold({ script: vault.script });
  if (total - fee < dust)
    throw new RecoveryError(
      'dust',
      `The coins hold ${formatXpi(total)} XPI; after the ${formatXpi(fee)} XPI fee that leaves ` +
        `less than the ${formatXpi(dust)} XPI a vault output needs`,
    );
  return {
    network: vault.network,
    tx: buildUnsignedTx(
      coins.map((c) => ({ outpoint: { txid: txidFromHex(c.txid), vout: c.vout } })),
      [{ value: total - fee, script: vault.script }],
    ),
    spent: spentOf(vault, coins),
    hashType: vaultHashType(vault),
  };
}
