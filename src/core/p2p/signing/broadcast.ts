/**
 * Broadcast and the chain's answer (docs/PROTOCOL.md §6.8, §6.13): the member whose turn it is
 * broadcasts the final transaction and tells the others; a node's verdict decides what follows.
 * Already on chain is success; a script-verification rejection of the first side tried moves
 * the group to the other side's attempt; any other rejection is final; an unreachable indexer
 * leaves it to the next member in the order.
 */
import { verifyTransaction } from '../../chain/interpreter.ts';
import { parseTx, txid as txidOf } from '../../chain/transaction.ts';
import { MessageType } from '../envelope.ts';
import { AbortReason, type BroadcastPayload, encodeBroadcast } from '../messages.ts';
import { otherSideAttempt, signsOtherSide } from '../replay-attempts.ts';
import type { Session } from '../session.ts';
import { sendAbort } from './aborts.ts';
import { checkedFor } from './attempt.ts';
import type { Outcome, Step } from './effects.ts';
import { advanceTo } from './nonce-round.ts';

/** What the chain said to `attempt`'s final transaction. */
export type BroadcastAnswer =
  | { kind: 'accepted' }
  /** Rejected, or unreachable, but the transaction is on chain already. */
  | { kind: 'seen' }
  | { kind: 'rejected'; message: string; scriptVerify: boolean }
  | { kind: 'unreachable' };

export function broadcastAnswered(
  session: Session,
  attempt: number,
  answer: BroadcastAnswer,
  step: Step,
): void {
  const final = session.round?.final;
  if (!final) return;
  if (answer.kind === 'unreachable') return step.changed(session);
  if (answer.kind === 'rejected') {
    if (answer.scriptVerify && !signsOtherSide(attempt)) {
      // Hashed for the wrong side: every member moves to the other side's attempt, fresh
      // nonces, same approvals (the abort tells them why).
      const detail = `The network rejected the signatures' replay-protection side: ${answer.message}`;
      sendAbort(session, AbortReason.otherSide, detail, false, step);
      advanceTo(session, otherSideAttempt(attempt), step);
    } else
      step.end(session, 'failed', {
        reason: 'rejected',
        detail: `The network rejected the transaction: ${answer.message}`,
      });
    return;
  }
  const bytes = step.seal(
    session,
    MessageType.broadcast,
    encodeBroadcast({ attempt, tx: final.tx }),
    session.round?.signTranscript as Uint8Array,
  );
  step.sendToMembers(session, bytes);
  // Outside a leaf's signers, members may have no bound peer: they hear of it by gossip.
  if (session.path) step.add({ kind: 'publish', session, envelope: bytes });
  step.end(session, 'completed');
}

/** Another member's broadcast notice: the session completes if it carries our transaction. */
export function onBroadcast(session: Session, body: BroadcastPayload, step: Step): Outcome {
  if (!isFinalTx(session, body.tx, body.attempt)) return 'done';
  if (session.replaying) return 'done';
  step.end(session, 'completed');
  return 'done';
}

/** True if `bytes` is this session's transaction, fully signed and valid. */
function isFinalTx(session: Session, bytes: Uint8Array, attempt: number): boolean {
  try {
    const tx = parseTx(bytes);
    if (txidOf(tx) !== session.checked.summary.txid) return false;
    const { spent } = session.checked.spend;
    const { replay } = checkedFor(session, attempt);
    return verifyTransaction(tx, spent, { replay }).ok;
  } catch {
    return false;
  }
}
