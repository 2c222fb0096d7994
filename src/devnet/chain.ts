/**
 * The devnet's chain: blocks, mempool and UTXO set in memory, produced on demand. Every submitted
 * transaction goes through the same checks the wallet relies on: lotusd's CheckTransaction and
 * script rules via the core verifier, standardness policy, inputs present and unspent, coinbase
 * maturity, no inflation. A rejection carries lotusd's reason code.
 */
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { sha256d } from '../core/crypto/hash.ts';
import {
  type NetworkParams,
  PolicyError,
  type SpentOutput,
  type Transaction,
  assertStandard,
  opReturnScript,
  parseTx,
  pushData,
  regtest,
  serializeTx,
  txid as txidOf,
  txidFromHex,
  verifyTransaction,
} from '../core/chain/index.ts';
import { ByteWriter } from '../core/chain/bytes.ts';
import { checkFinalTxForNextBlock, checkSequenceLocks } from '../core/chain/finality.ts';
import { scriptRejectReason } from '../core/chain/script-errors.ts';

export const COINBASE_MATURITY = 100;
/**
 * The devnet's own copy of the node's replay-protection switch, kept apart from the wallet's
 * table (network.ts) so the devnet judges as lotusd does, not as Petal believes: regtest's
 * `secondKingsActivationTime` is mainnet's (lotusd src/chainparams.cpp:427-428, :128), and
 * `-replayprotectionactivationtime` overrides it (src/validation.cpp:292-296).
 */
export const LOTUSD_REGTEST_REPLAY_PROTECTION_TIME = 1798074180;
export const BLOCK_SUBSIDY = 260_000_000n;
const BLOCK_INTERVAL_S = 120;

export interface DevBlock {
  /** Display-order hex. */
  hash: string;
  prevHash: string;
  height: number;
  timestamp: number;
  txids: string[];
  merkleRoot: Uint8Array;
  size: number;
}

export interface DevTx {
  txid: string;
  tx: Transaction;
  raw: Uint8Array;
  /** One per input (empty for a coinbase). */
  spent: SpentOutput[];
  isCoinbase: boolean;
  block?: DevBlock;
  timeFirstSeen: number;
  /** Per output: who spent it. */
  spentBy: ({ txid: string; vin: number } | undefined)[];
}

export interface Coin {
  txid: string;
  vout: number;
  value: bigint;
  script: Uint8Array;
  /** -1 while in the mempool. */
  height: number;
  isCoinbase: boolean;
}

/** lotusd's name for why a transaction was refused, plus a sentence. */
export class TxRejectedError extends Error {
  override name = 'TxRejectedError';
  readonly reason: string;
  constructor(reason: string, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.reason = reason;
  }
}

export type ChainListener =
  | { kind: 'tx-added'; tx: DevTx }
  | { kind: 'tx-confirmed'; tx: DevTx }
  | { kind: 'block-connected'; block: DevBlock };

const outpointKey = (txid: string, vout: number) => `${txid}:${vout}`;

export class DevChain {
  readonly network: NetworkParams;
  readonly blocks: DevBlock[] = [];
  readonly txs = new Map<string, DevTx>();
  readonly coins = new Map<string, Coin>();
  readonly mempool: string[] = [];
  readonly #listeners = new Set<(event: ChainListener) => void>();
  readonly #now: () => number;
  /** Replay protection applies once the tip's median time past reaches this (lotusd's rule). */
  readonly replayProtectionTime: number;

  /**
   * Starts with a genesis block whose coinbase pays `premine` (split into `premineOutputs` coins)
   * to `minerScript`, then mines COINBASE_MATURITY blocks so those coins are spendable.
   */
  constructor(options: {
    minerScript: Uint8Array;
    premine?: bigint;
    premineOutputs?: number;
    network?: NetworkParams;
    now?: () => number;
    /** `-replayprotectionactivationtime` (seconds); default lotusd's regtest time. */
    replayProtectionTime?: number;
  }) {
    this.network = options.network ?? regtest;
    this.replayProtectionTime =
      options.replayProtectionTime ?? LOTUSD_REGTEST_REPLAY_PROTECTION_TIME;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    const start = this.#now() - BLOCK_INTERVAL_S * (COINBASE_MATURITY + 1);
    const parts = options.premineOutputs ?? 50;
    const each = (options.premine ?? 1_000_000n * 1_000_000n) / BigInt(parts);
    this.#connect(
      [
        this.#coinbase(
          0,
          Array.from({ length: parts }, () => ({ value: each, script: options.minerScript })),
        ),
      ],
      start,
    );
    for (let i = 1; i <= COINBASE_MATURITY; i++) {
      this.#connect(
        [this.#coinbase(i, [{ value: BLOCK_SUBSIDY, script: options.minerScript }])],
        start + i * BLOCK_INTERVAL_S,
      );
    }
  }

  get tip(): DevBlock {
    return this.blocks.at(-1) as DevBlock;
  }

  /** Median of the last 11 block timestamps (lotusd GetMedianTimePast). */
  medianTimePast(height = this.tip.height): number {
    const times = this.blocks
      .slice(Math.max(0, height - 10), height + 1)
      .map((b) => b.timestamp)
      .sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] as number;
  }

  /**
   * Whether the next block (and so the mempool) requires replay-protected signatures: the tip's
   * median time past against the switch (lotusd GetNextBlockScriptFlags, src/validation.cpp:1617-1630,
   * used for the mempool at src/validation.cpp:756).
   */
  replayProtectionActive(): boolean {
    return this.medianTimePast() >= this.replayProtectionTime;
  }

  on(listener: (event: ChainListener) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Accepts a raw transaction into the mempool or throws TxRejectedError. */
  submitRaw(raw: Uint8Array): DevTx {
    let tx: Transaction;
    try {
      tx = parseTx(raw);
    } catch (err) {
      throw new TxRejectedError('TX_DECODE_FAILED', (err as Error).message);
    }
    return this.submit(tx);
  }

  submit(tx: Transaction): DevTx {
    const id = txidOf(tx);
    if (this.txs.has(id)) throw new TxRejectedError('txn-already-known');
    const spent: SpentOutput[] = [];
    const coins: Coin[] = [];
    const nextHeight = this.tip.height + 1;
    const tip = { height: this.tip.height, medianTimePast: this.medianTimePast() };
    // lotusd's mempool order: absolute locktime before the inputs (validation.cpp:499-510).
    const final = checkFinalTxForNextBlock(tx, tip);
    if (!final.ok) throw new TxRejectedError(final.reason, 'non-final transaction');
    for (const [vin, input] of tx.inputs.entries()) {
      const prevTxid = bytesToHex(input.prevout.txid.slice().reverse());
      const coin = this.coins.get(outpointKey(prevTxid, input.prevout.vout));
      if (!coin) {
        const prev = this.txs.get(prevTxid);
        const spender = prev?.spentBy[input.prevout.vout];
        if (spender && !this.txs.get(spender.txid)?.block)
          throw new TxRejectedError('txn-mempool-conflict', `input ${vin} is spent in the mempool`);
        throw new TxRejectedError(
          'bad-txns-inputs-missingorspent',
          `input ${vin} spends ${prevTxid}:${input.prevout.vout}, which is missing or spent`,
        );
      }
      if (coin.isCoinbase && nextHeight - coin.height < COINBASE_MATURITY) {
        throw new TxRejectedError(
          'bad-txns-premature-spend-of-coinbase',
          `tried to spend coinbase at depth ${nextHeight - coin.height}`,
        );
      }
      coins.push(coin);
      spent.push({ value: coin.value, script: coin.script });
    }
    // Relative locks once the coins are known (validation.cpp:580-583); a mempool coin counts as
    // confirming in the next block.
    const relative = checkSequenceLocks(
      tx,
      tip,
      coins.map((c) => (c.height < 0 ? undefined : c.height)),
      (height) => this.medianTimePast(height),
    );
    if (!relative.ok) throw new TxRejectedError(relative.reason, 'relative locktime not met');
    const inputTotal = spent.reduce((s, o) => s + o.value, 0n);
    const outputTotal = tx.outputs.reduce((s, o) => s + o.value, 0n);
    // The verifier runs CheckTransaction (empty, range, duplicates, size) before any script.
    const replay = { active: this.replayProtectionActive() };
    const structural = verifyTransaction(tx, spent, { replay });
    if (!structural.ok && structural.inputIndex < 0)
      throw new TxRejectedError(structural.reason, structural.message);
    if (outputTotal > inputTotal)
      throw new TxRejectedError(
        'bad-txns-in-belowout',
        `value in (${inputTotal}) < value out (${outputTotal})`,
      );
    try {
      assertStandard(tx, inputTotal - outputTotal);
    } catch (err) {
      if (err instanceof PolicyError) {
        const reason = err.reason === 'fee' ? 'min relay fee not met' : err.reason;
        throw new TxRejectedError(reason, err.message);
      }
      throw err;
    }
    if (!structural.ok) {
      // The node's own words for the failure (src/script/script_error.cpp).
      throw new TxRejectedError(
        scriptRejectReason(structural.reason) ??
          `mandatory-script-verify-flag-failed (${structural.reason})`,
        `input ${structural.inputIndex}: ${structural.message}`,
      );
    }

    const entry: DevTx = {
      txid: id,
      tx,
      raw: serializeTx(tx),
      spent,
      isCoinbase: false,
      timeFirstSeen: this.#now(),
      spentBy: tx.outputs.map(() => undefined),
    };
    for (const [vin, coin] of coins.entries()) {
      this.coins.delete(outpointKey(coin.txid, coin.vout));
      const prev = this.txs.get(coin.txid);
      if (prev) prev.spentBy[coin.vout] = { txid: id, vin };
    }
    this.#addOutputs(entry, -1);
    this.txs.set(id, entry);
    this.mempool.push(id);
    this.#emit({ kind: 'tx-added', tx: entry });
    return entry;
  }

  /** Mines `count` blocks with every mempool transaction, paying subsidy + fees to `script`. */
  mine(count: number, script: Uint8Array): DevBlock[] {
    const mined: DevBlock[] = [];
    for (let i = 0; i < count; i++) {
      const height = this.tip.height + 1;
      const included = this.mempool.splice(0);
      const fees = included.reduce((sum, id) => {
        const entry = this.txs.get(id) as DevTx;
        const ins = entry.spent.reduce((s, o) => s + o.value, 0n);
        return sum + ins - entry.tx.outputs.reduce((s, o) => s + o.value, 0n);
      }, 0n);
      const coinbase = this.#coinbase(height, [{ value: BLOCK_SUBSIDY + fees, script }]);
      const timestamp = Math.max(this.#now(), this.tip.timestamp + 1);
      const block = this.#connect(
        [coinbase, ...included.map((id) => (this.txs.get(id) as DevTx).tx)],
        timestamp,
      );
      mined.push(block);
    }
    return mined;
  }

  /** Coins paying to a script (confirmed and mempool). */
  coinsFor(script: Uint8Array): Coin[] {
    const hex = bytesToHex(script);
    return [...this.coins.values()].filter((c) => bytesToHex(c.script) === hex);
  }

  blockAt(heightOrHash: string | number): DevBlock | undefined {
    if (typeof heightOrHash === 'number' || /^\d+$/.test(heightOrHash))
      return this.blocks[Number(heightOrHash)];
    return this.blocks.find((b) => b.hash === heightOrHash);
  }

  #coinbase(height: number, payouts: SpentOutput[]): Transaction {
    const heightBytes = new ByteWriter().u32(height).finish();
    return {
      version: 1,
      inputs: [
        {
          prevout: { txid: new Uint8Array(32), vout: 0xffffffff },
          scriptSig: concatBytes(pushData(heightBytes), pushData(Uint8Array.of(0x50, 0x45))),
          sequence: 0xffffffff,
        },
      ],
      // Lotus commits the height in the coinbase's first output, which also makes every
      // coinbase txid unique (the txid does not cover scriptSigs).
      outputs: [{ value: 0n, script: opReturnScript([heightBytes]) }, ...payouts],
      locktime: 0,
    };
  }

  /** Appends a block of already-validated transactions (the first is its coinbase). */
  #connect(txs: Transaction[], timestamp: number): DevBlock {
    const height = this.blocks.length;
    const prevHash = this.blocks.at(-1)?.hash ?? '00'.repeat(32);
    const txids = txs.map((tx) => txidOf(tx));
    const merkleRoot = sha256d(concatBytes(...txids.map((id) => txidFromHex(id))));
    const header = new ByteWriter()
      .i32(1)
      .bytes(txidFromHex(prevHash))
      .bytes(merkleRoot)
      .u64(BigInt(timestamp))
      .u32(height)
      .finish();
    const block: DevBlock = {
      hash: bytesToHex(sha256d(header).reverse()),
      prevHash,
      height,
      timestamp,
      txids,
      merkleRoot,
      size: 80 + txs.reduce((s, tx) => s + serializeTx(tx).length, 0),
    };
    this.blocks.push(block);
    const [coinbase, ...rest] = txs;
    const cbEntry: DevTx = {
      txid: txids[0] as string,
      tx: coinbase as Transaction,
      raw: serializeTx(coinbase as Transaction),
      spent: [],
      isCoinbase: true,
      block,
      timeFirstSeen: 0,
      spentBy: (coinbase as Transaction).outputs.map(() => undefined),
    };
    this.txs.set(cbEntry.txid, cbEntry);
    this.#addOutputs(cbEntry, height);
    const confirmed: DevTx[] = [];
    for (const tx of rest) {
      const entry = this.txs.get(txidOf(tx)) as DevTx;
      entry.block = block;
      for (const vout of entry.tx.outputs.keys()) {
        const coin = this.coins.get(outpointKey(entry.txid, vout));
        if (coin) coin.height = height;
      }
      confirmed.push(entry);
    }
    this.#emit({ kind: 'block-connected', block });
    for (const entry of confirmed) this.#emit({ kind: 'tx-confirmed', tx: entry });
    return block;
  }

  #addOutputs(entry: DevTx, height: number): void {
    entry.tx.outputs.forEach((out, vout) => {
      // OP_RETURN outputs are provably unspendable and never enter the UTXO set.
      if (out.script[0] === 0x6a) return;
      this.coins.set(outpointKey(entry.txid, vout), {
        txid: entry.txid,
        vout,
        value: out.value,
        script: out.script,
        height,
        isCoinbase: entry.isCoinbase,
      });
    });
  }

  #emit(event: ChainListener): void {
    for (const listener of this.#listeners) listener(event);
  }
}
