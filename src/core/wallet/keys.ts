/**
 * Wallet keys as every Lotus wallet derives them: BIP39 English mnemonics, BIP32 along
 * m/44'/10605'/account'/change/index (coin type 10605). The Lotus web wallet keeps its MuSig2
 * signing key in account 1, so Petal does too, and the same phrase yields the same addresses.
 */
import { HDKey } from '@scure/bip32';
import { generateMnemonic, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { hash160 } from '../crypto/hash.ts';
import { getPublicKey } from '../crypto/schnorr.ts';
import { tweakPublicKey } from '../crypto/taproot.ts';
import { encodeAddress } from '../chain/address.ts';
import type { NetworkParams } from '../chain/network.ts';
import { p2pkhScript, taprootScript } from '../chain/templates.ts';

export const LOTUS_COIN_TYPE = 10605;
/** Account for ordinary single-signature funds. */
export const ACCOUNT_MAIN = 0;
/** Account for the key this wallet contributes to MuSig2 vaults (lotus-web-wallet parity). */
export const ACCOUNT_MUSIG = 1;

export class MnemonicError extends Error {
  override name = 'MnemonicError';
}

/** A new English mnemonic of 12 or 24 words from the CSPRNG. */
export function createMnemonic(words: 12 | 24 = 12): string {
  return generateMnemonic(wordlist, words === 24 ? 256 : 128);
}

/** Normalises spacing/case and checks words and checksum; throws MnemonicError otherwise. */
export function normalizeMnemonic(phrase: string): string {
  const normalized = phrase.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ');
  const count = normalized.split(' ').length;
  if (![12, 15, 18, 21, 24].includes(count))
    throw new MnemonicError(`A recovery phrase has 12–24 words, not ${count}`);
  if (!validateMnemonic(normalized, wordlist)) {
    throw new MnemonicError('The recovery phrase has a misspelled word or a wrong checksum');
  }
  return normalized;
}

export function mnemonicToSeed(phrase: string, passphrase = ''): Uint8Array {
  return mnemonicToSeedSync(normalizeMnemonic(phrase), passphrase);
}

export function derivationPath(account: number, change: 0 | 1, index: number): string {
  return `m/44'/${LOTUS_COIN_TYPE}'/${account}'/${change}/${index}`;
}

/** The BIP32 root for a seed, with the network's extended-key versions. */
export function rootKey(seed: Uint8Array, network: NetworkParams): HDKey {
  return HDKey.fromMasterSeed(seed, network.bip32);
}

export interface DerivedKey {
  path: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function deriveKey(root: HDKey, account: number, change: 0 | 1, index: number): DerivedKey {
  const path = derivationPath(account, change, index);
  const node = root.derive(path);
  if (!node.privateKey) throw new MnemonicError('Cannot derive a private key from a public root');
  return { path, secretKey: node.privateKey, publicKey: getPublicKey(node.privateKey) };
}

/** The account-level extended public key (m/44'/10605'/account'). */
export function accountXpub(root: HDKey, account: number): string {
  return root.derive(`m/44'/${LOTUS_COIN_TYPE}'/${account}'`).publicExtendedKey;
}

export function p2pkhAddressOf(publicKey: Uint8Array, network: NetworkParams): string {
  return encodeAddress(p2pkhScript(hash160(publicKey)), network);
}

/** A single-key Taproot address (key-only: zero merkle root), lotus-web-wallet's default. */
export function taprootAddressOf(publicKey: Uint8Array, network: NetworkParams): string {
  return encodeAddress(taprootScript(tweakPublicKey(publicKey)), network);
}

/** The key this wallet contributes to vaults: m/44'/10605'/1'/0/0 (ACCOUNT_MUSIG). */
export function vaultMemberKey(
  secrets: { mnemonic: string; passphrase: string },
  network: NetworkParams,
): DerivedKey {
  return deriveKey(
    rootKey(mnemonicToSeed(secrets.mnemonic, secrets.passphrase), network),
    ACCOUNT_MUSIG,
    0,
    0,
  );
}
