/**
 * One session's protocol as a state machine: `(session, input, step) → outcome`, the step
 * collecting the effects (signing/effects.ts) the service executes. Inputs are received
 * messages and the timers a step set; the other inputs — the user's approval or revocation,
 * a restart, the chain's answers — enter through their phase's module (approvals.ts,
 * restart.ts, broadcast.ts) because the service must ask storage or the chain first.
 */
import { MessageType } from '../envelope.ts';
import type { ApprovalPayload } from '../messages.ts';
import type { Inbound, Session } from '../session.ts';
import { onAbort } from './aborts.ts';
import { onRevoke } from './approvals.ts';
import { onBlame } from './blame-rules.ts';
import { onBroadcast } from './broadcast.ts';
import type { Outcome, Step, TimerInput } from './effects.ts';
import { leafDeadlinePassed, onPath } from './leaf-path.ts';
import { mismatchExpired, onDisclosure } from './disclosure.ts';
import { onNonces } from './nonce-round.ts';
import { onPartials } from './partial-round.ts';

/** Messages accepted only from the peer the signer's approval bound (aborts and blames are
 * self-evident from their signatures and may come from a member who never approved). */
const BOUND_TYPES: ReadonlySet<number> = new Set([
  MessageType.nonces,
  MessageType.nonceDisclosure,
  MessageType.partialSigs,
  MessageType.broadcast,
]);

/**
 * The peer binding of docs/PROTOCOL.md §5.4: a round message from a transport peer other than
 * the one its signer's approval bound waits (a member that restarted may speak from a new peer
 * before its re-approval, which rebinds it, arrives). One that came from the bound peer keeps
 * that standing while it waits for other state: its signer may restart and rebind meanwhile, and
 * by then its copies from the new peer are replays (simulator seed 3946470924).
 */
export function awaitsBinding(session: Session, inbound: Inbound): boolean {
  const { env, payload, from } = inbound;
  if (from === undefined || inbound.bound || !BOUND_TYPES.has(payload.type)) return false;
  if (session.peers[env.signerIndex] !== from) return true;
  inbound.bound = true;
  return false;
}

/** A received message, other than an approval (approvals may need the chain: approvals.ts). */
export function onMessage(session: Session, inbound: Inbound, step: Step): Outcome {
  if (awaitsBinding(session, inbound)) return 'defer';
  const { payload } = inbound;
  switch (payload.type) {
    case MessageType.revoke:
      return onRevoke(session, inbound, step);
    case MessageType.nonces:
      return onNonces(session, inbound, payload.body, step);
    case MessageType.nonceDisclosure:
      return onDisclosure(session, inbound, payload.body, step);
    case MessageType.partialSigs:
      return onPartials(session, inbound, payload.body, step);
    case MessageType.abort:
      return onAbort(session, inbound, payload.body, step);
    case MessageType.blame:
      return onBlame(session, inbound, payload.body, step);
    case MessageType.broadcast:
      return onBroadcast(session, payload.body, step);
    case MessageType.path:
      return onPath(session, inbound, payload.body, step);
    default:
      return 'done';
  }
}

/** The approval carried by `inbound`, if it is one. */
export function approvalOf(inbound: Inbound): ApprovalPayload | undefined {
  return inbound.payload.type === MessageType.approval ? inbound.payload.body : undefined;
}

/** A timer a step set fired (the failover timer asks the chain first: the service's part). */
export function onTimer(
  session: Session,
  input: Exclude<TimerInput, { kind: 'failover' }>,
  step: Step,
) {
  if (input.kind === 'mismatch-expired') mismatchExpired(session, input.attempt, step);
  else leafDeadlinePassed(session, step);
}
