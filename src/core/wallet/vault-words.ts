/**
 * The vault fingerprint as words, for people to read to each other when a vault is formed: five
 * words of the BIP39 English list (11 bits each), taken from the first 55 bits of the vault id.
 * The hex fingerprint (`vaultFingerprint`) is the first 32 of those bits, so both renderings come
 * from the same id and every member's wallet shows the same words for the same vault.
 *
 * 55 bits make a second vault with the same words cost about 2^55 tries, and even a creator
 * grinding two vaults to collide about 2^27.5 (birthday bound) key aggregations per vault.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { Vault } from './vault.ts';

export const FINGERPRINT_WORDS = 5;
const BITS_PER_WORD = 11;

/**
 * The vault's fingerprint words, in order.
 * @throws TypeError if the id is not 32 bytes of hex.
 * @example
 *   fingerprintWords(vault); // ['orbit', 'lemon', 'tackle', 'fresh', 'amount']
 */
export function fingerprintWords(vault: Pick<Vault, 'id'>): string[] {
  const id = hexToBytes(vault.id);
  if (id.length !== 32) throw new TypeError('A vault id is 32 bytes');
  // The id's leading bits as one big-endian integer, then 11 bits per word from the top.
  const needed = FINGERPRINT_WORDS * BITS_PER_WORD;
  const bytes = Math.ceil(needed / 8);
  let bits = 0n;
  for (const byte of id.subarray(0, bytes)) bits = (bits << 8n) | BigInt(byte);
  bits >>= BigInt(bytes * 8 - needed);
  return Array.from({ length: FINGERPRINT_WORDS }, (_, i) => {
    const shift = BigInt((FINGERPRINT_WORDS - 1 - i) * BITS_PER_WORD);
    return wordlist[Number((bits >> shift) & 0x7ffn)] as string;
  });
}
