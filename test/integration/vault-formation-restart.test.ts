import 'fake-indexeddb/auto';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFormationDb } from '../../src/background/formation-db.ts';
import { regtest } from '../../src/core/chain/index.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import {
  formationStoreKey,
  keepFormation,
  loadStoredFormations,
  resumeFormation,
} from '../../src/core/p2p/formation-store.ts';
import { CreatorFormation, JoinerFormation } from '../../src/core/p2p/vault-formation.ts';
import { createInvite, readInvite } from '../../src/core/wallet/vault-invite.ts';
import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { type PeerNode, createPeerNode } from '../../src/network/peer-node.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';

// The creator's wallet restarts mid-formation: its libp2p node goes away with everything in
// memory, and a new node (another peer id) resumes the formation from the sealed record in
// IndexedDB. The members already in stay in, the next one answers the same invite, and the vault
// forms with the same address on every member.
describe('a one-code vault formation survives the creator’s restart (libp2p)', () => {
  let relay: RunningRelay;
  const nodes: PeerNode[] = [];
  const runs: { stop(): void }[] = [];

  async function member(): Promise<{ node: PeerNode; messaging: Libp2pMessaging }> {
    const node = await createPeerNode(memberOptions(relay));
    nodes.push(node);
    const messaging = new Libp2pMessaging(node);
    await messaging.start();
    return { node, messaging };
  }

  beforeAll(async () => {
    relay = await startLocalRelay();
  });

  afterAll(async () => {
    runs.forEach((r) => r.stop());
    await Promise.allSettled(nodes.map(async (n) => n.stop()));
    await relay?.stop();
  });

  it('resumes on a new node from the stored record and the vault still forms', async () => {
    const [alice, bob, carol] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const store = openFormationDb(`formations-${bytesToHex(randomBytes(4))}`);
    const key = formationStoreKey(alice);
    const { code, invite } = createInvite(alice, {
      network: regtest,
      memberCount: 3,
      threshold: 2,
      label: 'Restarted',
      rendezvous: { creatorName: 'Alice' },
    });
    const keeper = keepFormation({
      store,
      key,
      invite,
      start: { role: 'creator', code, name: 'Alice' },
    });
    const before = await member();
    const first = new CreatorFormation({
      transport: before.messaging,
      invite,
      secretKey: alice,
      creatorName: 'Alice',
      repeatMs: 500,
      save: keeper.save,
    });
    runs.push(first);
    await keeper.save(first.view());
    await first.start();

    const bobRun = new JoinerFormation({
      transport: (await member()).messaging,
      invite: readInvite(code),
      secretKey: bob,
      name: 'Bob',
      repeatMs: 500,
    });
    runs.push(bobRun);
    await bobRun.start();
    await until(() => bobRun.view().members.some((m) => m.name === 'Bob'), 30_000);

    // The creator's wallet goes down: the formation and the node with it.
    first.stop();
    await before.node.stop();

    const after = await member();
    expect(after.node.peerId.toString()).not.toBe(before.node.peerId.toString());
    const [stored] = await loadStoredFormations(store, {
      key,
      network: 'regtest',
      now: Date.now(),
    });
    expect(stored?.progress).toMatchObject({ role: 'creator', joined: [{ name: 'Bob' }] });
    const { run: resumed } = await resumeFormation(stored!.progress, {
      store,
      key,
      transport: after.messaging,
      secretKey: alice,
      network: regtest,
      repeatMs: 500,
    });
    runs.push(resumed);
    expect(resumed.view().members.map((m) => m.name)).toEqual(['Alice', 'Bob']);

    const carolRun = new JoinerFormation({
      transport: (await member()).messaging,
      invite: readInvite(code),
      secretKey: carol,
      name: 'Carol',
      repeatMs: 500,
    });
    runs.push(carolRun);
    await carolRun.start();
    await until(
      () => [resumed, bobRun, carolRun].every((r) => r.view().phase === 'delivered'),
      60_000,
    );

    const formed = [resumed, bobRun, carolRun].map((r) => r.view().formed!);
    expect(new Set(formed.map((f) => f.vault.address)).size).toBe(1);
    const vault = formed[0]!.vault;
    expect(vault.threshold).toBe(2);
    expect(vault.members.map(bytesToHex).sort()).toEqual(
      [alice, bob, carol].map((s) => bytesToHex(getPublicKey(s))).sort(),
    );
    expect(new Set(formed[1]!.names)).toEqual(new Set(['Alice', 'Bob', 'Carol']));
  }, 150_000);
});
