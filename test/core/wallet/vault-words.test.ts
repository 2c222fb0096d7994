import { hexToBytes } from '@noble/hashes/utils.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { describe, expect, it } from 'vitest';
import { regtest } from '../../../src/core/chain/network.ts';
import { getPublicKey } from '../../../src/core/crypto/index.ts';
import { createVault, vaultFingerprint } from '../../../src/core/wallet/vault.ts';
import { FINGERPRINT_WORDS, fingerprintWords } from '../../../src/core/wallet/vault-words.ts';

const key = (n: number) => getPublicKey(hexToBytes(n.toString(16).padStart(64, '0')));

describe('fingerprint words', () => {
  it('reads the first 55 bits of the id as five BIP39 words', () => {
    // 0x00000000000000… → word 0 five times; 0xffe0… → word 2047 ('zoo') first.
    expect(fingerprintWords({ id: '00'.repeat(32) })).toEqual(Array(5).fill(wordlist[0]));
    expect(fingerprintWords({ id: `ffe0${'00'.repeat(30)}` })).toEqual([
      'zoo',
      ...Array(4).fill(wordlist[0]),
    ]);
    // Bits 11..21 set: the second word is the last one; bit 55 onwards is never read.
    expect(fingerprintWords({ id: `001ffc${'00'.repeat(29)}` })[1]).toBe('zoo');
    expect(fingerprintWords({ id: `${'00'.repeat(6)}01${'ff'.repeat(25)}` })).toEqual(
      Array(5).fill(wordlist[0]),
    );
  });

  it('is the same for the same vault and extends its hex fingerprint', () => {
    const vault = createVault([key(1), key(2), key(3)], regtest, 'Club');
    const again = createVault([key(3), key(1), key(2)], regtest, 'Other label');
    expect(fingerprintWords(vault)).toEqual(fingerprintWords(again));
    expect(fingerprintWords(vault)).toHaveLength(FINGERPRINT_WORDS);
    // The hex fingerprint's 32 bits are the words' leading bits.
    const bits = fingerprintWords(vault)
      .map((w) => wordlist.indexOf(w).toString(2).padStart(11, '0'))
      .join('');
    expect(parseInt(bits.slice(0, 32), 2).toString(16).padStart(8, '0').toUpperCase()).toBe(
      vaultFingerprint(vault).replace('-', ''),
    );
    const other = createVault([key(1), key(2), key(4)], regtest);
    expect(fingerprintWords(other)).not.toEqual(fingerprintWords(vault));
  });

  it('refuses an id that is not 32 bytes', () => {
    expect(() => fingerprintWords({ id: 'abcd' })).toThrow(TypeError);
  });
});
