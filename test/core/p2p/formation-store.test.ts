import 'fake-indexeddb/auto';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { openFormationDb } from '../../../src/background/formation-db.ts';
import { regtest } from '../../../src/core/chain/network.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import {
  deriveFormationKeys,
  encodeAnswer,
  sealFormationFrame,
} from '../../../src/core/p2p/formation-frames.ts';
import {
  DELIVERED_KEEP_MS,
  type FormationProgress,
  type FormationStore,
  type StoredFormation,
  StoredFormationError,
  formationStoreKey,
  keepFormation,
  loadStoredFormations,
  openStoredFormation,
  resumeFormation,
  sealStoredFormation,
} from '../../../src/core/p2p/formation-store.ts';
import { MemoryNetwork } from '../../../src/core/p2p/memory-transport.ts';
import type { Transport } from '../../../src/core/p2p/transport.ts';
import { createInvite, readInvite } from '../../../src/core/wallet/vault-invite.ts';
import { encodeVaultDescriptor } from '../../../src/core/wallet/vault.ts';
import { until } from '../../support/until.ts';
import { formationRuns } from './formation-fixtures.ts';

const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));
const [alice, bob, carol] = [61, 62, 63].map(secret) as [Uint8Array, Uint8Array, Uint8Array];
const aliceKey = formationStoreKey(alice);
const bobKey = formationStoreKey(bob);

function oneCode(members = 3, threshold = members) {
  return createInvite(alice, {
    network: regtest,
    memberCount: members,
    threshold,
    label: 'Kept',
    rendezvous: { creatorName: 'Alice' },
  });
}

/** A fresh IndexedDB database (fake-indexeddb) per test. */
const freshDb = () => openFormationDb(`formations-${bytesToHex(randomBytes(4))}`);

const runs = formationRuns();

/** The one formation a wallet has stored, read as the wallet reads it when it starts. */
async function storedOf(store: FormationStore, key: Uint8Array) {
  const [stored] = await loadStoredFormations(store, { key, network: 'regtest', now: Date.now() });
  return stored!;
}

/** The wallet restarted: it reads its stored formation and resumes it on a new node. */
async function restart(
  store: FormationStore,
  key: Uint8Array,
  secretKey: Uint8Array,
  transport: Transport,
) {
  const stored = await storedOf(store, key);
  const resumed = await resumeFormation(stored.progress, {
    store,
    key,
    transport,
    secretKey,
    network: regtest,
    repeatMs: 20,
  });
  runs.track(resumed.run);
  return { stored, ...resumed };
}

describe('sealed formation records', () => {
  const progress: FormationProgress = {
    role: 'creator',
    code: oneCode().code,
    name: 'Alice',
    joined: [{ key: bytesToHex(getPublicKey(bob)), name: 'Bob' }],
  };
  const head = { id: 'ab'.repeat(16), network: 'regtest', expiresAt: 1_900_000_000_000 };

  it('open with the wallet’s key and hide the invite (its secret) from whoever reads storage', () => {
    const stored = sealStoredFormation(aliceKey, head, progress);
    expect(openStoredFormation(aliceKey, stored)).toEqual(progress);
    const text = new TextDecoder('latin1').decode(stored.sealed);
    expect(text).not.toContain('petalinvite');
    expect(text).not.toContain('Bob');
    expect({ ...stored, sealed: undefined }).toEqual({ ...head, sealed: undefined });
  });

  it('do not open with another wallet’s key, or with an altered id, network or expiry', () => {
    const stored = sealStoredFormation(aliceKey, head, progress);
    const refused = (record: StoredFormation, key = aliceKey) => {
      try {
        openStoredFormation(key, record);
      } catch (err) {
        return err instanceof StoredFormationError ? err.reason : 'other';
      }
      return 'opened';
    };
    expect(refused(stored, bobKey)).toBe('bad-seal');
    expect(refused({ ...stored, expiresAt: stored.expiresAt + 1 })).toBe('bad-seal');
    expect(refused({ ...stored, network: 'mainnet' })).toBe('bad-seal');
    expect(refused({ ...stored, id: 'cd'.repeat(16) })).toBe('bad-seal');
    expect(refused({ ...stored, sealed: stored.sealed.slice(0, 20) })).toBe('bad-seal');
    const odd = sealStoredFormation(aliceKey, head, {
      role: 'observer',
    } as unknown as FormationProgress);
    expect(refused(odd)).toBe('malformed');
  });
});

describe('resuming a formation after a restart (in memory)', () => {
  it('a creator restarted mid-formation keeps its invite and answers, and the vault still forms', async () => {
    const net = new MemoryNetwork();
    const store = freshDb();
    const { code, invite } = oneCode(3);
    const start = { role: 'creator' as const, code, name: 'Alice' };
    const keeper = keepFormation({ store, key: aliceKey, invite, start });
    const first = runs.creator(net.join('alice-1'), {
      invite,
      secretKey: alice,
      save: keeper.save,
    });
    await keeper.save(first.view());
    await first.start();
    const bobRun = runs.joiner(net.join('bob'), {
      invite: readInvite(code),
      secretKey: bob,
      name: 'Bob',
    });
    await bobRun.start();
    await until(() => bobRun.view().members.length === 2);

    // The creator's worker dies: its node goes away with everything in memory.
    first.stop();
    net.disconnect('alice-1');
    const { stored, run } = await restart(store, aliceKey, alice, net.join('alice-2'));
    expect(stored.progress).toMatchObject({ joined: [{ name: 'Bob' }] });
    expect(run.view().members.map((m) => m.name)).toEqual(['Alice', 'Bob']);

    const carolRun = runs.joiner(net.join('carol'), {
      invite: readInvite(code),
      secretKey: carol,
      name: 'Carol',
    });
    await carolRun.start();
    await until(() => [run, bobRun, carolRun].every((r) => r.view().phase === 'delivered'));
    const ids = new Set([run, bobRun, carolRun].map((r) => r.view().formed?.vault.id));
    expect(ids.size).toBe(1);
    expect(new Set(carolRun.view().formed!.names)).toEqual(new Set(['Alice', 'Bob', 'Carol']));

    // The delivery is saved: the record now waits a week for the creator's confirmation.
    const after = await storedOf(store, aliceKey);
    const progress = after.progress as Extract<FormationProgress, { role: 'creator' }>;
    expect(progress.joined.map((m) => m.name)).toEqual(['Bob', 'Carol']);
    expect(after.expiresAt).toBe(progress.deliveredAt! + DELIVERED_KEEP_MS);
  });

  it('a creator restarted after delivering delivers the same vault to a member who missed it', async () => {
    const net = new MemoryNetwork();
    const store = freshDb();
    const { code, invite } = oneCode(3, 2);
    const keeper = keepFormation({
      store,
      key: aliceKey,
      invite,
      start: { role: 'creator', code, name: 'Alice' },
    });
    const first = runs.creator(net.join('alice-1'), {
      invite,
      secretKey: alice,
      repeatMs: 10_000,
      save: keeper.save,
    });
    await first.start();
    const keys = deriveFormationKeys(invite.rendezvous!.secret);
    await first['receive'](sealFormationFrame(keys, encodeAnswer(invite.inviteId, bob, 'Bob')));
    const delivered = await first.finish(); // 2 of 3: the creator stops waiting
    first.stop();
    net.disconnect('alice-1');
    // The mailbox is gone too (say, the relay restarted): only the creator can deliver again.
    net.records().clear();

    const { run } = await restart(store, aliceKey, alice, net.join('alice-2'));
    expect(run.view().phase).toBe('delivered');
    expect(encodeVaultDescriptor(run.view().formed!.vault)).toBe(
      encodeVaultDescriptor(delivered.vault),
    );
    const bobRun = runs.joiner(net.join('bob'), {
      invite: readInvite(code),
      secretKey: bob,
      name: 'Bob',
    });
    await bobRun.start();
    await until(() => bobRun.view().phase === 'delivered');
    expect(bobRun.view().formed?.vault.id).toBe(delivered.vault.id);
  });

  it('a joiner restarted after the delivery has it at once, with no network, until it confirms', async () => {
    const net = new MemoryNetwork();
    const store = freshDb();
    const { code } = oneCode(2);
    const creator = runs.creator(net.join('alice'), { invite: readInvite(code), secretKey: alice });
    await creator.start();
    const invite = readInvite(code);
    const keeper = keepFormation({
      store,
      key: bobKey,
      invite,
      start: { role: 'joiner', code, name: 'Bob' },
    });
    const first = runs.joiner(net.join('bob-1'), {
      invite,
      secretKey: bob,
      name: 'Bob',
      save: keeper.save,
    });
    await keeper.save(first.view());
    await first.start();
    await until(() => first.view().phase === 'delivered');
    first.stop();
    creator.stop();
    net.disconnect('alice');
    net.records().clear();

    const {
      stored,
      run,
      keeper: resumedKeeper,
    } = await restart(store, bobKey, bob, net.join('bob-2'));
    expect(stored.progress).toMatchObject({ role: 'joiner', name: 'Bob' });
    expect(run.view().phase).toBe('delivered');
    expect(run.view().formed?.vault.id).toBe(first.view().formed?.vault.id);
    expect(
      run
        .view()
        .members.map((m) => m.name)
        .sort(),
    ).toEqual(['Alice', 'Bob']);
    // Confirming removes the record, and the invite's secret with it.
    await resumedKeeper.forget();
    expect(await store.list()).toEqual([]);
  });

  it('a creator names a joiner in its roster only once the answer is saved', async () => {
    const net = new MemoryNetwork();
    const { code } = oneCode(3);
    const invite = readInvite(code);
    let release: () => void = () => undefined;
    const saving = new Promise<void>((resolve) => (release = resolve));
    const creator = runs.creator(net.join('alice'), {
      invite,
      secretKey: alice,
      repeatMs: 10,
      save: () => saving,
    });
    await creator.start();
    const bobRun = runs.joiner(net.join('bob'), {
      invite: readInvite(code),
      secretKey: bob,
      name: 'Bob',
      repeatMs: 10,
    });
    await bobRun.start();
    await until(() => creator.view().members.length === 2);
    // Rosters keep going out (every 10 ms) while the save hangs: none of them names Bob.
    await new Promise((r) => setTimeout(r, 200));
    expect(bobRun.view().members.map((m) => m.name)).toEqual(['Alice']);
    release();
    await until(() => bobRun.view().members.length === 2);
  });

  it('drops nothing silently: a stored creator whose answers conflict does not resume', async () => {
    const { code } = oneCode(3);
    const bobHex = bytesToHex(getPublicKey(bob));
    await expect(
      resumeFormation(
        {
          role: 'creator',
          code,
          name: 'Alice',
          joined: [
            { key: bobHex, name: 'Bob' },
            { key: bobHex, name: 'Robert' },
          ],
        },
        {
          store: freshDb(),
          key: aliceKey,
          transport: new MemoryNetwork().join('alice'),
          secretKey: alice,
          network: regtest,
        },
      ),
    ).rejects.toMatchObject({ name: 'FormationError', reason: 'duplicate-member' });
  });
});
