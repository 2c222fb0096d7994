import 'fake-indexeddb/auto';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { openFormationDb } from '../../src/background/formation-db.ts';
import { regtest } from '../../src/core/chain/network.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import {
  type FormationProgress,
  type FormationStore,
  type StoredFormation,
  formationStoreKey,
  keepFormation,
  loadStoredFormations,
  sealStoredFormation,
} from '../../src/core/p2p/formation-store.ts';
import type { FormationState } from '../../src/core/p2p/vault-formation.ts';
import { createInvite } from '../../src/core/wallet/vault-invite.ts';

const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));
const [alice, bob] = [61, 62].map(secret) as [Uint8Array, Uint8Array];
const aliceKey = formationStoreKey(alice);
const bobKey = formationStoreKey(bob);

const oneCode = () =>
  createInvite(alice, {
    network: regtest,
    memberCount: 3,
    label: 'Kept',
    rendezvous: { creatorName: 'Alice' },
  });

/** A fresh IndexedDB database (fake-indexeddb) per test. */
const freshDb = () => openFormationDb(`formations-${bytesToHex(randomBytes(4))}`);

describe('the formation store in IndexedDB', () => {
  it('keeps the latest progress for a new connection, and a forget is not undone by a late save', async () => {
    const name = `formations-${bytesToHex(randomBytes(4))}`;
    const { code, invite } = oneCode();
    const keeper = keepFormation({
      store: openFormationDb(name),
      key: aliceKey,
      invite,
      start: { role: 'creator', code, name: 'Alice' },
    });
    const state = (names: string[]): FormationState => ({
      role: 'creator',
      phase: 'collecting',
      members: names.map((n, i) => ({ key: getPublicKey(secret(61 + i)), name: n })),
      dropped: {},
    });
    // Saves issued back to back land in order: the record holds the last.
    await Promise.all([keeper.save(state(['Alice'])), keeper.save(state(['Alice', 'Bob']))]);
    const reopened = openFormationDb(name);
    const [found] = await loadStoredFormations(reopened, {
      key: aliceKey,
      network: 'regtest',
      now: Date.now(),
    });
    expect(found?.expiresAt).toBe(invite.expiresAt * 1000);
    expect(found?.progress).toMatchObject({ role: 'creator', code, joined: [{ name: 'Bob' }] });

    await Promise.all([keeper.forget(), keeper.save(state(['Alice', 'Bob', 'Carol']))]);
    expect(await reopened.list()).toEqual([]);
  });

  it('drops expired records and records this wallet cannot open; keeps another network’s', async () => {
    const store = freshDb();
    const { code } = oneCode();
    const progress: FormationProgress = { role: 'joiner', code, name: 'Bob' };
    const put = (id: string, key: Uint8Array, network: string, expiresAt: number) =>
      store.put(sealStoredFormation(key, { id, network, expiresAt }, progress));
    const now = Date.now();
    await put('01'.repeat(16), bobKey, 'regtest', now + 60_000); // resumable
    await put('02'.repeat(16), bobKey, 'regtest', now - 1); // expired
    await put('03'.repeat(16), aliceKey, 'regtest', now + 60_000); // another wallet's
    await put('04'.repeat(16), bobKey, 'mainnet', now + 60_000); // waits for mainnet
    await (store as FormationStore).put({
      id: '05'.repeat(16),
      network: 'regtest',
      expiresAt: now + 60_000,
      sealed: 'not bytes',
    } as unknown as StoredFormation);

    const found = await loadStoredFormations(store, { key: bobKey, network: 'regtest', now });
    expect(found.map((f) => f.id)).toEqual(['01'.repeat(16)]);
    const left = (await store.list()) as StoredFormation[];
    expect(left.map((r) => r.id).sort()).toEqual(['01'.repeat(16), '04'.repeat(16)]);
    // On mainnet, the regtest record is left alone and the mainnet one opens.
    const onMainnet = await loadStoredFormations(store, { key: bobKey, network: 'mainnet', now });
    expect(onMainnet.map((f) => f.id)).toEqual(['04'.repeat(16)]);
  });
});
