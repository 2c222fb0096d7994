/**
 * Envelopes whose signatures already checked out. The same envelope reaches a member several
 * times — the GossipSub validator and then the handler, a direct copy, every mailbox sync — and a
 * Schnorr verification costs far more than hashing the bytes, so a copy seen before is not
 * verified again. Only successes are remembered: a forgery is checked (and punished) every time.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { schnorrAuth, verifyEnvelope, type EnvelopeAuth, type SignedEnvelope } from './envelope.ts';

export class VerifiedEnvelopes {
  readonly #auth: EnvelopeAuth;
  readonly #capacity: number;
  /** Insertion-ordered, so the oldest entry is evicted first. */
  readonly #seen = new Set<string>();

  constructor(auth: EnvelopeAuth = schnorrAuth, capacity = 4096) {
    this.#auth = auth;
    this.#capacity = capacity;
  }

  /** Same answer as `verifyEnvelope`, computed once per distinct (key, envelope). */
  verify(envelope: SignedEnvelope, memberKey: Uint8Array): boolean {
    const id = bytesToHex(sha256(concatBytes(memberKey, envelope.signedBytes, envelope.signature)));
    if (this.#seen.has(id)) return true;
    if (!verifyEnvelope(envelope, memberKey, this.#auth)) return false;
    if (this.#seen.size >= this.#capacity) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(id);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}
