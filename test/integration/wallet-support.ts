import 'fake-indexeddb/auto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { expect } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { NETWORKS, type NetworkName, encodeWif } from '../../src/core/chain/index.ts';
import type { SessionRecord, SessionStore } from '../../src/core/wallet/keystore-service.ts';
import { WalletService } from '../../src/core/wallet/wallet-service.ts';
import { mnemonicToSeed } from '../../src/core/wallet/keys.ts';
import { openWalletDb } from '../../src/background/wallet-db.ts';

/** PBKDF2 iterations for tests that unlock often; production records always use ≥ 600,000. */
export const FAST_KDF = 1_000;

export function memorySession(): SessionStore & { value: SessionRecord | undefined } {
  const store = {
    value: undefined as SessionRecord | undefined,
    async get() {
      return store.value;
    },
    async set(value: SessionRecord) {
      store.value = structuredClone(value);
    },
    async clear() {
      store.value = undefined;
    },
  };
  return store;
}

let dbCounter = 0;
export function freshDb(): ReturnType<typeof openWalletDb> {
  return openWalletDb(`petal-test-${process.pid}-${++dbCounter}`);
}

export function walletService(
  url: string,
  records = freshDb(),
  session = memorySession(),
  options: { now?: () => number; indexer?: (url: string) => ChronikIndexer } = {},
) {
  const service = new WalletService({
    subtle: globalThis.crypto.subtle,
    records,
    session,
    indexer:
      options.indexer ?? ((u) => new ChronikIndexer({ url: u, backoffMs: 20, timeoutMs: 5_000 })),
    iterations: FAST_KDF,
    now: options.now,
  });
  return { service, records, session };
}

/**
 * Every way a secret could leak into storage: the phrase (and any run of three of its words),
 * the seed, the account's extended private key, the first keys as hex and WIF, the password.
 */
export function secretNeedles(mnemonic: string, password: string, network: NetworkName) {
  const params = NETWORKS[network];
  const seed = mnemonicToSeed(mnemonic);
  const root = HDKey.fromMasterSeed(seed, params.bip32);
  const needles = [mnemonic, password, bytesToHex(seed), root.privateExtendedKey];
  const words = mnemonic.split(' ');
  for (let i = 0; i + 3 <= words.length; i++) needles.push(words.slice(i, i + 3).join(' '));
  for (const change of [0, 1])
    for (let index = 0; index < 8; index++) {
      const key = root.derive(`m/44'/10605'/0'/${change}/${index}`).privateKey as Uint8Array;
      needles.push(bytesToHex(key), encodeWif(key, params));
    }
  return needles;
}

/** Fails if any stored record or the session contains one of the needles. */
export async function expectNoSecretsStored(
  records: ReturnType<typeof openWalletDb>,
  session: { value: unknown },
  needles: string[],
): Promise<void> {
  const dump = JSON.stringify({ records: await records.entries(), session: session.value });
  for (const needle of needles)
    expect(dump.includes(needle), `storage leaks ${needle.slice(0, 12)}…`).toBe(false);
}
