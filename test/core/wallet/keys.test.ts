import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { encodeWif } from '../../../src/core/chain/address.ts';
import { mainnet } from '../../../src/core/chain/network.ts';
import { tweakPublicKey } from '../../../src/core/crypto/index.ts';
import {
  accountXpub,
  createMnemonic,
  deriveKey,
  mnemonicToSeed,
  normalizeMnemonic,
  p2pkhAddressOf,
  rootKey,
  taprootAddressOf,
} from '../../../src/core/wallet/keys.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

interface HdCase {
  mnemonic: string;
  passphrase: string;
  seed: string;
  xprv_root: string;
  path: string;
  seckey: string;
  pubkey: string;
  wif: string;
  p2pkh_address: string;
  taproot_keyonly_commitment: string;
  taproot_keyonly_address: string;
  xpub_account: string;
}
const cases = loadVectors<{ cases: HdCase[] }>('generated/hd-derivation.json').cases;

describe("HD keys at m/44'/10605'/…", () => {
  it.each(cases)('derives $path from "$mnemonic" like the Lotus wallets', (c) => {
    const seed = mnemonicToSeed(c.mnemonic, c.passphrase);
    expect(bytesToHex(seed)).toBe(c.seed);
    const root = rootKey(seed, mainnet);
    expect(root.privateExtendedKey).toBe(c.xprv_root);
    const [, , , account, change, index] = c.path.split('/');
    const key = deriveKey(
      root,
      parseInt(account as string, 10),
      Number(change) as 0 | 1,
      Number(index),
    );
    expect(key.path).toBe(c.path);
    expect(bytesToHex(key.secretKey)).toBe(c.seckey);
    expect(bytesToHex(key.publicKey)).toBe(c.pubkey);
    expect(encodeWif(key.secretKey, mainnet)).toBe(c.wif);
    expect(p2pkhAddressOf(key.publicKey, mainnet)).toBe(c.p2pkh_address);
    expect(bytesToHex(tweakPublicKey(key.publicKey))).toBe(c.taproot_keyonly_commitment);
    expect(taprootAddressOf(key.publicKey, mainnet)).toBe(c.taproot_keyonly_address);
    expect(accountXpub(root, parseInt(account as string, 10))).toBe(c.xpub_account);
  });

  it('creates valid 12- and 24-word phrases and normalises what users type', () => {
    expect(createMnemonic(12).split(' ')).toHaveLength(12);
    const phrase = createMnemonic(24);
    expect(phrase.split(' ')).toHaveLength(24);
    expect(normalizeMnemonic(`  ${phrase.toUpperCase().replaceAll(' ', '   ')} `)).toBe(phrase);
  });

  it('refuses a misspelled word, a bad checksum and a wrong length with MnemonicError', () => {
    const words = (cases[0] as HdCase).mnemonic.split(' ');
    for (const bad of [
      [...words.slice(0, 11), 'abandonn'].join(' '),
      [...words.slice(0, 11), 'abandon'].join(' '),
      words.slice(0, 11).join(' '),
    ]) {
      expect(() => normalizeMnemonic(bad)).toThrow(
        expect.objectContaining({ name: 'MnemonicError' }),
      );
    }
  });
});
