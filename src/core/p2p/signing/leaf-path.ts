/**
 * Threshold vaults: key path or a leaf of k approvers (docs/PROTOCOL.md §6.14). Once its deadline
 * for every member's approval passed, the proposer names the k lowest-indexed members whose
 * approval it holds; from the next attempt on they sign through their script leaf.
 */
import { MessageType } from '../envelope.ts';
import { type PathPayload, encodePath } from '../messages.ts';
import { FINISHED, type Inbound, type Session } from '../session.ts';
import {
  MAX_PATHS,
  choosePathSigners,
  invalidPath,
  pathCount,
  replacingPath,
} from '../signing-path.ts';
import { attemptTranscript } from '../transcript.ts';
import { ready } from './attempt.ts';
import type { Outcome, Step } from './effects.ts';
import { advanceTo } from './nonce-round.ts';
import { followOffered } from './approval-nonces.ts';

/** Clock difference tolerated when a member checks that the proposer's deadline has passed. */
const PATH_CLOCK_SKEW_MS = 60_000;

/** The proposer looks again when its deadline for every member's approval passes. */
export function scheduleLeafDeadline(session: Session, step: Step): void {
  const at = session.proposal.leafAfter;
  if (at === undefined || session.proposer !== session.entry.me || session.replaying) return;
  const delayMs = Math.max(0, at - step.now);
  step.add({ kind: 'timer', session, delayMs, input: { kind: 'leaf-deadline' } });
}

export function leafDeadlinePassed(session: Session, step: Step): void {
  // Timers run on the monotonic clock and may fire a millisecond before the wall clock reads
  // the deadline: maybeChoosePath would pass, and no later event makes it look again.
  if (step.now < (session.proposal.leafAfter ?? 0)) scheduleLeafDeadline(session, step);
  else maybeChoosePath(session, step);
}

/**
 * A round that can still finish: every one of its signers still approves. A key-path round we
 * signed in stays after a member revoked (our partial may yet count, §6.4), but it can no longer
 * finish, so it must not keep the proposer from naming a leaf (simulator seed 1082650148).
 */
function roundCanFinish(session: Session): boolean {
  return session.round !== undefined && ready(session, session.round.attempt);
}

/**
 * A path that can still finish: every member it names still approves. One whose member revoked
 * is stranded, and late approvals never move a session off its path, so only a new choice can
 * finish the session (simulator seed 725001612).
 */
function pathStands(session: Session): boolean {
  const path = session.path;
  if (!path) return false;
  return pathCount(path) >= MAX_PATHS || path.signers.every((i) => session.approvals[i]);
}

/**
 * The proposer names the leaf's signers, if its deadline passed with enough approvals; again,
 * if a member it named revoked and k others approve.
 */
export function maybeChoosePath(session: Session, step: Step): void {
  const { proposal, entry } = session;
  if (session.replaying || FINISHED.has(session.phase) || pathStands(session)) return;
  if (roundCanFinish(session)) return;
  if (session.proposer !== entry.me || proposal.leafAfter === undefined) return;
  if (step.now < proposal.leafAfter) return;
  const approved = session.approvals.map((a) => a !== undefined);
  const signers = choosePathSigners(entry.vault, approved);
  if (!signers) return;
  const path: PathPayload = { attempt: session.attempt + 1, signers };
  const transcript = attemptTranscript(session.id, path.attempt);
  const bytes = step.seal(session, MessageType.path, encodePath(path), transcript);
  // Gossip and the mailbox too: members who have not approved have no bound peer yet.
  session.pathBytes = bytes;
  step.sendToMembers(session, bytes);
  step.add({ kind: 'publish', session, envelope: bytes });
  step.add({ kind: 'mailbox', session });
  adoptPath(session, path, path.attempt, step);
}

function adoptPath(session: Session, path: PathPayload, attempt: number, step: Step): void {
  session.path = replacingPath(session.path, path);
  step.changed(session);
  // A signer's approval may carry nonces for a later attempt the path covers: the group is there
  // (the signer restarted or revoked meanwhile, simulator seed 1501167134).
  followOffered(session, step);
  advanceTo(session, attempt, step);
}

export function onPath(session: Session, inbound: Inbound, body: PathPayload, step: Step): Outcome {
  const { vault } = session.entry;
  if (!step.expectTranscript(inbound, attemptTranscript(session.id, body.attempt))) return 'done';
  const deadline = session.proposal.leafAfter;
  // Only the proposer chooses, among approvers, and not before its own deadline.
  if (inbound.env.signerIndex !== session.proposer || deadline === undefined) {
    step.penalize(inbound.from, 'invalid-proposal');
    return 'done';
  }
  // A later choice replaces a stranded path (the proposer makes one only then), up to MAX_PATHS.
  const path = session.path;
  if (path && (body.attempt <= path.attempt || pathCount(path) >= MAX_PATHS)) return 'done';
  if (invalidPath(vault, body.signers)) {
    step.penalize(inbound.from, 'invalid-proposal');
    return 'done';
  }
  if (!session.replaying && step.now + PATH_CLOCK_SKEW_MS < deadline) {
    step.penalize(inbound.from, 'invalid-proposal');
    return 'done';
  }
  if (!body.signers.every((i) => session.approvals[i] !== undefined)) return 'defer';
  session.pathBytes = inbound.bytes;
  if (session.replaying) {
    session.path = replacingPath(session.path, body);
    if (body.attempt > session.attempt) {
      session.attempt = body.attempt;
      session.round = undefined;
    }
    return 'done';
  }
  // A key-path round of ours (we held every approval) gives way: its nonces are never used.
  const target = session.round
    ? Math.max(session.attempt + 1, body.attempt)
    : Math.max(session.attempt, body.attempt);
  adoptPath(session, body, target, step);
  return 'done';
}

/**
 * A signer whose partial disagreed with our nonce set while we hold a path may have signed the
 * key path, never having heard of the path (the proposer's copies lost, or the proposer down).
 * We pass it the proposer's signed path once: it moves to a later attempt, and so do we when its
 * nonces for it arrive (simulator seeds 3322492311, 84000067).
 */
export function forwardPath(session: Session, signer: number, step: Step): void {
  const round = session.round;
  if (!round || !session.pathBytes || session.replaying || signer === session.entry.me) return;
  round.pathForwarded ??= new Set();
  if (round.pathForwarded.has(signer)) return;
  round.pathForwarded.add(signer);
  step.add({ kind: 'send', session, envelope: session.pathBytes, to: signer });
}

/**
 * A message for a later attempt than ours, from or to a member outside our path, may belong to a
 * path we have not received yet: the proposer names a new one when a member of ours revoked
 * (simulator seed 3433601621). It waits for that path rather than being dropped.
 */
export function laterPathMayCover(session: Session, attempt: number): boolean {
  return session.path !== undefined && attempt > session.attempt;
}

/**
 * A partial over another nonce set may come from a signer on the other side of a path: one that
 * has not learned it yet, or (when we have not) one that has. That holds once we hold a path, or
 * once the proposer may have named one (its deadline passed, give or take clock skew).
 */
export function pathMayExplain(session: Session, step: Step): boolean {
  const deadline = session.proposal.leafAfter;
  if (deadline === undefined) return false;
  return session.path !== undefined || step.now + PATH_CLOCK_SKEW_MS >= deadline;
}
