/**
 * Frames: how envelopes and record bundles cross the network, encrypted for the vault's members.
 *
 *   frame  = u8 version (1) ‖ 8-byte vault tag ‖ 24-byte nonce ‖ XChaCha20-Poly1305(envelope)
 *            (associated data: version ‖ tag)
 *   record = u8 version (1) ‖ 24-byte nonce ‖ XChaCha20-Poly1305(bundle)   (AD: the record id)
 *   bundle = u8 version (1) ‖ u16 count ‖ count × (u32 length ‖ envelope)
 *
 * Direct streams are already end-to-end encrypted by the transport; sealing them too means relays,
 * GossipSub mesh peers and DHT servers see only ciphertext on every path, and a transport without
 * its own encryption (the in-memory one) behaves the same.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { Reader, Writer } from './codec.ts';
import { MAX_ENVELOPE_BYTES, MessageDecodeError } from './envelope.ts';
import type { VaultKeys } from './vault-keys.ts';

export const FRAME_VERSION = 1;
const FRAME_HEADER = 1 + 8 + 24;
const TAG_BYTES = 16;
export const MAX_FRAME_BYTES = FRAME_HEADER + MAX_ENVELOPE_BYTES + TAG_BYTES;
/** A record's sealed size must fit the DHT's 16 KiB payload limit (src/network/dht-records.ts). */
export const MAX_RECORD_BYTES = 16 * 1024;
export const MAX_BUNDLE_BYTES = MAX_RECORD_BYTES - 1 - 24 - TAG_BYTES;
const MAX_BUNDLE_ITEMS = 256;

export function sealFrame(keys: VaultKeys, envelope: Uint8Array): Uint8Array {
  const header = concatBytes(Uint8Array.of(FRAME_VERSION), keys.tag);
  const nonce = randomBytes(24);
  const sealed = xchacha20poly1305(keys.frameKey, nonce, header).encrypt(envelope);
  return concatBytes(header, nonce, sealed);
}

/** The vault tag of a frame, to pick the key; undefined for anything that is not a frame. */
export function frameTag(frame: Uint8Array): Uint8Array | undefined {
  if (!(frame instanceof Uint8Array) || frame.length < FRAME_HEADER + TAG_BYTES) return undefined;
  if (frame[0] !== FRAME_VERSION) return undefined;
  return frame.subarray(1, 9);
}

/** @throws MessageDecodeError if the frame is malformed or was not sealed with this vault's key. */
export function openFrame(keys: VaultKeys, frame: Uint8Array): Uint8Array {
  if (frame.length > MAX_FRAME_BYTES) throw new MessageDecodeError('too-large', 'frame');
  if (!frameTag(frame)) throw new MessageDecodeError('bad-frame', 'not a Petal frame');
  try {
    return xchacha20poly1305(keys.frameKey, frame.subarray(9, 33), frame.subarray(0, 9)).decrypt(
      frame.subarray(33),
    );
  } catch {
    throw new MessageDecodeError('bad-frame', 'frame does not decrypt under the vault key');
  }
}

export function encodeBundle(envelopes: Uint8Array[]): Uint8Array {
  const w = new Writer().u8(1).u16(envelopes.length);
  for (const e of envelopes) w.long(e);
  return w.finish();
}

/** @throws MessageDecodeError */
export function decodeBundle(bytes: Uint8Array): Uint8Array[] {
  const r = new Reader(bytes);
  if (r.u8() !== 1) throw new MessageDecodeError('bad-version', 'bundle version');
  const n = r.u16();
  if (n > MAX_BUNDLE_ITEMS) throw new MessageDecodeError('too-large', 'bundle');
  const out = Array.from({ length: n }, () => r.long(MAX_ENVELOPE_BYTES));
  r.end();
  return out;
}

/** Seals a member's mailbox record: as many envelopes (newest first) as fit the size limit. */
export function sealRecord(keys: VaultKeys, recordId: string, envelopes: Uint8Array[]): Uint8Array {
  const kept: Uint8Array[] = [];
  let size = 3;
  for (const e of envelopes) {
    if (size + 4 + e.length > MAX_BUNDLE_BYTES || kept.length >= MAX_BUNDLE_ITEMS) continue;
    kept.push(e);
    size += 4 + e.length;
  }
  const nonce = randomBytes(24);
  const sealed = xchacha20poly1305(keys.recordKey, nonce, utf8ToBytes(recordId)).encrypt(
    encodeBundle(kept),
  );
  return concatBytes(Uint8Array.of(1), nonce, sealed);
}

/** @throws MessageDecodeError */
export function openRecord(keys: VaultKeys, recordId: string, record: Uint8Array): Uint8Array[] {
  if (record.length < 1 + 24 + TAG_BYTES || record.length > MAX_RECORD_BYTES || record[0] !== 1)
    throw new MessageDecodeError('bad-frame', 'not a Petal record');
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(
      keys.recordKey,
      record.subarray(1, 25),
      utf8ToBytes(recordId),
    ).decrypt(record.subarray(25));
  } catch {
    throw new MessageDecodeError('bad-frame', 'record does not decrypt under the vault key');
  }
  return decodeBundle(plain);
}
