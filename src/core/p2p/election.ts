/**
 * Coordinator election and failover order. Every member computes the same order with no extra
 * messages: members sorted by TH("Petal/coordinator", session id ‖ attempt ‖ seed ‖ member key).
 *
 * The seed is TH("Petal/election-seed", reveal_0 ‖ … ‖ reveal_{n−1}) from a commit-reveal run
 * inside the rounds (commitment in the nonce message, reveal with the partial signatures). The
 * session id alone would not do: the proposer picks the proposal (its salt, its locktime), so it
 * could grind the id until it comes first. With commit-reveal, a member who sees the other reveals
 * has already committed to its own; it can only abort, which any member of an n-of-n group can do anyway.
 */
import { taggedHash } from '../crypto/hash.ts';

export function electionSeed(reveals: Uint8Array[]): Uint8Array {
  return taggedHash('Petal/election-seed', ...reveals);
}

/** Member indices in coordinator order: first broadcasts, the next takes over after a timeout. */
export function coordinatorOrder(
  sessionId: Uint8Array,
  attempt: number,
  seed: Uint8Array,
  members: readonly Uint8Array[],
): number[] {
  const a = new Uint8Array(4);
  new DataView(a.buffer).setUint32(0, attempt);
  const ranks = members.map((key, index) => ({
    index,
    rank: taggedHash('Petal/coordinator', sessionId, a, seed, key),
  }));
  ranks.sort((x, y) => compare(x.rank, y.rank) || x.index - y.index);
  return ranks.map((r) => r.index);
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
