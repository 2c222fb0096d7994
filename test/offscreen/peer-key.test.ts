import 'fake-indexeddb/auto';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { describe, expect, it } from 'vitest';
import { NetworkHost } from '../../src/offscreen/network-host.ts';
import { indexedDbPeerKeyStorage, loadOrCreatePeerKey } from '../../src/offscreen/peer-key.ts';

const dbName = () => `petal-network-${bytesToHex(randomBytes(4))}`;

describe('the extension’s libp2p identity', () => {
  it('is created once and read back by the next document', async () => {
    const name = dbName();
    const first = await loadOrCreatePeerKey(indexedDbPeerKeyStorage(name));
    // A new offscreen document opens the same database.
    const again = await loadOrCreatePeerKey(indexedDbPeerKeyStorage(name));
    expect(peerIdFromPrivateKey(again).toString()).toBe(peerIdFromPrivateKey(first).toString());
    expect(first.type).toBe('Ed25519');
  });

  it('two first starts racing end up with one identity', async () => {
    const name = dbName();
    const keys = await Promise.all(
      [1, 2, 3].map(() => loadOrCreatePeerKey(indexedDbPeerKeyStorage(name))),
    );
    expect(new Set(keys.map((k) => peerIdFromPrivateKey(k).toString())).size).toBe(1);
  });

  it('replaces a stored key that no longer decodes', async () => {
    const storage = indexedDbPeerKeyStorage(dbName());
    await storage.replace(Uint8Array.of(1, 2, 3));
    const key = await loadOrCreatePeerKey(storage);
    expect(peerIdFromPrivateKey(await loadOrCreatePeerKey(storage)).toString()).toBe(
      peerIdFromPrivateKey(key).toString(),
    );
  });

  it('a node started again after its host went away has the same peer id', async () => {
    const name = dbName();
    const before = new NetworkHost(undefined, indexedDbPeerKeyStorage(name));
    const first = await before.start([]);
    await before.stop();
    // The offscreen document was closed and created again: a new host, the same storage.
    const after = new NetworkHost(undefined, indexedDbPeerKeyStorage(name));
    const second = await after.start([]);
    await after.stop();
    expect(first.peerId).toBeDefined();
    expect(second.peerId).toBe(first.peerId);
  });
});
