/**
 * Which side of lotusd's replay-protection switch each signing attempt hashes for. A member's
 * approval binds the spend (inputs, outputs, fee), not the side: the proposal names the side its
 * proposer's tip implied, and if a node rejects the final transaction as a script-verification
 * failure, the session's next attempt signs the same spend for the other side, under the same
 * approvals and with fresh nonces. Both versions spend the same inputs and share the Lotus txid
 * (it does not cover signatures), so at most one can ever confirm.
 *
 * The side is a pure function of the attempt number, so every member (and a member replaying its
 * stored transcript after a restart) derives the same one from any message it holds: attempts
 * numbered from OTHER_SIDE_ATTEMPT up sign for the side opposite the proposal's.
 */
import { type ReplayProtection, sighashLotusAll } from '../chain/sighash.ts';
import type { CheckedSpend } from './spend-check.ts';
import { sighashDigest } from './transcript.ts';

/** The first attempt number that signs for the other side (attempts are u32 on the wire). */
export const OTHER_SIDE_ATTEMPT = 0x8000_0000;

export function signsOtherSide(attempt: number): boolean {
  return attempt >= OTHER_SIDE_ATTEMPT;
}

/** The attempt that follows `attempt` when the network rejected its side. */
export function otherSideAttempt(attempt: number): number {
  return signsOtherSide(attempt) ? attempt : OTHER_SIDE_ATTEMPT + attempt;
}

/** Whether `attempt` of a proposal made for side `proposed` signs replay-protected. */
export function replayProtectionOf(proposed: boolean, attempt: number): boolean {
  return signsOtherSide(attempt) ? !proposed : proposed;
}

/** The same checked spend with every sighash computed for the other replay-protection side. */
export function otherSideOf(checked: CheckedSpend): CheckedSpend {
  const { spend } = checked;
  const replay: ReplayProtection = { active: !checked.replay.active };
  const sighashes = sighashLotusAll(
    spend.tx,
    spend.spent,
    spend.hashType,
    undefined,
    replay,
    checked.txData,
  );
  return { ...checked, replay, sighashes, sighashDigest: sighashDigest(sighashes) };
}
