/**
 * Equivocation without an echo round (docs/PROTOCOL.md §6.7): a partial signature that commits to
 * a nonce set other than ours means some signer sent different nonce messages to different
 * members. Whoever sees such a partial discloses, once, the signed nonce messages it signed on;
 * whoever then holds two different, validly signed nonce messages from one signer for the
 * attempt blames that signer with both as proof. If no proof comes in time the session fails
 * naming nobody: the member whose partial disagreed is, as often as not, an honest member that
 * was sent the other nonces, so naming it would accuse the wrong member.
 */
import { MAX_PAYLOAD_BYTES, MessageDecodeError, MessageType, openEnvelope } from '../envelope.ts';
import { BlameReason, type NonceDisclosurePayload, encodeNonceDisclosure } from '../messages.ts';
import { verifyBlame } from '../blame.ts';
import type { Inbound, Session } from '../session.ts';
import { attemptTranscript } from '../transcript.ts';
import { fromSigners, same, signers } from './attempt.ts';
import { blame, blameContext } from './blame-rules.ts';
import type { Outcome, Step } from './effects.ts';
import { pathMayExplain } from './leaf-path.ts';

/** Room for the disclosure's own fields (attempt, count) and each item's length prefix. */
const DISCLOSURE_OVERHEAD = 6;
const ITEM_OVERHEAD = 4;

/** `signer`'s partial committed to another nonce set than ours. */
export function onMismatch(session: Session, signer: number, step: Step): void {
  const round = session.round;
  if (!round || round.mismatch !== undefined || session.replaying) return;
  round.mismatch = signer;
  disclose(session, step);
  const input = { kind: 'mismatch-expired', attempt: round.attempt } as const;
  step.add({ kind: 'timer', session, delayMs: step.timeouts.mismatchMs, input });
}

/** Sends every member the signed nonce messages our set was made of (in as many as needed). */
function disclose(session: Session, step: Step): void {
  const round = session.round;
  if (!round?.setHash || round.disclosed) return;
  round.disclosed = true;
  const envelopes = fromSigners(session, round.attempt, round.nonces).map((n) => n.bytes);
  for (const nonces of chunks(envelopes)) {
    const body: NonceDisclosurePayload = { attempt: round.attempt, nonces };
    const bytes = step.seal(
      session,
      MessageType.nonceDisclosure,
      encodeNonceDisclosure(body),
      attemptTranscript(session.id, round.attempt),
    );
    step.sendToMembers(session, bytes);
  }
}

/** Groups envelopes so each group fits one envelope's payload. */
function chunks(envelopes: Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let size = DISCLOSURE_OVERHEAD;
  for (const e of envelopes) {
    const cost = ITEM_OVERHEAD + e.length;
    if (current.length > 0 && size + cost > MAX_PAYLOAD_BYTES) {
      out.push(current);
      current = [];
      size = DISCLOSURE_OVERHEAD;
    }
    current.push(e);
    size += cost;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Another member's nonce set: any signer's message that differs from ours is the proof. */
export function onDisclosure(
  session: Session,
  inbound: Inbound,
  body: NonceDisclosurePayload,
  step: Step,
): Outcome {
  if (body.attempt < session.attempt) return 'done';
  if (!step.expectTranscript(inbound, attemptTranscript(session.id, body.attempt))) return 'done';
  const list = signers(session, body.attempt);
  if (!list.includes(session.entry.me)) return 'done';
  const round = session.round;
  if (!round || body.attempt > round.attempt) return 'defer';
  for (const theirs of body.nonces) {
    const k = signerOf(theirs);
    const ours = k === undefined ? undefined : round.nonces[k];
    // Only a message that differs from ours can prove anything; the check verifies both.
    if (k === undefined || !ours || !list.includes(k) || same(ours.bytes, theirs)) continue;
    const evidence = [ours.bytes, theirs];
    const proof = {
      attempt: round.attempt,
      culprit: k,
      reason: BlameReason.equivocation,
      evidence,
    };
    if (verifyBlame(blameContext(session, round.attempt, step), proof)) {
      blame(session, k, BlameReason.equivocation, evidence, step);
      return 'done';
    }
  }
  return 'done';
}

function signerOf(envelope: Uint8Array): number | undefined {
  try {
    const env = openEnvelope(envelope);
    // A nonce message, or an approval its nonces rode with (verifyBlame checks which).
    return env.type === MessageType.nonces || env.type === MessageType.approval
      ? env.signerIndex
      : undefined;
  } catch (err) {
    if (err instanceof MessageDecodeError) return undefined;
    throw err;
  }
}

/**
 * No proof came while a partial's nonce set disagreed: the session fails, naming nobody. A group
 * that left the attempt meanwhile settled it (a member learned the path late and signed the key
 * path under the leaf's attempt number, simulator seed 3977389368): the later attempt runs on.
 * Where a path may explain the disagreement the session waits instead, for a later attempt,
 * proof or its expiry: the path reaches the other side in its own time, which lost copies and a
 * proposer that is down can make longer than any wait (simulator seeds 3322492311, 84000067).
 */
export function mismatchExpired(session: Session, attempt: number, step: Step): void {
  if (session.round?.attempt !== attempt || session.round.mismatch === undefined) return;
  if (pathMayExplain(session, step)) return;
  step.end(session, 'failed', {
    reason: 'nonce-mismatch',
    detail:
      'A member sent different nonces to different members; no proof of who reached this wallet in time.',
  });
}
