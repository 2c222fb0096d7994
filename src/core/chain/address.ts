import { base58, createBase58check } from '@scure/base';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { sha256 } from '../crypto/hash.ts';
import { parseCompressedPoint } from '../crypto/curve.ts';
import { AddressError } from './errors.ts';
import { type NetworkParams, networkByChar } from './network.ts';
import { classifyScript, p2pkhScript, p2shScript, taprootScript } from './templates.ts';

const TOKEN = 'lotus';
/** XAddress type bytes: 0 carries a whole P2PKH/P2SH script, 2 a Taproot commitment. */
export const XADDRESS_TYPE_SCRIPT = 0;
export const XADDRESS_TYPE_TAPROOT = 2;

const base58check = createBase58check(sha256);

export interface DecodedAddress {
  network: NetworkParams;
  type: typeof XADDRESS_TYPE_SCRIPT | typeof XADDRESS_TYPE_TAPROOT;
  payload: Uint8Array;
  /** The output script this address pays to. */
  script: Uint8Array;
}

function checksum(netChar: string, type: number, payload: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8ToBytes(TOKEN + netChar), Uint8Array.of(type), payload)).slice(
    0,
    4,
  );
}

/** lotusd's legacy checksum: accepted when decoding, never produced. */
function legacyChecksum(netChar: string, type: number, payload: Uint8Array): Uint8Array {
  return sha256(
    concatBytes(
      Uint8Array.of(TOKEN.length),
      utf8ToBytes(TOKEN + netChar),
      Uint8Array.of(type),
      compact(payload.length),
      payload,
    ),
  ).slice(0, 4);
}

function compact(n: number): Uint8Array {
  return n < 0xfd ? Uint8Array.of(n) : Uint8Array.of(0xfd, n & 0xff, n >> 8);
}

/** Encodes an XAddress for an output script (P2PKH, P2SH or Taproot without state). */
export function encodeAddress(script: Uint8Array, network: NetworkParams): string {
  const classified = classifyScript(script);
  let type: number;
  let payload: Uint8Array;
  if (classified.type === 'p2pkh' || classified.type === 'p2sh') {
    type = XADDRESS_TYPE_SCRIPT;
    payload = script;
  } else if (classified.type === 'taproot' && !classified.state) {
    type = XADDRESS_TYPE_TAPROOT;
    payload = classified.payload as Uint8Array;
  } else {
    throw new AddressError('Only P2PKH, P2SH and stateless Taproot outputs have addresses');
  }
  const body = concatBytes(
    Uint8Array.of(type),
    payload,
    checksum(network.addressChar, type, payload),
  );
  return TOKEN + network.addressChar + base58.encode(body);
}

/**
 * Decodes an XAddress. The network character is the first uppercase letter, digit or `_`; the
 * token must be `lotus`, the checksum must match, and with `expected` the network must match.
 * @throws AddressError with a reason a user can act on.
 */
export function decodeAddress(address: string, expected?: NetworkParams): DecodedAddress {
  if (typeof address !== 'string' || address.length > 128) throw new AddressError('Not an address');
  const position = address.search(/[A-Z0-9_]/);
  if (position < 0) throw new AddressError('Address has no network character');
  const token = address.slice(0, position);
  if (token !== TOKEN) throw new AddressError(`Not a Lotus address (prefix "${token}")`);
  const netChar = address[position] as string;
  const network = networkByChar(netChar);
  if (!network) throw new AddressError(`Unknown network character "${netChar}"`);
  let body: Uint8Array;
  try {
    body = base58.decode(address.slice(position + 1));
  } catch {
    throw new AddressError('Address contains characters outside base58');
  }
  if (body.length < 6) throw new AddressError('Address is too short');
  const type = body[0] as number;
  const payload = body.slice(1, -4);
  const check = body.slice(-4);
  const matches = (c: Uint8Array) => c.every((b, i) => b === check[i]);
  if (
    !matches(checksum(netChar, type, payload)) &&
    !matches(legacyChecksum(netChar, type, payload))
  ) {
    throw new AddressError('Address checksum does not match (typo?)');
  }
  if (expected && expected.addressChar !== network.addressChar) {
    throw new AddressError(`Address is for ${network.name}, not ${expected.name}`);
  }
  if (type === XADDRESS_TYPE_SCRIPT) {
    const kind = classifyScript(payload).type;
    if (kind !== 'p2pkh' && kind !== 'p2sh')
      throw new AddressError('Address carries a non-standard script');
    return { network, type, payload, script: payload };
  }
  if (type === XADDRESS_TYPE_TAPROOT) {
    if (payload.length !== 33) throw new AddressError('Taproot address payload must be 33 bytes');
    try {
      parseCompressedPoint(payload);
    } catch {
      throw new AddressError('Taproot address commitment is not a valid point');
    }
    return { network, type, payload, script: taprootScript(payload) };
  }
  throw new AddressError(`Unknown address type ${type}`);
}

export function addressToScript(address: string, expected?: NetworkParams): Uint8Array {
  return decodeAddress(address, expected).script;
}

export function isValidAddress(address: string, expected?: NetworkParams): boolean {
  try {
    decodeAddress(address, expected);
    return true;
  } catch {
    return false;
  }
}

/** Decodes a legacy base58check address (P2PKH/P2SH) for imports; returns its output script. */
export function decodeLegacyAddress(address: string, network: NetworkParams): Uint8Array {
  let data: Uint8Array;
  try {
    data = base58check.decode(address);
  } catch {
    throw new AddressError('Not a valid base58check string');
  }
  if (data.length !== 21) throw new AddressError('Legacy address must carry a 20-byte hash');
  const hash = data.slice(1);
  if (data[0] === network.legacy.p2pkh) return p2pkhScript(hash);
  if (data[0] === network.legacy.p2sh) return p2shScript(hash);
  throw new AddressError(`Legacy address version ${data[0]} is not ${network.name}`);
}

/** WIF private key export (compressed by default, as every Lotus wallet uses). */
export function encodeWif(secKey: Uint8Array, network: NetworkParams, compressed = true): string {
  if (secKey.length !== 32) throw new AddressError('Secret key must be 32 bytes');
  return base58check.encode(
    concatBytes(
      Uint8Array.of(network.legacy.wif),
      secKey,
      compressed ? Uint8Array.of(1) : new Uint8Array(0),
    ),
  );
}

/** WIF private key import. */
export function decodeWif(
  wif: string,
  network: NetworkParams,
): { secKey: Uint8Array; compressed: boolean } {
  let data: Uint8Array;
  try {
    data = base58check.decode(wif);
  } catch {
    throw new AddressError('Not a valid WIF string');
  }
  if (data[0] !== network.legacy.wif) throw new AddressError(`WIF is not for ${network.name}`);
  if (data.length === 33) return { secKey: data.slice(1), compressed: false };
  if (data.length === 34 && data[33] === 1) return { secKey: data.slice(1, 33), compressed: true };
  throw new AddressError('WIF has the wrong length');
}
