/**
 * Who proposes a vault's refresh, and when (docs/PROTOCOL.md §2.5). Every member's wallet watches
 * its threshold vaults' coins; once a coin's recovery path opens within the refresh margin, one
 * member should propose paying it back to the vault, not all of them at once. Members wait in
 * index order: member i proposes only if the coins are still due and unproposed `i × staggerMs`
 * after it first saw them due, so member 0 goes first and the others step in only when it does not
 * (offline, or its proposal never reached them). A wallet never proposes the same coin twice:
 * after that, a refresh of it is left to the other members, or to a person.
 *
 * Pure: the caller reads the coins, the tip and the outpoints its open sessions spend, keeps the
 * returned memory between calls, and proposes `buildRefreshSpend(vault, coins)` with `memo`.
 */
import {
  type RecoveryCoin,
  coinsNeedingRefresh,
  recoveryStatus,
  refreshMarginBlocks,
} from './vault-recovery.ts';
import type { Vault } from './vault.ts';

/** How long member i + 1 waits after member i before proposing the same refresh. */
export const REFRESH_STAGGER_MS = 2 * 60_000;

/**
 * The most inputs one refresh proposes: a session signs at most 256 (MAX_SESSION_INPUTS in
 * src/core/p2p/messages.ts); the rest wait for the next refresh.
 */
export const MAX_REFRESH_INPUTS = 256;

/** What a wallet remembers about one vault's refreshes between checks (plain JSON). */
export interface RefreshMemory {
  /** Outpoint ("txid:vout") → when (ms) this wallet first saw it due and unproposed. */
  dueSince: Record<string, number>;
  /** Outpoint → when (ms) this wallet proposed a refresh of it; it never proposes it again. */
  proposed: Record<string, number>;
}

export const EMPTY_REFRESH_MEMORY: RefreshMemory = { dueSince: {}, proposed: {} };

export interface RefreshCheck<C extends RecoveryCoin> {
  vault: Vault;
  /** This wallet's member index in the vault. */
  me: number;
  /** The vault's unspent coins, as the indexer reports them. */
  coins: readonly C[];
  tipHeight: number;
  /** Wall-clock time (ms). */
  now: number;
  /** Outpoints that an open session of the vault already spends, whoever proposed it. */
  busy: ReadonlySet<string>;
  /** What the previous check returned (EMPTY_REFRESH_MEMORY the first time). */
  memory: RefreshMemory;
  staggerMs?: number;
  /** Blocks before opening from which a coin is due (default `refreshMarginBlocks(vault)`). */
  marginBlocks?: number;
}

export type RefreshDecision<C extends RecoveryCoin> =
  /** Nothing this member should propose: no coin is due, or every due one is taken care of. */
  | { action: 'none'; memory: RefreshMemory }
  /** Coins are due, but it is not this member's turn before `at` (ms): check again then. */
  | { action: 'wait'; coins: C[]; at: number; memory: RefreshMemory }
  /** Propose a refresh of `coins` now (most urgent first), with `memo` for the other members. */
  | { action: 'propose'; coins: C[]; memo: string; memory: RefreshMemory };

/** A coin's outpoint as sessions and the memory name it: display-order txid, colon, vout. */
export const outpointKey = (coin: { txid: string; vout: number }): string =>
  `${coin.txid.toLowerCase()}:${coin.vout}`;

/**
 * Decides whether this member proposes a refresh now. Coins that an open session spends, or that
 * this wallet proposed before, are left out; the wait of the others starts when they became due
 * (or became free again, e.g. after a declined refresh).
 * @throws RecoveryError for a vault without a recovery path or bad heights (`recoveryStatus`).
 * @example
 *   const d = planRefresh({ vault, me, coins, tipHeight, now, busy, memory });
 *   if (d.action === 'propose')
 *     await propose(buildRefreshSpend(vault, d.coins), d.memo), (memory = markProposed(d.memory, d.coins, now));
 */
export function planRefresh<C extends RecoveryCoin>(check: RefreshCheck<C>): RefreshDecision<C> {
  const { vault, me, coins, tipHeight, now, busy } = check;
  const stagger = check.staggerMs ?? REFRESH_STAGGER_MS;
  const margin = check.marginBlocks ?? refreshMarginBlocks(vault);
  const unspent = new Set(coins.map(outpointKey));
  // Forget coins that are gone (spent, by a refresh or otherwise): the memory stays bounded.
  const proposed = keep(check.memory.proposed, (key) => unspent.has(key));
  const free = coinsNeedingRefresh(vault, coins, tipHeight, margin).filter((coin) => {
    const key = outpointKey(coin);
    return !busy.has(key) && proposed[key] === undefined;
  });
  const freeKeys = new Set(free.map(outpointKey));
  const dueSince = keep(check.memory.dueSince, (key) => freeKeys.has(key));
  for (const key of freeKeys) dueSince[key] ??= now;
  const memory: RefreshMemory = { dueSince, proposed };
  if (free.length === 0 || me < 0) return { action: 'none', memory };

  const chosen = free.slice(0, MAX_REFRESH_INPUTS);
  const since = Math.min(...chosen.map((coin) => dueSince[outpointKey(coin)] as number));
  const at = since + me * stagger;
  if (now < at) return { action: 'wait', coins: chosen, at, memory };
  return { action: 'propose', coins: chosen, memo: refreshMemo(vault, chosen, tipHeight), memory };
}

/** The memory after proposing a refresh of `coins` at `now`: they are never proposed again. */
export function markProposed(
  memory: RefreshMemory,
  coins: readonly { txid: string; vout: number }[],
  now: number,
): RefreshMemory {
  const proposed = { ...memory.proposed };
  const dueSince = { ...memory.dueSince };
  for (const coin of coins) {
    const key = outpointKey(coin);
    proposed[key] = now;
    delete dueSince[key];
  }
  return { dueSince, proposed };
}

/**
 * What the members read on the proposal: when the most urgent coin opens to the recovery key
 * ("Refresh: the recovery path opens in 719 blocks, about 24 hours").
 */
export function refreshMemo(
  vault: Vault,
  coins: readonly RecoveryCoin[],
  tipHeight: number,
): string {
  const statuses = recoveryStatus(vault, coins, tipHeight);
  if (statuses.length === 0) return 'Refresh';
  const first = statuses.reduce((a, b) => (b.opensAtHeight < a.opensAtHeight ? b : a));
  return first.open
    ? 'Refresh: the recovery path is open now'
    : `Refresh: the recovery path opens ${first.about}`;
}

function keep(record: Record<string, number>, wanted: (key: string) => boolean) {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(record)) if (wanted(key)) out[key] = value;
  return out;
}
