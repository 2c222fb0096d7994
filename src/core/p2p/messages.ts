/**
 * Payloads of the protocol's message types (docs/PROTOCOL.md §4). Each has an encoder and a strict
 * decoder: exact lengths, bounded counts, no trailing bytes, and only MessageDecodeError on bad
 * input. Integers are big-endian.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { Reader, Writer, decodeUtf8 } from './codec.ts';
import { MAX_ENVELOPE_BYTES, MessageDecodeError, MessageType } from './envelope.ts';

export * from './message-types.ts';
import {
  type AbortPayload,
  AbortReason,
  type ApprovalPayload,
  type BlamePayload,
  BlameReason,
  type BroadcastPayload,
  MAX_DETAIL_BYTES,
  MAX_EVIDENCE_ITEMS,
  MAX_MEMBERS,
  MAX_MEMO_BYTES,
  MAX_PEER_ID_BYTES,
  MAX_SESSION_INPUTS,
  MAX_SPEND_BYTES,
  type NonceDisclosurePayload,
  type NoncesPayload,
  type PartialSigsPayload,
  type PathPayload,
  type Payload,
  PAYLOAD_VERSION,
  type ProposalPayload,
} from './message-types.ts';

function fixed(r: Reader, n: number): Uint8Array {
  return r.bytes(n);
}

function version(r: Reader): void {
  if (r.u8() !== PAYLOAD_VERSION) throw new MessageDecodeError('bad-version', 'payload version');
}

function attempt(r: Reader): number {
  const a = r.u32();
  if (a === 0) throw new MessageDecodeError('bad-field', 'attempt numbers start at 1');
  return a;
}

function count(r: Reader, max: number, min = 1): number {
  const n = r.u16();
  if (n < min || n > max) throw new MessageDecodeError('bad-field', 'count out of range');
  return n;
}

export function encodeProposal(p: ProposalPayload): Uint8Array {
  if (p.salt.length !== 32) throw new MessageDecodeError('bad-field', 'salt');
  if (p.spend.length > MAX_SPEND_BYTES) throw new MessageDecodeError('too-large', 'spend');
  const memo = utf8ToBytes(p.memo);
  if (memo.length > MAX_MEMO_BYTES) throw new MessageDecodeError('too-large', 'memo');
  const flags =
    (p.replayProtection ? FLAG_REPLAY : 0) | (p.leafAfter !== undefined ? FLAG_LEAF : 0);
  const w = new Writer()
    .u8(PAYLOAD_VERSION)
    .u64(p.createdAt)
    .u64(p.expiresAt)
    .u8(flags)
    .bytes(p.salt)
    .medium(memo)
    .long(p.spend);
  return p.leafAfter === undefined ? w.finish() : w.u64(p.leafAfter).finish();
}

const FLAG_REPLAY = 1;
const FLAG_LEAF = 2;

function decodeProposal(r: Reader): ProposalPayload {
  version(r);
  const createdAt = r.u64();
  const expiresAt = r.u64();
  const flags = r.u8();
  if (flags & ~(FLAG_REPLAY | FLAG_LEAF))
    throw new MessageDecodeError('bad-field', 'unknown proposal flags');
  const salt = fixed(r, 32);
  const memo = decodeUtf8(r.medium(MAX_MEMO_BYTES));
  const spend = r.long(MAX_SPEND_BYTES);
  if (expiresAt <= createdAt) throw new MessageDecodeError('bad-field', 'expiry before creation');
  const replayProtection = (flags & FLAG_REPLAY) !== 0;
  if (!(flags & FLAG_LEAF)) return { createdAt, expiresAt, replayProtection, salt, memo, spend };
  const leafAfter = r.u64();
  if (leafAfter < createdAt || leafAfter >= expiresAt)
    throw new MessageDecodeError('bad-field', 'leaf deadline outside the proposal');
  return { createdAt, expiresAt, replayProtection, salt, memo, spend, leafAfter };
}

export function encodeApproval(p: ApprovalPayload): Uint8Array {
  if (p.sighashDigest.length !== 32) throw new MessageDecodeError('bad-field', 'sighash digest');
  const peer = utf8ToBytes(p.peerId);
  if (peer.length === 0 || peer.length > MAX_PEER_ID_BYTES)
    throw new MessageDecodeError('bad-field', 'peer id');
  const flags = (p.burn ? APPROVAL_BURN : 0) | (p.nonces ? APPROVAL_NONCES : 0);
  const w = new Writer().u8(PAYLOAD_VERSION).short(peer).bytes(p.sighashDigest).u8(flags);
  if (p.burn) {
    if (p.burn.txid.length !== 32) throw new MessageDecodeError('bad-field', 'burn txid');
    w.bytes(p.burn.txid).u32(p.burn.vout);
  }
  // The nonces payload, byte for byte as a nonces message would carry it (same digest, §4.6).
  if (p.nonces) w.bytes(encodeNonces(p.nonces));
  return w.finish();
}

const APPROVAL_BURN = 1;
const APPROVAL_NONCES = 2;

function decodeApproval(r: Reader): ApprovalPayload {
  version(r);
  const peer = r.short(MAX_PEER_ID_BYTES);
  if (peer.length === 0) throw new MessageDecodeError('bad-field', 'peer id');
  const peerId = decodeUtf8(peer);
  const sighashDigest = fixed(r, 32);
  const flags = r.u8();
  if (flags & ~(APPROVAL_BURN | APPROVAL_NONCES))
    throw new MessageDecodeError('bad-field', 'approval flags');
  const body: ApprovalPayload = { peerId, sighashDigest };
  if (flags & APPROVAL_BURN) body.burn = { txid: fixed(r, 32), vout: r.u32() };
  if (flags & APPROVAL_NONCES) body.nonces = decodeNonces(r);
  return body;
}

export function encodeRevoke(): Uint8Array {
  return Uint8Array.of(PAYLOAD_VERSION);
}

export function encodeNonces(p: NoncesPayload): Uint8Array {
  const w = new Writer().u32(p.attempt).bytes(p.electionCommit).u16(p.pubNonces.length);
  for (const n of p.pubNonces) w.bytes(n);
  return w.finish();
}

function decodeNonces(r: Reader): NoncesPayload {
  const a = attempt(r);
  const electionCommit = fixed(r, 32);
  const n = count(r, MAX_SESSION_INPUTS);
  const pubNonces = Array.from({ length: n }, () => fixed(r, 66));
  return { attempt: a, electionCommit, pubNonces };
}

export function encodeNonceDisclosure(p: NonceDisclosurePayload): Uint8Array {
  const w = new Writer().u32(p.attempt).u16(p.nonces.length);
  for (const e of p.nonces) w.long(e);
  return w.finish();
}

function decodeNonceDisclosure(r: Reader): NonceDisclosurePayload {
  const a = attempt(r);
  const n = count(r, MAX_MEMBERS);
  return { attempt: a, nonces: Array.from({ length: n }, () => r.long(MAX_ENVELOPE_BYTES)) };
}

export function encodePartialSigs(p: PartialSigsPayload): Uint8Array {
  if (p.nonceSetHash.length !== 32) throw new MessageDecodeError('bad-field', 'nonce set hash');
  if (p.electionReveal.length !== 32) throw new MessageDecodeError('bad-field', 'election reveal');
  const w = new Writer()
    .u32(p.attempt)
    .bytes(p.nonceSetHash)
    .bytes(p.electionReveal)
    .u16(p.partialSigs.length);
  for (const s of p.partialSigs) w.bytes(s);
  return w.finish();
}

function decodePartialSigs(r: Reader): PartialSigsPayload {
  const a = attempt(r);
  const nonceSetHash = fixed(r, 32);
  const electionReveal = fixed(r, 32);
  const n = count(r, MAX_SESSION_INPUTS);
  const partialSigs = Array.from({ length: n }, () => fixed(r, 32));
  return { attempt: a, nonceSetHash, electionReveal, partialSigs };
}

export function encodeAbort(p: AbortPayload): Uint8Array {
  return new Writer()
    .u32(p.attempt)
    .u8(p.reason)
    .medium(utf8Prefix(p.detail, MAX_DETAIL_BYTES))
    .finish();
}

/** The longest UTF-8 encoding of a prefix of `text` within `max` bytes (never half a character). */
function utf8Prefix(text: string, max: number): Uint8Array {
  const bytes = utf8ToBytes(text);
  if (bytes.length <= max) return bytes;
  let end = max;
  // Continuation bytes are 10xxxxxx: back up to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.slice(0, end);
}

const ABORT_REASONS = new Set<number>(Object.values(AbortReason));
const BLAME_REASONS = new Set<number>(Object.values(BlameReason));

function decodeAbort(r: Reader): AbortPayload {
  const a = attempt(r);
  const reason = r.u8();
  if (!ABORT_REASONS.has(reason)) throw new MessageDecodeError('bad-field', 'abort reason');
  return {
    attempt: a,
    reason: reason as AbortReason,
    detail: decodeUtf8(r.medium(MAX_DETAIL_BYTES)),
  };
}

export function encodeBlame(p: BlamePayload): Uint8Array {
  const w = new Writer().u32(p.attempt).u16(p.culprit).u8(p.reason).u16(p.evidence.length);
  for (const e of p.evidence) w.long(e);
  return w.finish();
}

function decodeBlame(r: Reader): BlamePayload {
  const a = attempt(r);
  const culprit = r.u16();
  if (culprit >= MAX_MEMBERS) throw new MessageDecodeError('bad-field', 'culprit index');
  const reason = r.u8();
  if (!BLAME_REASONS.has(reason)) throw new MessageDecodeError('bad-field', 'blame reason');
  const n = count(r, MAX_EVIDENCE_ITEMS);
  const evidence = Array.from({ length: n }, () => r.long(MAX_ENVELOPE_BYTES));
  return { attempt: a, culprit, reason: reason as BlameReason, evidence };
}

export function encodeBroadcast(p: BroadcastPayload): Uint8Array {
  return new Writer().u32(p.attempt).long(p.tx).finish();
}

function decodeBroadcast(r: Reader): BroadcastPayload {
  const a = attempt(r);
  return { attempt: a, tx: r.long(MAX_SPEND_BYTES) };
}

export function encodePath(p: PathPayload): Uint8Array {
  const w = new Writer().u32(p.attempt).u16(p.signers.length);
  for (const index of p.signers) w.u16(index);
  return w.finish();
}

function decodePath(r: Reader): PathPayload {
  const a = attempt(r);
  const n = count(r, MAX_MEMBERS, 2);
  const signers = Array.from({ length: n }, () => r.u16());
  if (signers.some((s, i) => s >= MAX_MEMBERS || (i > 0 && s <= (signers[i - 1] as number))))
    throw new MessageDecodeError('bad-field', 'signers must be ascending member indices');
  return { attempt: a, signers };
}

/**
 * Decodes a payload for its envelope type.
 * @throws MessageDecodeError, never anything else.
 */
export function decodePayload(type: MessageType, bytes: Uint8Array): Payload {
  if (!(bytes instanceof Uint8Array)) throw new MessageDecodeError('not-bytes');
  const r = new Reader(bytes);
  let payload: Payload;
  switch (type) {
    case MessageType.proposal:
      payload = { type, body: decodeProposal(r) };
      break;
    case MessageType.approval:
      payload = { type, body: decodeApproval(r) };
      break;
    case MessageType.revoke:
      version(r);
      payload = { type, body: {} };
      break;
    case MessageType.nonces:
      payload = { type, body: decodeNonces(r) };
      break;
    case MessageType.nonceDisclosure:
      payload = { type, body: decodeNonceDisclosure(r) };
      break;
    case MessageType.partialSigs:
      payload = { type, body: decodePartialSigs(r) };
      break;
    case MessageType.abort:
      payload = { type, body: decodeAbort(r) };
      break;
    case MessageType.blame:
      payload = { type, body: decodeBlame(r) };
      break;
    case MessageType.broadcast:
      payload = { type, body: decodeBroadcast(r) };
      break;
    case MessageType.path:
      payload = { type, body: decodePath(r) };
      break;
    default:
      throw new MessageDecodeError('unknown-type');
  }
  r.end();
  return payload;
}
