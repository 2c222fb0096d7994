import { describe, expect, it } from 'vitest';
import { getPublicKey } from '../../../src/core/crypto/index.ts';
import {
  type Envelope,
  MAX_PAYLOAD_BYTES,
  MessageDecodeError,
  MessageType,
  OldProtocolError,
  PROTOCOL_ID,
  openEnvelope,
  sealEnvelope,
  verifyEnvelope,
} from '../../../src/core/p2p/envelope.ts';

const alice = new Uint8Array(32).fill(5);
const mallory = new Uint8Array(32).fill(6);
const base: Envelope = {
  type: MessageType.nonces,
  vaultId: new Uint8Array(32).fill(1),
  sessionId: new Uint8Array(32).fill(2),
  signerIndex: 3,
  sequence: 42,
  transcriptHash: new Uint8Array(32).fill(9),
  sentAt: 1_800_000_000_123,
  payload: new TextEncoder().encode('66-byte nonces would go here'),
};

describe('protocol envelope', () => {
  it('round-trips every field and verifies under the sender’s key only', () => {
    const bytes = sealEnvelope(base, alice);
    const opened = openEnvelope(bytes);
    expect({ ...opened, signature: undefined, signedBytes: undefined }).toEqual({
      ...base,
      signature: undefined,
      signedBytes: undefined,
    });
    expect(verifyEnvelope(opened, getPublicKey(alice))).toBe(true);
    expect(verifyEnvelope(opened, getPublicKey(mallory))).toBe(false);
  });

  it('breaks the signature when any signed field is changed (vault, session, index, round, transcript)', () => {
    const bytes = sealEnvelope(base, alice);
    for (const offset of [1, 2, 40, 67, 70, 80, 110, bytes.length - 70]) {
      const tampered = bytes.slice();
      tampered[offset] = (tampered[offset] as number) ^ 0x01;
      let ok: boolean;
      try {
        ok = verifyEnvelope(openEnvelope(tampered), getPublicKey(alice));
      } catch (err) {
        expect(err).toBeInstanceOf(MessageDecodeError);
        ok = false;
      }
      expect(ok, `offset ${offset}`).toBe(false);
    }
  });

  it('refuses oversized payloads, unknown types and versions, truncation and trailing bytes', () => {
    expect(() =>
      sealEnvelope({ ...base, payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }, alice),
    ).toThrow(MessageDecodeError);
    const bytes = sealEnvelope(base, alice);
    const reason = (b: Uint8Array) => {
      try {
        openEnvelope(b);
      } catch (e) {
        return (e as MessageDecodeError).reason;
      }
    };
    expect(reason(bytes.subarray(0, 50))).toBe('truncated');
    expect(reason(Uint8Array.from([3, ...bytes.subarray(1)]))).toBe('bad-version');
    expect(reason(Uint8Array.from([2, 99, ...bytes.subarray(2)]))).toBe('unknown-type');
    expect(reason(new Uint8Array([...bytes, 0]))).toBe('bad-length');
  });

  it('refuses a protocol 1 envelope with its own error, telling the peer to update', () => {
    expect(PROTOCOL_ID).toBe('/petal/musig2/2.0.0');
    const bytes = sealEnvelope(base, alice);
    // A version 1 client seals the same layout with version byte 1.
    const v1 = Uint8Array.from([1, ...bytes.subarray(1)]);
    let error: unknown;
    try {
      openEnvelope(v1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OldProtocolError);
    expect(error).toBeInstanceOf(MessageDecodeError);
    expect((error as OldProtocolError).reason).toBe('old-protocol');
    expect((error as Error).message).toBe('peer runs Petal signing protocol 1; update');
    expect(openEnvelope(bytes).type).toBe(MessageType.nonces);
  });

  it('survives fuzzing: random and mutated inputs only ever raise MessageDecodeError', () => {
    const valid = sealEnvelope(base, alice);
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 3000; i++) {
      let input: Uint8Array;
      if (i % 3 === 0) {
        input = Uint8Array.from({ length: Math.floor(rand() * 400) }, () =>
          Math.floor(rand() * 256),
        );
      } else {
        input = valid.slice(0, i % 3 === 1 ? valid.length : Math.floor(rand() * valid.length));
        for (let k = 0; k < 1 + Math.floor(rand() * 6); k++)
          input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
      }
      try {
        const opened = openEnvelope(input);
        verifyEnvelope(opened, getPublicKey(alice));
      } catch (err) {
        expect(err).toBeInstanceOf(MessageDecodeError);
      }
    }
  });
});
