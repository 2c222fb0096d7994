/**
 * What the protocol needs from the chain: broadcasting the final transaction, knowing whether a
 * transaction was seen (so the next coordinator does not broadcast needlessly), and reading an
 * output (for burn-based identities). The extension implements these over Chronik; MemoryChain
 * is an in-process chain for tests.
 */
import { parseTx, txid as txidOf, type TxOutput } from '../chain/transaction.ts';

export interface Broadcaster {
  /** Sends a signed transaction to the network; resolves with its txid (display hex). */
  broadcast(tx: Uint8Array, signal?: AbortSignal): Promise<string>;
}

export interface ChainWatcher {
  /** Whether the transaction is in the mempool or a block. */
  seen(txid: string, signal?: AbortSignal): Promise<boolean>;
}

export interface ChainOutput extends TxOutput {
  confirmations: number;
}

export interface ChainReader {
  getOutput(txid: string, vout: number, signal?: AbortSignal): Promise<ChainOutput | undefined>;
}

export interface ChainClock {
  /**
   * Median time past of the chain tip (seconds): whether lotusd's replay protection applies,
   * which changes every signature hash from its activation on.
   */
  medianTimePast(signal?: AbortSignal): Promise<number>;
}

export type ChainAccess = Broadcaster & ChainWatcher & Partial<ChainReader> & Partial<ChainClock>;

export class BroadcastError extends Error {
  override name = 'BroadcastError';
}

/** An in-process chain: records broadcasts, optionally validates them, serves outputs. */
export class MemoryChain implements Broadcaster, ChainWatcher, ChainReader, ChainClock {
  readonly #txs = new Map<string, Uint8Array>();
  readonly #outputs = new Map<string, ChainOutput>();
  /** Every successful broadcast in order, with who sent it (for failover assertions). */
  readonly broadcasts: { txid: string; by: string }[] = [];
  readonly #validate: ((tx: Uint8Array) => void) | undefined;
  /** The tip's median time past; 0 (before any activation) unless a test sets it. */
  medianTime = 0;

  constructor(options: { validate?: (tx: Uint8Array) => void } = {}) {
    this.#validate = options.validate;
  }

  /** A view of this chain that tags broadcasts with `who`. */
  as(who: string): Broadcaster & ChainWatcher & ChainReader & ChainClock {
    return {
      broadcast: (tx) => this.#broadcast(tx, who),
      seen: (txid) => this.seen(txid),
      getOutput: (txid, vout) => this.getOutput(txid, vout),
      medianTimePast: () => this.medianTimePast(),
    };
  }

  async medianTimePast(): Promise<number> {
    return this.medianTime;
  }

  async broadcast(tx: Uint8Array): Promise<string> {
    return this.#broadcast(tx, 'anonymous');
  }

  async #broadcast(tx: Uint8Array, who: string): Promise<string> {
    let id: string;
    try {
      const parsed = parseTx(tx);
      this.#validate?.(tx);
      id = txidOf(parsed);
      if (this.#txs.has(id)) return id;
      this.#txs.set(id, tx.slice());
      parsed.outputs.forEach((o, vout) =>
        this.#outputs.set(`${id}:${vout}`, { ...o, confirmations: 0 }),
      );
    } catch (err) {
      throw new BroadcastError(`Transaction rejected: ${(err as Error).message}`);
    }
    this.broadcasts.push({ txid: id, by: who });
    return id;
  }

  async seen(txid: string): Promise<boolean> {
    return this.#txs.has(txid);
  }

  async getOutput(txid: string, vout: number): Promise<ChainOutput | undefined> {
    const o = this.#outputs.get(`${txid}:${vout}`);
    return o ? { ...o, script: o.script.slice() } : undefined;
  }

  /** Adds an output directly (a funding transaction from outside the test). */
  fund(txid: string, vout: number, output: ChainOutput): void {
    this.#outputs.set(`${txid}:${vout}`, { ...output });
  }

  /** Adds confirmations to every known output (a block was mined). */
  mine(blocks = 1): void {
    for (const o of this.#outputs.values()) o.confirmations += blocks;
  }

  transaction(txid: string): Uint8Array | undefined {
    return this.#txs.get(txid);
  }

  get size(): number {
    return this.#txs.size;
  }
}
