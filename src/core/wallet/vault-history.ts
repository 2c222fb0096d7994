/**
 * A vault's history from the indexer: every payment into the vault's address (receipts) and every
 * spend out of it, newest first, with confirmations. The same reading as the account's activity
 * (account-sync.ts `activityOf`), with the vault's one script as "ours". Pure over `ChainIndexer`;
 * the background matches spends to the signing sessions that produced them.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ChainIndexer } from '../chain/chronik.ts';
import type { NetworkParams } from '../chain/index.ts';
import { activityOf } from './account-sync.ts';

/** One transaction of a vault, JSON-safe (amounts are decimal sat strings). */
export interface VaultHistoryEntry {
  txid: string;
  /** 'received': paid into the vault; 'sent': a spend out of it; 'self': a spend back to itself. */
  kind: 'received' | 'sent' | 'self';
  /** Net change to the vault's balance, sats (negative for a spend, fee included). */
  net: string;
  /** Known when every input is the vault's (its own spends). */
  fee?: string;
  /** The first payee of a spend, or the vault's address for a receipt. */
  counterparty?: string;
  confirmations: number;
  height?: number;
  /** Epoch seconds: block time, or first seen while unconfirmed. */
  time: number;
}

/** How many of the vault's latest transactions the vault page shows at first, and adds per "Show more". */
export const VAULT_HISTORY_PAGE = 50;
/** The most one indexer read returns (Chronik serves history pages of up to 200). */
export const INDEXER_PAGE_MAX = 200;
/**
 * How far back one read of the history goes. Every open vault page re-reads what it shows (so
 * confirmations stay current): past this, the explorer is the better place to look.
 */
export const VAULT_HISTORY_MAX = 1_000;

export interface VaultHistoryPage {
  /** The `limit` latest transactions (fewer if the vault has fewer), newest first. */
  entries: VaultHistoryEntry[];
  /** The vault has older transactions than these. */
  more: boolean;
}

/**
 * The `limit` latest transactions paying to or spending from `script`, newest first (unconfirmed
 * on top), read through the indexer's pages, and whether there are older ones. A transaction that
 * arrives between two page reads pushes the pages down by one: it is read twice and kept once.
 * @throws RangeError for a `limit` outside 1..VAULT_HISTORY_MAX; the indexer's errors
 *   (ChainOfflineError…).
 * @example
 *   const { entries, more } = await vaultHistory(indexer, vault.script, regtest);
 *   entries[0] // { txid, kind: 'sent', net: '-100500', fee: '500', confirmations: 1, … }
 *   more       // true: ask again with limit 100 for the next 50
 */
export async function vaultHistory(
  indexer: ChainIndexer,
  script: Uint8Array,
  network: NetworkParams,
  limit = VAULT_HISTORY_PAGE,
): Promise<VaultHistoryPage> {
  if (!Number.isInteger(limit) || limit < 1 || limit > VAULT_HISTORY_MAX)
    throw new RangeError(
      `A vault's history is read 1 to ${VAULT_HISTORY_MAX} transactions at a time`,
    );
  const pageSize = Math.min(limit, INDEXER_PAGE_MAX);
  const pageCount = Math.ceil(limit / pageSize);
  const [tip, ...pages] = await Promise.all([
    indexer.tip(),
    ...Array.from({ length: pageCount }, (_, page) => indexer.history(script, page, pageSize)),
  ]);
  const seen = new Set<string>();
  const txs = pages
    .flatMap((page) => page.txs)
    .filter((tx) => !seen.has(tx.txid) && seen.add(tx.txid));
  const more = txs.length > limit || (pages[0]?.numPages ?? 0) > pageCount;
  const latest = txs.slice(0, limit);
  // A block mined between the reads can hold a transaction above the tip we read.
  const tipHeight = Math.max(tip.height, ...latest.map((tx) => tx.block?.height ?? -1));
  const vaultHex = bytesToHex(script);
  const snapshot = { tipHeight, tipMedianTime: tip.medianTime, utxos: [], txs: latest };
  const entries = activityOf(snapshot, (hex) => hex === vaultHex, network).map((e) => ({
    txid: e.txid,
    kind: e.kind,
    net: String(e.net),
    ...(e.fee !== undefined ? { fee: String(e.fee) } : {}),
    ...(e.counterparty !== undefined ? { counterparty: e.counterparty } : {}),
    confirmations: e.confirmations,
    ...(e.height !== undefined ? { height: e.height } : {}),
    time: e.time,
  }));
  return { entries, more };
}
