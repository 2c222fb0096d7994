/**
 * The hashes that bind every message to what its sender had seen (docs/PROTOCOL.md §5). Each round
 * message carries one of these in its envelope's transcript field; a receiver whose own value
 * differs drops (or, if it is behind, buffers) the message.
 *
 *   session id   = TH("Petal/session", vault id ‖ u16 proposer ‖ proposal payload)
 *   T_proposal   = TH("Petal/transcript/proposal", session id)               approval, revoke
 *   T_attempt(a) = TH("Petal/transcript/attempt", session id ‖ u32 a)   nonces, disclosure, abort, blame
 *   T_sign(a)    = TH("Petal/transcript/sign", T_attempt(a) ‖ nonce set)     partial sigs, broadcast
 *
 * A partial signature's T_sign is over the nonce set *its sender* signed on (the set hash it also
 * carries): a receiver with another set does not drop it but compares sets (signing/disclosure.ts).
 */
import { taggedHash } from '../crypto/hash.ts';

export const ZERO_TRANSCRIPT = new Uint8Array(32);

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

/** The session id: a hash of the whole signed proposal, so nobody can change it under the same id. */
export function sessionIdOf(
  vaultId: Uint8Array,
  proposerIndex: number,
  proposalPayload: Uint8Array,
): Uint8Array {
  return taggedHash('Petal/session', vaultId, u16(proposerIndex), proposalPayload);
}

export function proposalTranscript(sessionId: Uint8Array): Uint8Array {
  return taggedHash('Petal/transcript/proposal', sessionId);
}

export function attemptTranscript(sessionId: Uint8Array, attempt: number): Uint8Array {
  return taggedHash('Petal/transcript/attempt', sessionId, u32(attempt));
}

export function signTranscript(attemptHash: Uint8Array, nonceSetHash: Uint8Array): Uint8Array {
  return taggedHash('Petal/transcript/sign', attemptHash, nonceSetHash);
}

/** Digest of one member's nonce message payload, as received. */
export function nonceDigest(noncesPayload: Uint8Array): Uint8Array {
  return taggedHash('Petal/nonce-digest', noncesPayload);
}

/** The nonce set an attempt signs on: its signers' nonce digests, in signer order. */
export function nonceSetHash(digests: Uint8Array[]): Uint8Array {
  return taggedHash('Petal/nonce-set', ...digests);
}

/** What an approval commits to: every input's sighash as the approver computed it. */
export function sighashDigest(sighashes: Uint8Array[]): Uint8Array {
  return taggedHash('Petal/sighashes', ...sighashes);
}

/** Election commitment, bound to the session, attempt and member so it cannot be copied. */
export function electionCommit(
  sessionId: Uint8Array,
  attempt: number,
  signerIndex: number,
  reveal: Uint8Array,
): Uint8Array {
  return taggedHash('Petal/election-commit', sessionId, u32(attempt), u16(signerIndex), reveal);
}

/** The nonce-generation extra input: binds each secret nonce to its session, attempt and input. */
export function nonceExtraInput(sessionId: Uint8Array, attempt: number, input: number): Uint8Array {
  const out = new Uint8Array(38);
  out.set(sessionId, 0);
  out.set(u32(attempt), 32);
  out.set(u16(input), 36);
  return out;
}
