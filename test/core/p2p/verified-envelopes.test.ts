import { describe, expect, it } from 'vitest';
import { getPublicKey } from '../../../src/core/crypto/index.ts';
import {
  type Envelope,
  type EnvelopeAuth,
  MessageType,
  openEnvelope,
  schnorrAuth,
  sealEnvelope,
} from '../../../src/core/p2p/envelope.ts';
import { VerifiedEnvelopes } from '../../../src/core/p2p/verified-envelopes.ts';

const alice = new Uint8Array(32).fill(5);
const aliceKey = getPublicKey(alice);
const bobKey = getPublicKey(new Uint8Array(32).fill(6));
const envelope = (sequence: number): Envelope => ({
  type: MessageType.nonces,
  vaultId: new Uint8Array(32).fill(1),
  sessionId: new Uint8Array(32).fill(2),
  signerIndex: 0,
  sequence,
  transcriptHash: new Uint8Array(32).fill(9),
  sentAt: 1_800_000_000_000,
  payload: new Uint8Array([1, 2, 3]),
});

/** Schnorr verification that counts how often it really runs. */
function countingAuth(): EnvelopeAuth & { calls: number } {
  const auth = {
    calls: 0,
    sign: schnorrAuth.sign,
    verify: (sig: Uint8Array, digest: Uint8Array, key: Uint8Array) => {
      auth.calls++;
      return schnorrAuth.verify(sig, digest, key);
    },
  };
  return auth;
}

describe('verified-envelope memo', () => {
  it('verifies a repeated envelope once and still refuses it under another key', () => {
    const auth = countingAuth();
    const memo = new VerifiedEnvelopes(auth);
    const bytes = sealEnvelope(envelope(1), alice);
    const opened = openEnvelope(bytes);
    expect(memo.verify(opened, aliceKey)).toBe(true);
    expect(memo.verify(openEnvelope(bytes.slice()), aliceKey)).toBe(true); // another copy
    expect(auth.calls).toBe(1);
    // Signing again gives new (randomised) signature bytes: a new entry, checked once.
    expect(memo.verify(openEnvelope(sealEnvelope(envelope(1), alice)), aliceKey)).toBe(true);
    expect(auth.calls).toBe(2);
    expect(memo.verify(opened, aliceKey)).toBe(true);
    expect(auth.calls).toBe(2);
    expect(memo.verify(opened, bobKey)).toBe(false);
    expect(auth.calls).toBe(3);
  });

  it('checks a forgery every time and never remembers it', () => {
    const auth = countingAuth();
    const memo = new VerifiedEnvelopes(auth);
    const bytes = sealEnvelope(envelope(1), alice);
    expect(memo.verify(openEnvelope(bytes), aliceKey)).toBe(true);
    const forged = bytes.slice();
    forged[forged.length - 1]! ^= 1; // same signed bytes, a different signature
    for (let i = 0; i < 3; i++) expect(memo.verify(openEnvelope(forged), aliceKey)).toBe(false);
    expect(auth.calls).toBe(4);
    expect(memo.size).toBe(1);
  });

  it('keeps at most its capacity, forgetting the oldest first', () => {
    const auth = countingAuth();
    const memo = new VerifiedEnvelopes(auth, 2);
    const [a, b, c] = [1, 2, 3].map((seq) => openEnvelope(sealEnvelope(envelope(seq), alice)));
    for (const e of [a!, b!, c!]) expect(memo.verify(e, aliceKey)).toBe(true);
    expect(memo.size).toBe(2);
    expect(memo.verify(c!, aliceKey)).toBe(true);
    expect(auth.calls).toBe(3);
    expect(memo.verify(a!, aliceKey)).toBe(true); // evicted: verified again
    expect(auth.calls).toBe(4);
  });
});
