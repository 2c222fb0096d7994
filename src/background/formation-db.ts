/**
 * Open vault formations in IndexedDB (database `petal-formations`), sealed by
 * src/core/p2p/formation-store.ts: only the invite id, network and expiry are readable here.
 * Writes ask for `durability: 'strict'`: a formation's progress is saved before the members hear
 * of it, so it must be on disk, not just reported done, when the write resolves.
 */
import { type IDBPDatabase, openDB } from 'idb';
import type { FormationStore, StoredFormation } from '../core/p2p/formation-store.ts';

export const FORMATION_DB = 'petal-formations';
const STORE = 'formations';
const STRICT: IDBTransactionOptions = { durability: 'strict' };

export function openFormationDb(name = FORMATION_DB): FormationStore {
  let db: Promise<IDBPDatabase> | undefined;
  const open = () =>
    (db ??= openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore(STORE, { keyPath: 'id' });
      },
    }));
  return {
    async list() {
      return (await open()).getAll(STORE);
    },
    async put(record: StoredFormation) {
      const tx = (await open()).transaction(STORE, 'readwrite', STRICT);
      await tx.store.put(record);
      await tx.done;
    },
    async delete(id: string) {
      const tx = (await open()).transaction(STORE, 'readwrite', STRICT);
      await tx.store.delete(id);
      await tx.done;
    },
  };
}
