/**
 * The account's chain state from the indexer: UTXOs, balance and activity with confirmations,
 * plus gap-limit discovery after an import. Pure functions over `ChainIndexer` results; the
 * wallet service decides when to call them.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ChainIndexer, IndexedTx, IndexedUtxo } from '../chain/chronik.ts';
import { type NetworkParams, type Utxo, encodeAddress, txidFromHex } from '../chain/index.ts';
import { type AccountAddress, GAP_LIMIT, type HdAccount } from './account.ts';

export interface Balance {
  /** In blocks: what the chain has settled, before any transaction still in the mempool. */
  confirmed: bigint;
  /**
   * The net effect of the account's transactions still in the mempool: positive for incoming,
   * negative for a send (its amount and fee; the change it pays back to us is not incoming).
   */
  pending: bigint;
}

export interface ActivityEntry {
  txid: string;
  kind: 'received' | 'sent' | 'self';
  /** Net change to the wallet's balance (negative when sending; includes the fee). */
  net: bigint;
  /** Known when every input is this wallet's. */
  fee?: bigint;
  /** The first foreign output (sent) or our receiving address (received). */
  counterparty?: string;
  height?: number;
  confirmations: number;
  /** Epoch seconds: block time, or first seen while unconfirmed. */
  time: number;
}

export interface AccountSnapshot {
  tipHeight: number;
  /** The tip's median time past when the snapshot was read (seconds). */
  tipMedianTime: number;
  utxos: IndexedUtxo[];
  txs: IndexedTx[];
}

/** Fetches UTXOs and recent history for every watched address. */
export async function fetchSnapshot(
  indexer: ChainIndexer,
  addresses: AccountAddress[],
  historyPageSize = 25,
): Promise<AccountSnapshot> {
  const tip = await indexer.tip();
  const perAddress = await Promise.all(
    addresses.map(async (a) => {
      const [utxos, history] = await Promise.all([
        indexer.utxos(a.script),
        indexer.history(a.script, 0, historyPageSize),
      ]);
      return { utxos, txs: history.txs };
    }),
  );
  const txs = new Map<string, IndexedTx>();
  for (const { txs: list } of perAddress) for (const tx of list) txs.set(tx.txid, tx);
  const utxos = perAddress.flatMap((p) => p.utxos);
  // The tip is read first, so a block mined meanwhile can confirm coins above it: count from the
  // highest height seen, or a confirmed coin would show 0 confirmations.
  let tipHeight = tip.height;
  for (const u of utxos) tipHeight = Math.max(tipHeight, u.blockHeight);
  for (const tx of txs.values()) tipHeight = Math.max(tipHeight, tx.block?.height ?? -1);
  return { tipHeight, tipMedianTime: tip.medianTime, utxos, txs: [...txs.values()] };
}

/** Spendable coins in the chain module's shape. */
export function toUtxos(utxos: IndexedUtxo[]): Utxo[] {
  return utxos.map((u) => ({
    outpoint: { txid: txidFromHex(u.txid), vout: u.vout },
    value: u.value,
    script: u.script,
  }));
}

/**
 * The balance, split so that a send reads as money leaving, not as change arriving.
 *
 * The indexer's coin list already reflects the mempool: a coin a pending send spends is gone and
 * the send's change is there, unconfirmed. Summing coins by confirmation would show the change as
 * "+X pending" and the spent coin as missing from "confirmed". Instead:
 *   total     = every coin we can spend now (confirmed and unconfirmed),
 *   pending   = Σ over the mempool transactions of (our outputs − our inputs), i.e. incoming
 *               payments minus what our sends spend plus their own change (−(amount + fee)),
 *   confirmed = total − pending: the settled balance, before the pending sends.
 * So the headline (total) is confirmed minus what is being spent plus our own change.
 */
export function balanceOf(
  snapshot: Pick<AccountSnapshot, 'utxos' | 'txs'>,
  owns: (scriptHex: string) => boolean,
): Balance {
  const total = snapshot.utxos.reduce((sum, u) => sum + u.value, 0n);
  let pending = 0n;
  for (const tx of snapshot.txs) {
    if (tx.block) continue;
    for (const o of tx.outputs) if (owns(bytesToHex(o.script))) pending += o.value;
    for (const i of tx.inputs) if (i.script && owns(bytesToHex(i.script))) pending -= i.value;
  }
  return { confirmed: total - pending, pending };
}

/** Activity, newest first, from the wallet's point of view. */
export function activityOf(
  snapshot: AccountSnapshot,
  owns: (scriptHex: string) => boolean,
  network: NetworkParams,
): ActivityEntry[] {
  const entries = snapshot.txs.map((tx): ActivityEntry => {
    const ownIn = tx.inputs.filter((i) => i.script && owns(bytesToHex(i.script)));
    const ownOut = tx.outputs.filter((o) => owns(bytesToHex(o.script)));
    const spent = ownIn.reduce((s, i) => s + i.value, 0n);
    const received = ownOut.reduce((s, o) => s + o.value, 0n);
    const net = received - spent;
    const allOwnInputs = tx.inputs.length > 0 && ownIn.length === tx.inputs.length;
    const fee = allOwnInputs
      ? tx.inputs.reduce((s, i) => s + i.value, 0n) - tx.outputs.reduce((s, o) => s + o.value, 0n)
      : undefined;
    const foreign = tx.outputs.find((o) => !owns(bytesToHex(o.script)));
    const kind = ownIn.length === 0 ? 'received' : foreign ? 'sent' : 'self';
    const shown = kind === 'received' ? ownOut[0] : foreign;
    let counterparty: string | undefined;
    try {
      counterparty = shown ? encodeAddress(shown.script, network) : undefined;
    } catch {
      counterparty = undefined;
    }
    const height = tx.block?.height;
    return {
      txid: tx.txid,
      kind,
      net,
      fee,
      counterparty,
      height,
      confirmations: height === undefined ? 0 : Math.max(0, snapshot.tipHeight - height + 1),
      time: tx.block?.timestamp ?? tx.timeFirstSeen,
    };
  });
  return entries.sort(
    (a, b) =>
      (a.height === undefined ? -1 : 0) - (b.height === undefined ? -1 : 0) ||
      (b.height ?? 0) - (a.height ?? 0) ||
      b.time - a.time,
  );
}

/**
 * After an import: walks each chain in batches until GAP_LIMIT consecutive addresses have no
 * history, and moves the account past the last used address.
 */
export async function discoverUsed(indexer: ChainIndexer, account: HdAccount): Promise<void> {
  for (const change of [0, 1] as const) {
    let lastUsed = -1;
    for (let start = 0; start - lastUsed <= GAP_LIMIT; start += GAP_LIMIT) {
      const batch = Array.from({ length: GAP_LIMIT }, (_, i) =>
        account.addressAt(change, start + i),
      );
      const used = await Promise.all(
        batch.map(async (a) => (await indexer.history(a.script, 0, 1)).txs.length > 0),
      );
      used.forEach((u, i) => {
        if (u) lastUsed = start + i;
      });
      if (lastUsed < start) break;
    }
    if (lastUsed >= 0) account.markUsed([account.addressAt(change, lastUsed).scriptHex]);
  }
}
