/**
 * The single-signature HD account (m/44'/10605'/0'/change/index) and its addresses. Addresses are
 * key-only Taproot (`p2tr-commitment`), lotus-web-wallet's default, so index 0 of a phrase matches
 * that wallet. Every receive hands out an address that has not been paid yet; change goes to the
 * internal chain. The account keeps only indices on disk (`AccountMeta`), never keys.
 */
import type { HDKey } from '@scure/bip32';
import { bytesToHex } from '@noble/hashes/utils.js';
import { tweakPublicKey } from '../crypto/index.ts';
import { type NetworkParams, encodeAddress, taprootScript } from '../chain/index.ts';
import { ACCOUNT_MAIN, deriveKey, mnemonicToSeed, rootKey } from './keys.ts';
import type { KeystoreSecrets } from './keystore.ts';

/** Addresses watched beyond the last one handed out, so payments to them are seen. */
export const RECEIVE_LOOKAHEAD = 5;
export const CHANGE_LOOKAHEAD = 2;
/** BIP44 gap limit for discovery after an import. */
export const GAP_LIMIT = 20;

/** What is stored per network: the index of the current receive and change address. */
export interface AccountMeta {
  receiveIndex: number;
  changeIndex: number;
}

export const EMPTY_ACCOUNT: AccountMeta = { receiveIndex: 0, changeIndex: 0 };

export interface AccountAddress {
  change: 0 | 1;
  index: number;
  address: string;
  script: Uint8Array;
  scriptHex: string;
}

export class HdAccount {
  readonly network: NetworkParams;
  readonly #root: HDKey;
  readonly #cache = new Map<string, AccountAddress & { secretKey: Uint8Array }>();
  readonly #byScript = new Map<string, AccountAddress & { secretKey: Uint8Array }>();
  #meta: AccountMeta;

  constructor(root: HDKey, network: NetworkParams, meta: AccountMeta = EMPTY_ACCOUNT) {
    this.#root = root;
    this.network = network;
    this.#meta = { ...meta };
  }

  static fromSecrets(secrets: KeystoreSecrets, network: NetworkParams, meta?: AccountMeta) {
    return new HdAccount(
      rootKey(mnemonicToSeed(secrets.mnemonic, secrets.passphrase), network),
      network,
      meta,
    );
  }

  get meta(): AccountMeta {
    return { ...this.#meta };
  }

  addressAt(change: 0 | 1, index: number): AccountAddress {
    const id = `${change}/${index}`;
    let entry = this.#cache.get(id);
    if (!entry) {
      const key = deriveKey(this.#root, ACCOUNT_MAIN, change, index);
      const script = taprootScript(tweakPublicKey(key.publicKey));
      entry = {
        change,
        index,
        address: encodeAddress(script, this.network),
        script,
        scriptHex: bytesToHex(script),
        secretKey: key.secretKey,
      };
      this.#cache.set(id, entry);
      this.#byScript.set(entry.scriptHex, entry);
    }
    const { secretKey: _secret, ...address } = entry;
    return address;
  }

  /** The address the Receive screen shows. */
  get receiveAddress(): AccountAddress {
    return this.addressAt(0, this.#meta.receiveIndex);
  }

  get changeAddress(): AccountAddress {
    return this.addressAt(1, this.#meta.changeIndex);
  }

  /** Hands out the next receive address even if the current one is unpaid ("new address"). */
  advanceReceive(): AccountAddress {
    this.#meta.receiveIndex++;
    return this.receiveAddress;
  }

  /**
   * Records that these scripts appear on chain: the current receive/change index moves past the
   * highest used one, so the next receive is always a fresh address. Returns whether it moved.
   */
  markUsed(scriptHexes: Iterable<string>): boolean {
    let moved = false;
    for (const hex of scriptHexes) {
      const entry = this.#byScript.get(hex);
      if (!entry) continue;
      const field = entry.change === 0 ? 'receiveIndex' : 'changeIndex';
      if (entry.index >= this.#meta[field]) {
        this.#meta[field] = entry.index + 1;
        moved = true;
      }
    }
    return moved;
  }

  /** Every address to watch: those handed out plus a lookahead on each chain. */
  watched(): AccountAddress[] {
    const out: AccountAddress[] = [];
    for (let i = 0; i <= this.#meta.receiveIndex + RECEIVE_LOOKAHEAD; i++)
      out.push(this.addressAt(0, i));
    for (let i = 0; i <= this.#meta.changeIndex + CHANGE_LOOKAHEAD; i++)
      out.push(this.addressAt(1, i));
    return out;
  }

  owns(scriptHex: string): boolean {
    return this.#byScript.has(scriptHex);
  }

  /** Secret key for an output script of this account (untweaked; the signer tweaks it). */
  keyFor(script: Uint8Array): Uint8Array | undefined {
    return this.#byScript.get(bytesToHex(script))?.secretKey;
  }

  /** Drops derived secret keys from memory (on lock). */
  wipe(): void {
    for (const entry of this.#cache.values()) entry.secretKey.fill(0);
    this.#cache.clear();
    this.#byScript.clear();
  }
}
