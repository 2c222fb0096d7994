import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/** SHA-256. */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** SHA-256 applied twice (Bitcoin's "hash256"). */
export function sha256d(data: Uint8Array): Uint8Array {
  return nobleSha256(nobleSha256(data));
}

/** RIPEMD-160 of SHA-256: the 20-byte hash in P2PKH outputs. */
export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(nobleSha256(data));
}

const tagCache = new Map<string, Uint8Array>();

/** BIP340-style tagged hash `SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msgs…)`, as lotusd's TaggedHash. */
export function taggedHash(tag: string, ...msgs: Uint8Array[]): Uint8Array {
  let prefix = tagCache.get(tag);
  if (!prefix) {
    const tagHash = nobleSha256(utf8ToBytes(tag));
    prefix = concatBytes(tagHash, tagHash);
    tagCache.set(tag, prefix);
  }
  return nobleSha256(concatBytes(prefix, ...msgs));
}
