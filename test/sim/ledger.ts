/**
 * The chain as the simulated members see it: a MemoryChain whose judge is Petal's own script
 * interpreter against the outputs this ledger funded, with a node's replay-protection switch
 * (lotusd's regtest time, as the devnet uses). Every submission is logged with its verdict for
 * the invariants; requests take virtual time.
 */
import {
  SIGHASH_ALL,
  SIGHASH_LOTUS,
  type TxOutput,
  buildUnsignedTx,
  p2pkhScript,
  parseTx,
  regtest,
  verifyTransaction,
  withForkValue,
} from '../../src/core/chain/index.ts';
import type { UnsignedSpend } from '../../src/core/chain/unsigned-spend.ts';
import { type ChainAccess, MemoryChain } from '../../src/core/p2p/chain.ts';
import type { Vault } from '../../src/core/wallet/vault.ts';
import { LOTUSD_REGTEST_REPLAY_PROTECTION_TIME } from '../../src/devnet/chain.ts';
import type { Prng } from './prng.ts';
import type { Scheduler } from './scheduler.ts';

export interface Submission {
  member: number;
  at: number;
  tx: Uint8Array;
  accepted: boolean;
  reason?: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const never = <T>() => new Promise<T>(() => undefined);

export class SimLedger {
  readonly #funded = new Map<string, TxOutput>();
  readonly #scheduler: Scheduler;
  readonly #prng: Prng;
  readonly submissions: Submission[] = [];
  /** The node's replay-protection activation (median time past, seconds). */
  readonly activation = LOTUSD_REGTEST_REPLAY_PROTECTION_TIME;
  readonly chain = new MemoryChain({ validate: (tx) => this.#judge(tx) });

  constructor(scheduler: Scheduler, prng: Prng) {
    this.#scheduler = scheduler;
    this.#prng = prng;
  }

  #judge(bytes: Uint8Array): void {
    const tx = parseTx(bytes);
    const spent = tx.inputs.map((input) => {
      const key = `${hex(input.prevout.txid)}:${input.prevout.vout}`;
      const out = this.#funded.get(key);
      if (!out) throw new Error(`bad-txns-inputs-missingorspent ${key}`);
      return out;
    });
    const replay = { active: this.chain.medianTime >= this.activation };
    const result = verifyTransaction(tx, spent, { replay });
    if (!result.ok) throw new Error(`mandatory-script-verify-flag-failed (${result.reason})`);
  }

  /** The outputs a transaction spends, for the oracle's own verification. */
  spentBy(bytes: Uint8Array): TxOutput[] | undefined {
    const outs = parseTx(bytes).inputs.map((i) =>
      this.#funded.get(`${hex(i.prevout.txid)}:${i.prevout.vout}`),
    );
    return outs.every((o) => o !== undefined) ? (outs as TxOutput[]) : undefined;
  }

  /** Funds `vault` with one output per value and returns the spend of all of them. */
  spend(vault: Vault, values: bigint[], payee: Uint8Array): UnsignedSpend {
    const utxos = values.map((value) => {
      const txid = this.#prng.fill(new Uint8Array(32));
      this.#funded.set(`${hex(txid)}:0`, { value, script: vault.script });
      return { outpoint: { txid, vout: 0 }, value, script: vault.script };
    });
    const total = values.reduce((a, b) => a + b, 0n);
    const fee = 1_000n + 400n * BigInt(values.length);
    const pay = total / 2n;
    const outputs: TxOutput[] = [
      { value: pay, script: p2pkhScript(payee) },
      { value: total - pay - fee, script: vault.script },
    ];
    return {
      network: regtest,
      tx: buildUnsignedTx(utxos, outputs),
      spent: utxos.map((u) => ({ value: u.value, script: u.script })),
      hashType: withForkValue(SIGHASH_ALL | SIGHASH_LOTUS, regtest.forkValue),
    };
  }

  /** Member `member`'s indexer, alive while `alive()` (a dead process gets no answers). */
  view(member: number, alive: () => boolean): ChainAccess {
    const chain = this.chain.as(`member-${member}`);
    const slow = async <T>(op: () => Promise<T>): Promise<T> => {
      await this.#scheduler.sleep(this.#prng.int(5, 60));
      if (!alive()) return never();
      return op();
    };
    return {
      broadcast: (tx) =>
        slow(async () => {
          const at = this.#scheduler.now;
          try {
            const id = await chain.broadcast(tx);
            this.submissions.push({ member, at, tx: tx.slice(), accepted: true });
            return id;
          } catch (err) {
            const reason = (err as Error).message;
            this.submissions.push({ member, at, tx: tx.slice(), accepted: false, reason });
            throw err;
          }
        }),
      seen: (txid) => slow(() => chain.seen(txid)),
      getOutput: (txid, vout) => slow(() => chain.getOutput(txid, vout)),
      medianTimePast: () => slow(() => chain.medianTimePast()),
    };
  }
}
