/**
 * The wallet's IndexedDB: one object store of named records (the encrypted keystore, account
 * indices, settings, contacts, vault descriptors). IndexedDB rather than storage.local: records
 * are structured values, and the keystore sits where MetaMask-style vaults live, apart from the
 * settings storage other code touches. Tests run this same code over fake-indexeddb.
 */
import { type IDBPDatabase, openDB } from 'idb';
import type { RecordStore } from '../core/wallet/keystore-service.ts';

export const WALLET_DB = 'petal-wallet';
const STORE = 'records';

export function openWalletDb(name = WALLET_DB): RecordStore {
  let db: Promise<IDBPDatabase> | undefined;
  const open = () =>
    (db ??= openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore(STORE);
      },
    }));
  return {
    async get(key) {
      return (await open()).get(STORE, key);
    },
    async put(key, value) {
      await (await open()).put(STORE, value, key);
    },
    async delete(key) {
      await (await open()).delete(STORE, key);
    },
    async putMany(writes) {
      // One readwrite transaction: IndexedDB commits all of it or, on any failure, none.
      const tx = (await open()).transaction(STORE, 'readwrite', { durability: 'strict' });
      const done = tx.done;
      try {
        for (const [key, value] of writes)
          await (value === undefined ? tx.store.delete(key) : tx.store.put(value, key));
      } catch (err) {
        tx.abort();
        await done.catch(() => undefined);
        throw err;
      }
      await done;
    },
    async entries() {
      const database = await open();
      const tx = database.transaction(STORE);
      const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
      return keys.map((k, i): [string, unknown] => [String(k), values[i]]);
    },
  };
}
