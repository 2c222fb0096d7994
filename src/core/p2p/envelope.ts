/**
 * Every protocol message travels in a signed envelope (protocol /petal/musig2/2.0.0):
 *
 *   u8 version (2) ‖ u8 type ‖ 32 vault id ‖ 32 session id ‖ u16 signer index ‖ u32 sequence ‖
 *   32 transcript hash ‖ u64 sent-at (ms) ‖ u32 payload length ‖ payload (≤ 64 KiB) ‖ 64 signature
 *
 * The signature is Lotus Schnorr by the member's vault key over TaggedHash("Petal/msg/v1", all
 * preceding bytes), so a message cannot be replayed into another vault, session or round, cannot
 * claim another signer's index, and commits to the transcript its sender had seen.
 *
 * Version 1 envelopes (protocol 1.0.0, with its echo round) are refused with `OldProtocolError`:
 * an honest member that has not updated yet, told apart from a malformed message.
 */
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { taggedHash } from '../crypto/hash.ts';
import { pinTables, unpinTables } from '../crypto/point-tables.ts';
import { schnorrSign, schnorrVerify } from '../crypto/schnorr.ts';
import type { SecretKey } from '../crypto/signing-key.ts';

export const PROTOCOL_ID = '/petal/musig2/2.0.0';
export const ENVELOPE_VERSION = 2;
/** The envelope version of signing protocol 1 (refused, with its own error). */
export const OLD_ENVELOPE_VERSION = 1;
export const MAX_PAYLOAD_BYTES = 64 * 1024;
const HEADER_BYTES = 1 + 1 + 32 + 32 + 2 + 4 + 32 + 8 + 4;
const SIGNATURE_BYTES = 64;
/** The largest envelope on the wire (header, payload, signature). */
export const MAX_ENVELOPE_BYTES = HEADER_BYTES + MAX_PAYLOAD_BYTES + SIGNATURE_BYTES;

export const MessageType = {
  proposal: 1,
  approval: 2,
  revoke: 3,
  nonces: 4,
  /** Protocol 2: the signed nonce messages a member signed on, sent only on a nonce-set mismatch. */
  nonceDisclosure: 5,
  partialSigs: 6,
  abort: 7,
  blame: 8,
  broadcast: 9,
  path: 10,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
const KNOWN_TYPES = new Set<number>(Object.values(MessageType));

export interface Envelope {
  type: MessageType;
  vaultId: Uint8Array;
  sessionId: Uint8Array;
  signerIndex: number;
  sequence: number;
  transcriptHash: Uint8Array;
  sentAt: number;
  payload: Uint8Array;
}

export interface SignedEnvelope extends Envelope {
  signature: Uint8Array;
  /** The exact bytes the signature covers (kept so relays can forward without re-encoding). */
  signedBytes: Uint8Array;
}

export class MessageDecodeError extends Error {
  override name = 'MessageDecodeError';
  readonly reason: string;
  constructor(reason: string, message = reason) {
    super(message);
    this.reason = reason;
  }
}

/**
 * A message from a member still running signing protocol 1: not malformed and not hostile, just
 * old. Receivers report it once per peer and do not count it against the peer's reputation.
 */
export class OldProtocolError extends MessageDecodeError {
  override name = 'OldProtocolError';
  constructor() {
    super('old-protocol', 'peer runs Petal signing protocol 1; update');
  }
}

function assertLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length)
    throw new MessageDecodeError('bad-field', `${what} must be ${length} bytes`);
}

function encodeUnsigned(e: Envelope): Uint8Array {
  assertLength(e.vaultId, 32, 'vault id');
  assertLength(e.sessionId, 32, 'session id');
  assertLength(e.transcriptHash, 32, 'transcript hash');
  if (!KNOWN_TYPES.has(e.type)) throw new MessageDecodeError('unknown-type');
  if (!Number.isInteger(e.signerIndex) || e.signerIndex < 0 || e.signerIndex > 0xffff)
    throw new MessageDecodeError('bad-field', 'signer index');
  if (!Number.isInteger(e.sequence) || e.sequence < 0 || e.sequence > 0xffffffff)
    throw new MessageDecodeError('bad-field', 'sequence');
  if (e.payload.length > MAX_PAYLOAD_BYTES)
    throw new MessageDecodeError('too-large', 'payload over 64 KiB');
  const head = new Uint8Array(HEADER_BYTES);
  const view = new DataView(head.buffer);
  head[0] = ENVELOPE_VERSION;
  head[1] = e.type;
  head.set(e.vaultId, 2);
  head.set(e.sessionId, 34);
  view.setUint16(66, e.signerIndex);
  view.setUint32(68, e.sequence);
  head.set(e.transcriptHash, 72);
  view.setBigUint64(104, BigInt(Math.floor(e.sentAt)));
  view.setUint32(112, e.payload.length);
  return concatBytes(head, e.payload);
}

function digest(signedBytes: Uint8Array): Uint8Array {
  return taggedHash('Petal/msg/v1', signedBytes);
}

/**
 * How envelopes are signed: Lotus Schnorr by the member's vault key. A seam, not a choice: the
 * protocol always uses `schnorrAuth`; tests that churn through thousands of sessions to measure
 * bookkeeping may inject a cheaper one.
 */
export interface EnvelopeAuth {
  sign(digest: Uint8Array, key: SecretKey): Uint8Array;
  verify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
}

export const schnorrAuth: EnvelopeAuth = {
  sign: (digest, key) => schnorrSign(digest, key),
  verify: (signature, digest, publicKey) => schnorrVerify(signature, digest, publicKey),
};

/** Encodes and signs an envelope with the member's vault key. */
export function sealEnvelope(
  e: Envelope,
  memberSecret: SecretKey,
  auth: EnvelopeAuth = schnorrAuth,
): Uint8Array {
  const signedBytes = encodeUnsigned(e);
  return concatBytes(signedBytes, auth.sign(digest(signedBytes), memberSecret));
}

/**
 * Strict decoding: exact lengths, known version and type, bounded payload, no trailing bytes.
 * Does not check the signature (the sender's key depends on the vault): see `verifyEnvelope`.
 * @throws MessageDecodeError (OldProtocolError for a protocol 1 envelope), never anything else.
 */
export function openEnvelope(bytes: Uint8Array): SignedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw new MessageDecodeError('not-bytes');
  if (bytes.length < HEADER_BYTES + SIGNATURE_BYTES) throw new MessageDecodeError('truncated');
  if (bytes.length > HEADER_BYTES + MAX_PAYLOAD_BYTES + SIGNATURE_BYTES)
    throw new MessageDecodeError('too-large');
  if (bytes[0] === OLD_ENVELOPE_VERSION) throw new OldProtocolError();
  if (bytes[0] !== ENVELOPE_VERSION)
    throw new MessageDecodeError('bad-version', `Unknown envelope version ${bytes[0]}`);
  const type = bytes[1] as number;
  if (!KNOWN_TYPES.has(type))
    throw new MessageDecodeError('unknown-type', `Unknown message type ${type}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloadLength = view.getUint32(112);
  if (payloadLength > MAX_PAYLOAD_BYTES) throw new MessageDecodeError('too-large');
  if (bytes.length !== HEADER_BYTES + payloadLength + SIGNATURE_BYTES)
    throw new MessageDecodeError('bad-length');
  const sentAt = Number(view.getBigUint64(104));
  if (!Number.isSafeInteger(sentAt)) throw new MessageDecodeError('bad-field', 'timestamp');
  const signedBytes = bytes.slice(0, HEADER_BYTES + payloadLength);
  return {
    type: type as MessageType,
    vaultId: bytes.slice(2, 34),
    sessionId: bytes.slice(34, 66),
    signerIndex: view.getUint16(66),
    sequence: view.getUint32(68),
    transcriptHash: bytes.slice(72, 104),
    sentAt,
    payload: bytes.slice(HEADER_BYTES, HEADER_BYTES + payloadLength),
    signature: bytes.slice(HEADER_BYTES + payloadLength),
    signedBytes,
  };
}

/** True if the member key signed exactly these bytes. */
export function verifyEnvelope(
  envelope: SignedEnvelope,
  memberKey: Uint8Array,
  auth: EnvelopeAuth = schnorrAuth,
): boolean {
  return auth.verify(envelope.signature, digest(envelope.signedBytes), memberKey);
}

/**
 * Keeps a precomputed multiplication table for every member key of an open session, whatever the
 * vault's size, so each member's envelopes (and its partial signatures, which share the table)
 * verify at the tabled rate from the first one. Tables are built on first use and stay until
 * `releaseSessionKeys`; the cache is bounded (crypto/point-tables.ts: MAX_TABLES, ≈ 240 KiB
 * each). Call it when a session opens, with the 33-byte keys of the members who sign in it.
 * `holder` tells apart services of one process that hold the same session (each member of a
 * vault in a test or simulation), so one member's session ending does not release another's.
 */
export function holdSessionKeys(
  sessionId: Uint8Array,
  memberKeys: readonly Uint8Array[],
  holder = '',
): void {
  pinTables(sessionOwner(sessionId, holder), memberKeys.map(bytesToHex));
}

/** Releases what `holdSessionKeys` kept for this session; call it when the session ends. */
export function releaseSessionKeys(sessionId: Uint8Array, holder = ''): void {
  unpinTables(sessionOwner(sessionId, holder));
}

function sessionOwner(sessionId: Uint8Array, holder: string): string {
  return `session:${holder}:${bytesToHex(sessionId)}`;
}

/** The complete wire bytes of an opened envelope (signed bytes and signature). */
export function envelopeBytes(envelope: SignedEnvelope): Uint8Array {
  return concatBytes(envelope.signedBytes, envelope.signature);
}
