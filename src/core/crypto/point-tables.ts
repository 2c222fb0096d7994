/**
 * Precomputed multiplication tables for public keys that are multiplied again and again: the
 * members of a vault, whose keys sign every protocol envelope and every partial signature. One
 * table per key, shared by envelope verification (schnorr.ts) and MuSig2 (musig2.ts).
 *
 * A table is noble's width-6 wNAF table for variable-time multiplication (44 × 32 points,
 * ≈ 240 KiB of heap measured on Node 24; ~4× faster than a multiplication without it, and
 * ≈ 1,400 point additions to build). Memory is bounded: at most MAX_TABLES tables (≈ 30 MiB).
 * Keys pinned by an open session keep theirs until the session closes; the others are evicted
 * least recently used first. When every table is pinned, a further key is multiplied without one.
 */
import { Point } from './curve.ts';

type Pt = InstanceType<typeof Point>;

export const TABLE_WINDOW = 6;
/** Above any one session (a vault has at most 100 members) with room for a few more vaults. */
export const MAX_TABLES = 128;

/** Tables by compressed key (hex), least recently used first. */
const tables = new Map<string, Pt>();
/** How many open sessions pin each key. */
const pins = new Map<string, number>();
/** The keys each session pinned, so closing it releases exactly those. */
const pinnedBy = new Map<string, string[]>();

/**
 * The key's point with a table, built now if there is room. `id` is the compressed key in hex.
 * The table hangs off a private copy of the point, so evicting it here frees it even while the
 * caller keeps its own point; callers use the result for the multiplication at hand only.
 * A table is handed out only for the very point it was built from: a caller whose point does not
 * match its id (a corrupted context, say) gets none, so it cannot borrow or poison another's.
 */
export function tableFor(id: string, point: Pt): Pt | undefined {
  const hit = tables.get(id);
  if (hit) {
    if (!hit.equals(point)) return undefined;
    tables.delete(id);
    tables.set(id, hit);
    return hit;
  }
  if (!makeRoom()) return undefined;
  // Lazy: the first multiplyUnsafe builds only the variable-time table (precompute(W, false)
  // would also build the blinded constant-time one, 2.3× the memory, which public keys never use).
  const table = new Point(point.X, point.Y, point.Z).precompute(TABLE_WINDOW, true);
  tables.set(id, table);
  return table;
}

/** True if `id` has a table now. */
export function hasTable(id: string): boolean {
  return tables.has(id);
}

/** True if an open session pins `id`. */
export function isPinned(id: string): boolean {
  return pins.has(id);
}

function makeRoom(): boolean {
  if (tables.size < MAX_TABLES) return true;
  for (const id of tables.keys()) {
    if (!pins.has(id)) {
      tables.delete(id);
      return true;
    }
  }
  return false;
}

/**
 * Keeps tables for `keyIds` (compressed keys in hex) until `unpinTables(owner)`: built on first
 * use, never evicted meanwhile. Pinning again under the same owner replaces its previous set.
 */
export function pinTables(owner: string, keyIds: readonly string[]): void {
  unpinTables(owner);
  const unique = [...new Set(keyIds)];
  for (const id of unique) pins.set(id, (pins.get(id) ?? 0) + 1);
  pinnedBy.set(owner, unique);
}

/** Releases the keys `owner` pinned; their tables stay as ordinary, evictable entries. */
export function unpinTables(owner: string): void {
  const ids = pinnedBy.get(owner);
  if (!ids) return;
  pinnedBy.delete(owner);
  for (const id of ids) {
    const left = (pins.get(id) ?? 1) - 1;
    if (left > 0) pins.set(id, left);
    else pins.delete(id);
  }
}

/** Counts for tests and diagnostics. */
export function tableStats(): { tables: number; pinnedKeys: number; owners: number } {
  return { tables: tables.size, pinnedKeys: pins.size, owners: pinnedBy.size };
}

/** @internal Drops every table and pin (tests). */
export function resetTables(): void {
  tables.clear();
  pins.clear();
  pinnedBy.clear();
}
