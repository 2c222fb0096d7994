/**
 * What one attempt of a session signs, and with whom (docs/PROTOCOL.md §6.13, §6.14): its
 * replay-protection side, the key path or the proposer's leaf, and the MuSig2 context that goes
 * with it. Pure and cached on the session: every member derives the same answers.
 */
import type { KeyAggContext } from '../../crypto/musig2.ts';
import { otherSideOf, signsOtherSide } from '../replay-attempts.ts';
import type { Session } from '../session.ts';
import { forLeaf, leafKeyContext, pathLeaf, signersFor } from '../signing-path.ts';
import type { CheckedSpend } from '../spend-check.ts';

/** Members who sign `attempt`: the proposer's path from its attempt on, else every member. */
export function signers(session: Session, attempt: number): number[] {
  return signersFor(session.entry.vault, session.path, attempt);
}

/** The leaf `attempt` spends through, or undefined for the key path. */
export function leafOf(session: Session, attempt: number) {
  const list = signers(session, attempt);
  return list.length < session.entry.vault.members.length
    ? pathLeaf(session.entry.vault, list)
    : undefined;
}

/** The spend with the sighashes of `attempt`: its replay-protection side, key path or leaf. */
export function checkedFor(session: Session, attempt: number): CheckedSpend {
  const other = signsOtherSide(attempt);
  const list = signers(session, attempt);
  const leaf = leafOf(session, attempt);
  if (!other && !leaf) return session.checked;
  const key = `${other ? 'other' : 'same'}:${list.join(',')}`;
  let checked = session.variants.get(key);
  if (!checked) {
    checked = other ? otherSideOf(session.checked) : session.checked;
    if (leaf) checked = forLeaf(checked, leaf);
    session.variants.set(key, checked);
  }
  return checked;
}

/** The MuSig2 context of `attempt`: the vault's tweaked key, or the path leaf's own key. */
export function ctxFor(session: Session, attempt: number): KeyAggContext {
  const list = signers(session, attempt);
  if (list.length === session.entry.vault.members.length) return session.entry.ctx;
  const key = list.join(',');
  let ctx = session.leafContexts.get(key);
  if (!ctx) {
    ctx = leafKeyContext(session.entry.vault, list);
    session.leafContexts.set(key, ctx);
  }
  return ctx;
}

/** Every signer of `attempt` has approved. */
export function ready(session: Session, attempt: number): boolean {
  return signers(session, attempt).every((i) => session.approvals[i] !== undefined);
}

/** Every signer of the round's attempt has sent its `items` entry. */
export function allFrom<T>(session: Session, attempt: number, items: (T | undefined)[]): boolean {
  return signers(session, attempt).every((i) => items[i] !== undefined);
}

/** `items` of the signers of `attempt`, in signer order (present: check allFrom first). */
export function fromSigners<T>(session: Session, attempt: number, items: (T | undefined)[]): T[] {
  return signers(session, attempt).map((i) => items[i] as T);
}

export const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);
