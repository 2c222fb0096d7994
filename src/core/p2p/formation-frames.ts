/**
 * The wire of one-code vault formation (docs/PROTOCOL.md §2.6). Everything the network sees is
 * derived from the invite's 32-byte secret with HKDF-SHA256, so only invite holders can find the
 * rendezvous, read it or write to it:
 *
 *   topic      "petal/f/1/" + hex(HKDF(secret, "topic")[0..16])   GossipSub topic
 *   frame key  HKDF(secret, "frames")                            XChaCha20-Poly1305, every frame
 *   record key HKDF(secret, "records")                           XChaCha20-Poly1305, the mailbox
 *   record id  "f/" + hex(HKDF(secret, "record-id")[0..16])     the creator's DHT mailbox
 *
 *   sealed frame  = u8 version (1) ‖ 24-byte nonce ‖ AEAD(body)        (AD: u8 version)
 *   sealed record = u8 version (1) ‖ 24-byte nonce ‖ AEAD(body)        (AD: the record id)
 *
 * Bodies are signed by their author, so one invite holder cannot speak for another:
 *
 *   answer   = u8 1 ‖ invite id ‖ 33-byte member key ‖ u8 len ‖ name ‖ sig(member key)
 *   roster   = u8 2 ‖ invite id ‖ u8 count ‖ count × (33-byte key ‖ u8 len ‖ name) ‖ sig(creator)
 *   delivery = u8 3 ‖ invite id ‖ u16 len ‖ descriptor (ASCII) ‖ u8 count ‖ count × (u8 len ‖
 *              name, in the vault's member order) ‖ sig(creator)
 *
 * sig = Lotus Schnorr over TH("Petal/vault-formation", body without sig).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { taggedHash } from '../crypto/hash.ts';
import { getPublicKey, schnorrSign, schnorrVerify } from '../crypto/schnorr.ts';
import { MAX_MEMBER_NAME_BYTES, checkMemberName } from '../wallet/member-name.ts';
import { MAX_MEMBERS } from '../wallet/vault.ts';
import { Reader, Writer, decodeUtf8 } from './codec.ts';
import { MessageDecodeError } from './envelope.ts';

const SALT = utf8ToBytes('Petal/vault-formation/v1');
const SEAL_VERSION = 1;
const NONCE = 24;
const TAG = 16;
const SIG = 64;
const SIGN_TAG = 'Petal/vault-formation';
/** A body fits a DHT record (16 KiB payload) once sealed: 100 members' names and descriptor do. */
export const MAX_FORMATION_BODY = 16 * 1024 - 1 - NONCE - TAG;

export const ANSWER = 1;
export const ROSTER = 2;
export const DELIVERY = 3;

/** Where and how one invite's formation talks. */
export interface FormationKeys {
  topic: string;
  frameKey: Uint8Array;
  recordKey: Uint8Array;
  /** The creator's mailbox: the latest roster, then the delivery. */
  recordId: string;
}

/**
 * A formation frame that cannot be used. `reason`:
 * - `bad-seal`: not sealed with this invite's key (a stranger, or another invite) — ignored;
 * - `malformed`: sealed correctly but not a well-formed body;
 * - `wrong-invite`: a body bound to another invite;
 * - `bad-signature`: its author's signature does not verify;
 * - `bad-name`: a member name that is empty, too long or carries control characters.
 */
export class FormationFrameError extends Error {
  override name = 'FormationFrameError';
  readonly reason: 'bad-seal' | 'malformed' | 'wrong-invite' | 'bad-signature' | 'bad-name';
  constructor(reason: FormationFrameError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface AnswerFrame {
  kind: typeof ANSWER;
  inviteId: Uint8Array;
  memberKey: Uint8Array;
  name: string;
}

export interface RosterFrame {
  kind: typeof ROSTER;
  inviteId: Uint8Array;
  /** Who has joined so far, the creator first. */
  members: { key: Uint8Array; name: string }[];
}

export interface DeliveryFrame {
  kind: typeof DELIVERY;
  inviteId: Uint8Array;
  descriptor: string;
  /** Names by the vault's member index. */
  names: string[];
}

export type FormationFrame = AnswerFrame | RosterFrame | DeliveryFrame;

function derive(secret: Uint8Array, info: string, length = 32): Uint8Array {
  return hkdf(sha256, secret, SALT, utf8ToBytes(info), length);
}

/**
 * The rendezvous of an invite: topic, keys and mailbox id, all from its secret.
 * @throws TypeError unless the secret is 32 bytes.
 * @example
 *   const keys = deriveFormationKeys(invite.rendezvous.secret);
 *   transport.subscribe(keys.topic, onFrame);
 */
export function deriveFormationKeys(secret: Uint8Array): FormationKeys {
  if (!(secret instanceof Uint8Array) || secret.length !== 32)
    throw new TypeError('A formation secret is 32 bytes');
  return {
    topic: `petal/f/1/${bytesToHex(derive(secret, 'topic', 16))}`,
    frameKey: derive(secret, 'frames'),
    recordKey: derive(secret, 'records'),
    recordId: `f/${bytesToHex(derive(secret, 'record-id', 16))}`,
  };
}

function seal(key: Uint8Array, ad: Uint8Array, body: Uint8Array): Uint8Array {
  if (body.length > MAX_FORMATION_BODY)
    throw new FormationFrameError('malformed', 'Formation frame too large');
  const nonce = randomBytes(NONCE);
  return concatBytes(
    Uint8Array.of(SEAL_VERSION),
    nonce,
    xchacha20poly1305(key, nonce, ad).encrypt(body),
  );
}

function open(key: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (
    !(sealed instanceof Uint8Array) ||
    sealed.length < 1 + NONCE + TAG ||
    sealed.length > 1 + NONCE + TAG + MAX_FORMATION_BODY ||
    sealed[0] !== SEAL_VERSION
  )
    throw new FormationFrameError('bad-seal', 'Not a formation frame');
  try {
    return xchacha20poly1305(key, sealed.subarray(1, 1 + NONCE), ad).decrypt(
      sealed.subarray(1 + NONCE),
    );
  } catch {
    throw new FormationFrameError('bad-seal', 'Frame is not sealed with this invite’s key');
  }
}

/** A body sealed for the rendezvous topic. */
export function sealFormationFrame(keys: FormationKeys, body: Uint8Array): Uint8Array {
  return seal(keys.frameKey, Uint8Array.of(SEAL_VERSION), body);
}

/** @throws FormationFrameError('bad-seal') for anything not sealed with this invite's key. */
export function openFormationFrame(keys: FormationKeys, sealed: Uint8Array): Uint8Array {
  return open(keys.frameKey, Uint8Array.of(SEAL_VERSION), sealed);
}

/** A body sealed for the creator's mailbox record (bound to its id). */
export function sealFormationRecord(keys: FormationKeys, body: Uint8Array): Uint8Array {
  return seal(keys.recordKey, utf8ToBytes(keys.recordId), body);
}

/** @throws FormationFrameError('bad-seal'). */
export function openFormationRecord(keys: FormationKeys, sealed: Uint8Array): Uint8Array {
  return open(keys.recordKey, utf8ToBytes(keys.recordId), sealed);
}

function signed(body: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return concatBytes(body, schnorrSign(taggedHash(SIGN_TAG, body), secretKey));
}

function name(w: Writer, value: string): Writer {
  return w.short(utf8ToBytes(checkMemberName(value)));
}

/** A joiner's answer: its member key and chosen name, signed with that key. */
export function encodeAnswer(inviteId: Uint8Array, memberSecret: Uint8Array, memberName: string) {
  const w = new Writer().u8(ANSWER).bytes(inviteId).bytes(getPublicKey(memberSecret));
  return signed(name(w, memberName).finish(), memberSecret);
}

/** The creator's list of who has joined (the creator first), signed by the creator. */
export function encodeRoster(
  inviteId: Uint8Array,
  creatorSecret: Uint8Array,
  members: { key: Uint8Array; name: string }[],
): Uint8Array {
  const w = new Writer().u8(ROSTER).bytes(inviteId).u8(members.length);
  for (const m of members) name(w.bytes(m.key), m.name);
  return signed(w.finish(), creatorSecret);
}

/** The vault's descriptor and every member's name (vault member order), signed by the creator. */
export function encodeDelivery(
  inviteId: Uint8Array,
  creatorSecret: Uint8Array,
  descriptor: string,
  names: string[],
): Uint8Array {
  const w = new Writer()
    .u8(DELIVERY)
    .bytes(inviteId)
    .medium(utf8ToBytes(descriptor))
    .u8(names.length);
  for (const n of names) name(w, n);
  return signed(w.finish(), creatorSecret);
}

function readName(r: Reader): string {
  const text = decodeUtf8(r.short(MAX_MEMBER_NAME_BYTES));
  try {
    return checkMemberName(text);
  } catch (err) {
    throw new FormationFrameError('bad-name', (err as Error).message);
  }
}

/**
 * Reads an opened body as a frame of this invite and checks its author's signature: an answer's
 * by the key it carries, a roster's and a delivery's by the creator's.
 * @throws FormationFrameError — never anything else, whatever the bytes.
 */
export function decodeFormationFrame(
  body: Uint8Array,
  invite: { inviteId: Uint8Array; creatorKey: Uint8Array },
): FormationFrame {
  if (body.length < 1 + 16 + SIG)
    throw new FormationFrameError('malformed', 'Formation frame is truncated');
  const unsigned = body.subarray(0, body.length - SIG);
  const sig = body.subarray(body.length - SIG);
  let frame: FormationFrame;
  try {
    const r = new Reader(unsigned);
    const kind = r.u8();
    const inviteId = r.bytes(16);
    if (bytesToHex(inviteId) !== bytesToHex(invite.inviteId))
      throw new FormationFrameError('wrong-invite', 'Frame answers another invite');
    if (kind === ANSWER) {
      frame = { kind, inviteId, memberKey: r.bytes(33), name: readName(r) };
    } else if (kind === ROSTER) {
      const count = r.u8();
      if (count < 1 || count > MAX_MEMBERS)
        throw new FormationFrameError('malformed', 'Roster member count out of range');
      const members = Array.from({ length: count }, () => ({
        key: r.bytes(33),
        name: readName(r),
      }));
      frame = { kind, inviteId, members };
    } else if (kind === DELIVERY) {
      const descriptor = decodeUtf8(r.medium());
      const count = r.u8();
      if (count < 2 || count > MAX_MEMBERS)
        throw new FormationFrameError('malformed', 'Delivery member count out of range');
      frame = {
        kind,
        inviteId,
        descriptor,
        names: Array.from({ length: count }, () => readName(r)),
      };
    } else {
      throw new FormationFrameError('malformed', `Unknown formation frame kind ${kind}`);
    }
    r.end();
  } catch (err) {
    if (err instanceof FormationFrameError) throw err;
    if (err instanceof MessageDecodeError)
      throw new FormationFrameError('malformed', `Formation frame: ${err.message}`);
    throw err;
  }
  const author = frame.kind === ANSWER ? frame.memberKey : invite.creatorKey;
  if (!schnorrVerify(sig, taggedHash(SIGN_TAG, unsigned), author))
    throw new FormationFrameError('bad-signature', 'Formation frame signature is invalid');
  return frame;
}
