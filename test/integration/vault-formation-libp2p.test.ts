import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regtest } from '../../src/core/chain/index.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { deriveFormationKeys } from '../../src/core/p2p/formation-frames.ts';
import { CreatorFormation, JoinerFormation } from '../../src/core/p2p/vault-formation.ts';
import { createInvite, readInvite } from '../../src/core/wallet/vault-invite.ts';
import { fingerprintWords } from '../../src/core/wallet/vault-words.ts';
import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { type PeerNode, createPeerNode } from '../../src/network/peer-node.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';

// Three members on real libp2p nodes behind the relay form a 2-of-3 vault from one invite code:
// answers and the delivery travel over GossipSub through the relay, and the member who comes
// online after the delivery reads it from the creator's DHT mailbox on the relay.
describe('one-code vault formation over libp2p', () => {
  let relay: RunningRelay;
  const nodes: PeerNode[] = [];
  const runs: { stop(): void }[] = [];

  async function member(): Promise<Libp2pMessaging> {
    const node = await createPeerNode(memberOptions(relay));
    nodes.push(node);
    const messaging = new Libp2pMessaging(node);
    await messaging.start();
    return messaging;
  }

  beforeAll(async () => {
    relay = await startLocalRelay();
  });

  afterAll(async () => {
    runs.forEach((r) => r.stop());
    await Promise.all(nodes.map((n) => n.stop()));
    await relay?.stop();
  });

  it('forms a 3-member vault with one invite; a late member gets it from the mailbox', async () => {
    const [alice, bob, carol] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const { code } = createInvite(alice, {
      network: regtest,
      memberCount: 3,
      threshold: 2,
      label: 'Council',
      rendezvous: { creatorName: 'Alice' },
    });
    const creator = new CreatorFormation({
      transport: await member(),
      invite: readInvite(code),
      secretKey: alice,
      creatorName: 'Alice',
      repeatMs: 500,
    });
    runs.push(creator);
    await creator.start();

    const bobRun = new JoinerFormation({
      transport: await member(),
      invite: readInvite(code),
      secretKey: bob,
      name: 'Bob',
      repeatMs: 500,
    });
    runs.push(bobRun);
    await bobRun.start();
    // Bob sees himself in the creator's roster: the answer made it through the relay.
    await until(() => bobRun.view().members.some((m) => m.name === 'Bob'), 30_000);
    expect(creator.view().members.map((m) => m.name)).toEqual(['Alice', 'Bob']);

    // Carol answers and goes away at once (her node stops before the delivery can reach her).
    const carolNet = await member();
    const carolFirst = new JoinerFormation({
      transport: carolNet,
      invite: readInvite(code),
      secretKey: carol,
      name: 'Carol',
      repeatMs: 500,
    });
    await carolFirst.start();
    await until(() => creator.view().phase === 'delivered', 30_000);
    carolFirst.stop();
    await until(() => bobRun.view().phase === 'delivered', 30_000);

    // Later, Carol's wallet comes back on a new node: the relay's DHT holds the delivery.
    const keys = deriveFormationKeys(readInvite(code).rendezvous!.secret);
    const later = await member();
    await until(
      async () => (await later.getRecord(keys.recordId).catch(() => undefined)) ?? false,
      30_000,
    );
    const carolLater = new JoinerFormation({
      transport: later,
      invite: readInvite(code),
      secretKey: carol,
      name: 'Carol',
      repeatMs: 60_000, // no re-sends: the mailbox read at start must be enough
    });
    runs.push(carolLater);
    await carolLater.start();
    expect(carolLater.view().phase).toBe('delivered');

    const formed = [creator, bobRun, carolLater].map((r) => r.view().formed!);
    expect(new Set(formed.map((f) => f.vault.address)).size).toBe(1);
    expect(new Set(formed.map((f) => fingerprintWords(f.vault).join(' '))).size).toBe(1);
    const vault = formed[0]!.vault;
    expect(vault.threshold).toBe(2);
    expect(vault.members.map(bytesToHex).sort()).toEqual(
      [alice, bob, carol].map((s) => bytesToHex(getPublicKey(s))).sort(),
    );
    const names = new Map(vault.members.map((k, i) => [bytesToHex(k), formed[2]!.names[i]]));
    expect(names.get(bytesToHex(getPublicKey(bob)))).toBe('Bob');
    expect(names.get(bytesToHex(getPublicKey(carol)))).toBe('Carol');
    expect(names.get(bytesToHex(getPublicKey(alice)))).toBe('Alice');
  }, 120_000);
});
