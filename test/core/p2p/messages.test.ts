import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { MessageDecodeError, MessageType } from '../../../src/core/p2p/envelope.ts';
import { openFrame, openRecord, sealFrame, sealRecord } from '../../../src/core/p2p/frames.ts';
import {
  AbortReason,
  BlameReason,
  decodePayload,
  encodeAbort,
  encodeApproval,
  encodeBlame,
  encodeBroadcast,
  encodeNonceDisclosure,
  encodeNonces,
  encodePartialSigs,
  encodeProposal,
  encodeRevoke,
} from '../../../src/core/p2p/messages.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';

const samples: [MessageType, Uint8Array][] = [
  [
    MessageType.proposal,
    encodeProposal({
      createdAt: 1_800_000_000_000,
      expiresAt: 1_800_000_060_000,
      replayProtection: true,
      salt: randomBytes(32),
      memo: 'rent ☂',
      spend: randomBytes(300),
    }),
  ],
  [
    MessageType.approval,
    encodeApproval({
      peerId: '12D3KooWexample',
      sighashDigest: randomBytes(32),
      burn: { txid: randomBytes(32), vout: 1 },
    }),
  ],
  [
    MessageType.approval,
    encodeApproval({
      peerId: '12D3KooWexample',
      sighashDigest: randomBytes(32),
      burn: { txid: randomBytes(32), vout: 1 },
      nonces: { attempt: 3, electionCommit: randomBytes(32), pubNonces: [randomBytes(66)] },
    }),
  ],
  [MessageType.revoke, encodeRevoke()],
  [
    MessageType.nonces,
    encodeNonces({ attempt: 1, electionCommit: randomBytes(32), pubNonces: [randomBytes(66)] }),
  ],
  [
    MessageType.nonceDisclosure,
    encodeNonceDisclosure({ attempt: 2, nonces: [randomBytes(180), randomBytes(250)] }),
  ],
  [
    MessageType.partialSigs,
    encodePartialSigs({
      attempt: 1,
      nonceSetHash: randomBytes(32),
      electionReveal: randomBytes(32),
      partialSigs: [randomBytes(32)],
    }),
  ],
  [MessageType.abort, encodeAbort({ attempt: 1, reason: AbortReason.restarted, detail: 'x' })],
  [
    MessageType.blame,
    encodeBlame({
      attempt: 1,
      culprit: 2,
      reason: BlameReason.equivocation,
      evidence: [randomBytes(90)],
    }),
  ],
  [MessageType.broadcast, encodeBroadcast({ attempt: 1, tx: randomBytes(200) })],
];

describe('protocol payloads', () => {
  it('round-trip every message type exactly', () => {
    for (const [type, bytes] of samples) {
      const decoded = decodePayload(type, bytes);
      expect(decoded.type).toBe(type);
    }
    const approval = decodePayload(MessageType.approval, samples[1]![1]);
    expect(approval.body).toMatchObject({ peerId: '12D3KooWexample', burn: { vout: 1 } });
    expect(approval.body).not.toHaveProperty('nonces');
  });

  it('carry nonces in an approval byte for byte as the nonces message would', () => {
    const nonces = { attempt: 2, electionCommit: randomBytes(32), pubNonces: [randomBytes(66)] };
    const noncesPayload = encodeNonces(nonces);
    for (const burn of [undefined, { txid: randomBytes(32), vout: 7 }]) {
      const bytes = encodeApproval({
        peerId: 'p',
        sighashDigest: randomBytes(32),
        nonces,
        ...(burn ? { burn } : {}),
      });
      // The nonces payload closes the approval, unchanged: its digest is the same either way.
      expect(bytes.slice(bytes.length - noncesPayload.length)).toEqual(noncesPayload);
      const decoded = decodePayload(MessageType.approval, bytes);
      expect(decoded.type === MessageType.approval && decoded.body.nonces).toEqual(nonces);
      expect(decoded.type === MessageType.approval && decoded.body.burn?.vout).toBe(burn?.vout);
    }
    // Unknown flag bits are refused.
    const plain = encodeApproval({ peerId: 'p', sighashDigest: randomBytes(32) });
    const flagged = plain.slice();
    flagged[flagged.length - 1] = 4;
    expect(() => decodePayload(MessageType.approval, flagged)).toThrow(/approval flags/);
  });

  it('refuse trailing bytes, truncation and out-of-range fields with MessageDecodeError', () => {
    for (const [type, bytes] of samples) {
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expect(() => decodePayload(type, longer)).toThrow(MessageDecodeError);
      expect(() => decodePayload(type, bytes.slice(0, bytes.length - 1))).toThrow(
        MessageDecodeError,
      );
    }
    const zeroAttempt = encodePartialSigs({
      attempt: 0,
      nonceSetHash: randomBytes(32),
      electionReveal: randomBytes(32),
      partialSigs: [randomBytes(32)],
    });
    expect(() => decodePayload(MessageType.partialSigs, zeroAttempt)).toThrow(/attempt/);
  });

  it('survive fuzzing: random and mutated payloads only ever raise MessageDecodeError', () => {
    let seed = 777;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 5000; i++) {
      const [type, valid] = samples[i % samples.length] as [MessageType, Uint8Array];
      let input: Uint8Array;
      if (i % 2 === 0) {
        input = Uint8Array.from({ length: Math.floor(rand() * 300) }, () =>
          Math.floor(rand() * 256),
        );
      } else {
        input = valid.slice(0, Math.max(1, Math.floor(rand() * (valid.length + 1))));
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k++)
          input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
      }
      try {
        decodePayload(type, input);
      } catch (err) {
        expect(err).toBeInstanceOf(MessageDecodeError);
      }
    }
  });
});

describe('vault frames and mailbox records', () => {
  const keys = deriveVaultKeys(randomBytes(32));
  const other = deriveVaultKeys(randomBytes(32));

  it('open only under the vault key, and any bit flipped is refused', () => {
    const envelope = randomBytes(500);
    const frame = sealFrame(keys, envelope);
    expect(openFrame(keys, frame)).toEqual(envelope);
    expect(() => openFrame(other, frame)).toThrow(MessageDecodeError);
    const flipped = frame.slice();
    flipped[frame.length - 3]! ^= 1;
    expect(() => openFrame(keys, flipped)).toThrow(MessageDecodeError);
  });

  it('keep a record readable only under its own id and key, within the DHT size limit', () => {
    const id = keys.recordId(3);
    const envelopes = Array.from({ length: 40 }, () => randomBytes(600));
    const record = sealRecord(keys, id, envelopes);
    expect(record.length).toBeLessThanOrEqual(16 * 1024);
    const opened = openRecord(keys, id, record);
    expect(opened.length).toBeGreaterThan(0);
    expect(opened[0]).toEqual(envelopes[0]);
    expect(() => openRecord(keys, keys.recordId(4), record)).toThrow(MessageDecodeError);
    expect(() => openRecord(other, id, record)).toThrow(MessageDecodeError);
  });

  it('derive topics and record ids that reveal nothing of the vault id', () => {
    expect(keys.topic).toMatch(/^petal\/1\/[0-9a-f]{32}$/);
    expect(keys.topic).not.toBe(other.topic);
    expect(keys.recordId(0)).not.toBe(keys.recordId(1));
  });
});

describe('abort details', () => {
  it('cuts a long non-ASCII detail at a character boundary, so it still decodes', () => {
    const detail = 'é'.repeat(150) + '🌸'.repeat(20); // 300 + 80 bytes of UTF-8
    const bytes = encodeAbort({ attempt: 1, reason: AbortReason.user, detail });
    const decoded = decodePayload(MessageType.abort, bytes).body as { detail: string };
    expect(detail.startsWith(decoded.detail)).toBe(true);
    expect(new TextEncoder().encode(decoded.detail).length).toBeLessThanOrEqual(200);
    expect(decoded.detail.length).toBeGreaterThan(90);
  });
});
