/**
 * The extension's libp2p identity, kept so that the peer id survives the offscreen document
 * closing, the service worker restarting and the browser restarting: a member who comes back
 * mid-session is the same peer, so the others' connections, protected-peer tags and rate-limit
 * history still apply to it. The relay's `--key-file` is the Node analogue (src/relay/identity.ts).
 *
 * Where it lives, and why unencrypted: the key is stored in the extension origin's IndexedDB
 * (database `petal-network`), which web pages and content scripts cannot read; the offscreen
 * document has no other storage (no `chrome.storage`) and cannot reach the wallet's secrets,
 * which are encrypted under the user's password and absent while the wallet is locked, when the
 * node must still be able to come back. The key only authenticates the transport: every
 * protocol message is signed with the member's vault key and sealed end to end, so whoever
 * copies it can pose as this peer id on the network but cannot read a frame, sign or approve.
 * The key is Ed25519 in libp2p's protobuf encoding, as in the relay's key file.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { openDB } from 'idb';

export interface PeerKeyStorage {
  load(): Promise<Uint8Array | undefined>;
  /** Stores `key` unless one is stored already; returns false if one was (nothing written). */
  add(key: Uint8Array): Promise<boolean>;
  /** Replaces whatever is stored (a key that no longer decodes). */
  replace(key: Uint8Array): Promise<void>;
}

export const NETWORK_DB = 'petal-network';
const STORE = 'identity';
const KEY = 'libp2p-private-key';

/** The stored key in the extension's IndexedDB (fake-indexeddb in tests). */
export function indexedDbPeerKeyStorage(name = NETWORK_DB): PeerKeyStorage {
  let db: ReturnType<typeof openDB> | undefined;
  const open = () =>
    (db ??= openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore(STORE);
      },
    }));
  return {
    async load() {
      const stored: unknown = await (await open()).get(STORE, KEY);
      return stored instanceof Uint8Array ? stored : undefined;
    },
    async add(key) {
      // `add` refuses an existing entry, so two first starts racing keep one identity.
      try {
        await (await open()).add(STORE, key, KEY);
        return true;
      } catch (err) {
        if ((err as Error)?.name === 'ConstraintError') return false;
        throw err;
      }
    },
    async replace(key) {
      await (await open()).put(STORE, key, KEY);
    },
  };
}

/**
 * The stored identity, or a new Ed25519 key that is stored first. An unreadable stored key is
 * replaced: a fresh identity beats a node that can never start.
 * @example
 *   const privateKey = await loadOrCreatePeerKey(indexedDbPeerKeyStorage());
 *   const node = await createPeerNode({ relays, privateKey });
 */
export async function loadOrCreatePeerKey(storage: PeerKeyStorage): Promise<PrivateKey> {
  const stored = await storage.load();
  if (stored) {
    try {
      return privateKeyFromProtobuf(stored);
    } catch {
      const fresh = await generateKeyPair('Ed25519');
      await storage.replace(privateKeyToProtobuf(fresh));
      return fresh;
    }
  }
  const fresh = await generateKeyPair('Ed25519');
  if (await storage.add(privateKeyToProtobuf(fresh))) return fresh;
  // Another start stored its key first: use that one.
  return loadOrCreatePeerKey(storage);
}
