/**
 * Which members sign an attempt, and what they sign, for threshold vaults. Every member signs the
 * Taproot key path while every member approves. When the proposal allows leaves and not everyone
 * has approved by its deadline, the proposer names k approvers (a path message, docs/PROTOCOL.md
 * §6.14); from that attempt on, only they run the rounds, over the MuSig2 key of their own script
 * leaf, and the spend is signed for that leaf (SIGHASH_LOTUS spend type 2, the tapleaf hash).
 */
import { type ExecutionData, sighashLotusAll } from '../chain/sighash.ts';
import { type KeyAggContext, keyAgg } from '../crypto/musig2.ts';
import { type Vault, type VaultLeaf, leafFor } from '../wallet/vault.ts';
import type { CheckedSpend } from './spend-check.ts';
import { sighashDigest } from './transcript.ts';

/** No OP_CODESEPARATOR was executed: the position lotusd commits to then. */
const NO_CODESEPARATOR = 0xffffffff;

/**
 * The proposer's choice: these members sign every attempt from `attempt` on. A later choice
 * (a member of this one revoked) keeps the one it replaced, for the attempts before it.
 */
export interface SigningPath {
  attempt: number;
  signers: number[];
  previous?: SigningPath;
}

/** How many path choices a session follows: each one past the first replaces a stranded path. */
export const MAX_PATHS = 8;

/** Member indices that sign `attempt`: the signers of the path that covers it, else everyone. */
export function signersFor(vault: Vault, path: SigningPath | undefined, attempt: number): number[] {
  for (let p = path; p; p = p.previous) if (attempt >= p.attempt) return p.signers;
  return vault.members.map((_, index) => index);
}

/** A new choice of `signers` from `attempt` on, keeping `previous` (the one it replaces). */
export function replacingPath(
  previous: SigningPath | undefined,
  choice: { attempt: number; signers: readonly number[] },
): SigningPath {
  return {
    attempt: choice.attempt,
    signers: [...choice.signers],
    ...(previous ? { previous } : {}),
  };
}

/** How many choices `path` stands on (itself and those it replaced). */
export function pathCount(path: SigningPath | undefined): number {
  let count = 0;
  for (let p = path; p; p = p.previous) count++;
  return count;
}

/**
 * The signers the proposer names once the deadline passed: the k lowest-indexed members whose
 * approval it holds, or undefined while fewer than k (or all n, when the key path works) are in.
 */
export function choosePathSigners(vault: Vault, approved: boolean[]): number[] | undefined {
  const approvers = approved.flatMap((yes, index) => (yes ? [index] : []));
  if (approvers.length < vault.threshold || approvers.length === vault.members.length)
    return undefined;
  return approvers.slice(0, vault.threshold);
}

/**
 * Why a path message cannot be followed, or undefined if it can: it names exactly k ascending
 * members of the vault that have a signing leaf.
 */
export function invalidPath(vault: Vault, signers: number[]): string | undefined {
  if (vault.threshold >= vault.members.length) return 'The vault has no script leaves';
  if (signers.length !== vault.threshold)
    return `A path names ${vault.threshold} signers, not ${signers.length}`;
  if (signers.some((s, i) => s >= vault.members.length || (i > 0 && s <= (signers[i - 1] ?? -1))))
    return 'Path signers must be ascending member indices';
  return leafFor(vault, signers) ? undefined : 'No script leaf for these signers';
}

/** The leaf `signers` spend through (they form a valid path). */
export function pathLeaf(vault: Vault, signers: number[]): VaultLeaf {
  const leaf = leafFor(vault, signers);
  if (!leaf) throw new Error('No script leaf for these signers');
  return leaf;
}

/** The untweaked MuSig2 context of the leaf's key (the subset's keys, in member order). */
export function leafKeyContext(vault: Vault, signers: number[]): KeyAggContext {
  return keyAgg(signers.map((index) => vault.members[index] as Uint8Array));
}

/** The spend's sighashes for a script-path spend through `leaf` (same side of replay protection). */
export function forLeaf(checked: CheckedSpend, leaf: VaultLeaf): CheckedSpend {
  const { spend } = checked;
  const execution: ExecutionData = {
    codeSeparatorPos: NO_CODESEPARATOR,
    executedScriptHash: leaf.leafHash,
  };
  const sighashes = sighashLotusAll(
    spend.tx,
    spend.spent,
    spend.hashType,
    execution,
    checked.replay,
    checked.txData,
  );
  return { ...checked, sighashes, sighashDigest: sighashDigest(sighashes) };
}
