/**
 * Petal's Kademlia record namespace. Every DHT server (relays, and any node in server mode) must
 * run the same validator and selector, or puts under `/petal/` fail with a stream reset.
 *
 * Record value: version (1 byte) ‖ expiresAt (u64 big-endian, ms since epoch) ‖ payload.
 * Payloads are opaque to the network (the protocol encrypts them for vault members); the
 * envelope only lets servers refuse junk and expired records and pick the freshest copy.
 */
export const DHT_PROTOCOL = '/petal/kad/1.0.0';
export const RECORD_NAMESPACE = 'petal';
export const RECORD_VERSION = 1;
export const MAX_RECORD_PAYLOAD = 16 * 1024;
export const MAX_KEY_BYTES = 160;
/** Servers refuse records claiming to live longer than this, so a peer cannot pin junk forever. */
export const MAX_RECORD_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const HEADER_BYTES = 9;
const KEY_PREFIX = new TextEncoder().encode(`/${RECORD_NAMESPACE}/`);

export class InvalidRecordError extends Error {
  override name = 'InvalidRecordError';
}

export interface PetalRecord {
  expiresAt: number;
  payload: Uint8Array;
}

export function recordKey(id: string): Uint8Array {
  return new TextEncoder().encode(`/${RECORD_NAMESPACE}/${id}`);
}

export function encodeRecord(record: PetalRecord): Uint8Array {
  if (record.payload.length > MAX_RECORD_PAYLOAD) {
    throw new InvalidRecordError(`Record payload over ${MAX_RECORD_PAYLOAD} bytes`);
  }
  const out = new Uint8Array(HEADER_BYTES + record.payload.length);
  out[0] = RECORD_VERSION;
  new DataView(out.buffer).setBigUint64(1, BigInt(Math.floor(record.expiresAt)));
  out.set(record.payload, HEADER_BYTES);
  return out;
}

export function decodeRecord(value: Uint8Array): PetalRecord {
  if (value.length < HEADER_BYTES) throw new InvalidRecordError('Record too short');
  if (value[0] !== RECORD_VERSION)
    throw new InvalidRecordError(`Unknown record version ${value[0]}`);
  if (value.length - HEADER_BYTES > MAX_RECORD_PAYLOAD)
    throw new InvalidRecordError('Record too large');
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return { expiresAt: Number(view.getBigUint64(1)), payload: value.subarray(HEADER_BYTES) };
}

/** The DHT validator for `/petal/` keys: well-formed key, well-formed, unexpired, bounded record. */
export function validateRecord(key: Uint8Array, value: Uint8Array, now = Date.now()): void {
  if (key.length > MAX_KEY_BYTES || !startsWith(key, KEY_PREFIX)) {
    throw new InvalidRecordError('Not a Petal record key');
  }
  const { expiresAt } = decodeRecord(value);
  if (expiresAt <= now) throw new InvalidRecordError('Record expired');
  if (expiresAt > now + MAX_RECORD_TTL_MS) throw new InvalidRecordError('Record lifetime too long');
}

/** The DHT selector: the copy that lives longest wins; ties go to the larger bytes (deterministic). */
export function selectRecord(_key: Uint8Array, records: Uint8Array[]): number {
  let best = 0;
  let bestExpiry = -1;
  records.forEach((value, index) => {
    let expiry: number;
    try {
      expiry = decodeRecord(value).expiresAt;
    } catch {
      return;
    }
    const current = records[best];
    if (
      expiry > bestExpiry ||
      (expiry === bestExpiry && current && compareBytes(value, current) > 0)
    ) {
      best = index;
      bestExpiry = expiry;
    }
  });
  return best;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
