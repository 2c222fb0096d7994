/**
 * Blame evidence: an accusation that anyone holding the proposal can check on their own, because
 * it is made of the culprit's own signed messages. A member who receives a blame verifies it; a
 * proven blame names the culprit (and costs its peer reputation), an unprovable one costs the
 * accuser instead.
 *
 * A "nonce message" here is a nonces envelope (type 4) or an approval envelope that carries the
 * signer's nonces for the attempt (docs/PROTOCOL.md §4.2): both are the signer's signed word on
 * the same payload, and its digest is the nonces payload's either way.
 *
 *   invalid partial sig  culprit's partial-sig message and every signer's nonce message, whose
 *                        digests hash to the nonce set the partial commits to: PartialSigVerify fails
 *   equivocation         two nonce messages from the culprit for one attempt with different bodies
 *   invalid nonce        the culprit's nonce message whose public nonce is not on the curve
 *   bad reveal           the culprit's nonce message and partial-sig message: the reveal it carries
 *                        does not open the nonce message's commitment
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { InvalidContributionError } from '../crypto/errors.ts';
import { type KeyAggContext, nonceAgg, partialSigVerify } from '../crypto/musig2.ts';
import {
  type EnvelopeAuth,
  MessageDecodeError,
  MessageType,
  type SignedEnvelope,
  openEnvelope,
  schnorrAuth,
  verifyEnvelope,
} from './envelope.ts';
import {
  type ApprovalPayload,
  type BlamePayload,
  BlameReason,
  type NoncesPayload,
  type PartialSigsPayload,
  decodePayload,
  encodeNonces,
} from './messages.ts';
import {
  attemptTranscript,
  electionCommit,
  nonceDigest,
  nonceSetHash,
  signTranscript,
} from './transcript.ts';

export interface BlameContext {
  vaultId: Uint8Array;
  sessionId: Uint8Array;
  /** Sorted member keys (envelope signer indices point here). */
  members: readonly Uint8Array[];
  /** Member indices that signed the attempt, in KeyAgg order (default: every member). */
  signers?: readonly number[];
  /** The attempt's MuSig2 context: the vault's key, or the path leaf's key over `signers`. */
  keyCtx: KeyAggContext;
  /** Every input's sighash, as this member computed it from the proposal. */
  sighashes: Uint8Array[];
  auth?: EnvelopeAuth;
}

interface Opened<T> {
  env: SignedEnvelope;
  body: T;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Opens one evidence envelope: right vault, session, signer and type, valid signature. */
function open<T>(
  ctx: BlameContext,
  bytes: Uint8Array | undefined,
  type: MessageType,
  signer: number,
  attempt: number | undefined,
): Opened<T> | undefined {
  if (!bytes) return undefined;
  try {
    const env = openEnvelope(bytes);
    const key = ctx.members[signer];
    if (
      !key ||
      env.type !== type ||
      env.signerIndex !== signer ||
      !same(env.vaultId, ctx.vaultId) ||
      !same(env.sessionId, ctx.sessionId) ||
      !verifyEnvelope(env, key, ctx.auth ?? schnorrAuth)
    )
      return undefined;
    const payload = decodePayload(env.type, env.payload);
    const body = payload.body as T & { attempt?: number };
    if (attempt !== undefined && body.attempt !== attempt) return undefined;
    return { env, body: body as T };
  } catch (err) {
    if (err instanceof MessageDecodeError) return undefined;
    throw err;
  }
}

/** A signed nonce message for an attempt: a nonces envelope, or an approval carrying nonces. */
interface OpenedNonces {
  env: SignedEnvelope;
  body: NoncesPayload;
  /** The nonces payload bytes (what a nonce digest hashes, what equivocation compares). */
  payload: Uint8Array;
}

function openNonces(
  ctx: BlameContext,
  bytes: Uint8Array | undefined,
  signer: number,
  attempt: number,
): OpenedNonces | undefined {
  const message = open<NoncesPayload>(ctx, bytes, MessageType.nonces, signer, attempt);
  if (message) return { ...message, payload: message.env.payload };
  const approval = open<ApprovalPayload>(ctx, bytes, MessageType.approval, signer, undefined);
  const body = approval?.body.nonces;
  if (!approval || body?.attempt !== attempt) return undefined;
  return { env: approval.env, body, payload: encodeNonces(body) };
}

function pubNonceValid(pubNonce: Uint8Array): boolean {
  try {
    nonceAgg([pubNonce]);
    return true;
  } catch (err) {
    if (err instanceof InvalidContributionError) return false;
    throw err;
  }
}

/** True if the evidence proves the accusation against `blame.culprit`. */
export function verifyBlame(ctx: BlameContext, blame: BlamePayload): boolean {
  const { culprit, attempt, evidence } = blame;
  const n = ctx.members.length;
  if (culprit >= n) return false;
  switch (blame.reason) {
    case BlameReason.equivocation: {
      const a = openNonces(ctx, evidence[0], culprit, attempt);
      const b = openNonces(ctx, evidence[1], culprit, attempt);
      return !!a && !!b && !same(a.payload, b.payload);
    }
    case BlameReason.invalidNonce: {
      const a = openNonces(ctx, evidence[0], culprit, attempt);
      // A signed nonce message with the wrong number of nonces is itself the proof.
      return (
        !!a &&
        (a.body.pubNonces.length !== ctx.sighashes.length ||
          a.body.pubNonces.some((p) => !pubNonceValid(p)))
      );
    }
    case BlameReason.badReveal: {
      const nonces = openNonces(ctx, evidence[0], culprit, attempt);
      const psigs = open<PartialSigsPayload>(
        ctx,
        evidence[1],
        MessageType.partialSigs,
        culprit,
        attempt,
      );
      if (!nonces || !psigs) return false;
      const expected = electionCommit(ctx.sessionId, attempt, culprit, psigs.body.electionReveal);
      return !same(expected, nonces.body.electionCommit);
    }
    case BlameReason.invalidPartialSig:
      return provesInvalidPartial(ctx, blame);
    default:
      return false;
  }
}

function provesInvalidPartial(ctx: BlameContext, blame: BlamePayload): boolean {
  const { culprit, attempt, evidence } = blame;
  const signers = ctx.signers ?? ctx.members.map((_, index) => index);
  const position = signers.indexOf(culprit);
  const n = signers.length;
  if (position < 0 || evidence.length !== n + 1) return false;
  const psigs = open<PartialSigsPayload>(
    ctx,
    evidence[0],
    MessageType.partialSigs,
    culprit,
    attempt,
  );
  if (!psigs) return false;
  const nonces: NoncesPayload[] = [];
  const digests: Uint8Array[] = [];
  for (let j = 0; j < n; j++) {
    const member = signers[j] as number;
    const opened = openNonces(ctx, evidence[1 + j], member, attempt);
    if (!opened || opened.body.pubNonces.length !== ctx.sighashes.length) return false;
    digests.push(nonceDigest(opened.payload));
    nonces.push(opened.body);
  }
  // The set must be exactly the one the culprit's partial commits to (it signed on these nonces).
  const setHash = nonceSetHash(digests);
  if (!same(psigs.body.nonceSetHash, setHash)) return false;
  const expected = signTranscript(attemptTranscript(ctx.sessionId, attempt), setHash);
  if (!same(psigs.env.transcriptHash, expected)) return false;
  // Signed, bound to the agreed nonce set, and the wrong number of signatures: proven.
  if (psigs.body.partialSigs.length !== ctx.sighashes.length) return true;
  for (let i = 0; i < ctx.sighashes.length; i++) {
    const column = nonces.map((p) => p.pubNonces[i] as Uint8Array);
    let aggNonce: Uint8Array;
    try {
      aggNonce = nonceAgg(column);
    } catch {
      return false; // an invalid nonce is a different accusation
    }
    const ok = partialSigVerify(
      psigs.body.partialSigs[i] as Uint8Array,
      column[position] as Uint8Array,
      position,
      ctx.keyCtx,
      aggNonce,
      ctx.sighashes[i] as Uint8Array,
    );
    if (!ok) return true;
  }
  return false;
}

/** A short, stable description for logs and events. */
export function blameKey(sessionId: Uint8Array, attempt: number, culprit: number): string {
  return `${bytesToHex(sessionId)}:${attempt}:${culprit}`;
}
