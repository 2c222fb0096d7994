import { afterEach, describe, expect, it } from 'vitest';
import { parseScript } from '../../src/core/chain/script.ts';
import { parseTx } from '../../src/core/chain/transaction.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { leafFor, memberIndex } from '../../src/core/wallet/vault.ts';
import { type Libp2pMember as Member, startLibp2pGroup } from '../support/libp2p-group.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import { TestLedger, flipOneBit, rewritePartials } from '../support/signing-group.ts';
import { until } from '../support/until.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

// Threshold vaults over real libp2p nodes: the members who are online sign through their leaf.
describe('threshold vaults over real libp2p nodes', () => {
  it('3-of-5 with two members offline completes through the leaf of the three', async () => {
    const relay = await startLocalRelay();
    cleanups.push(() => relay.stop());
    const ledger = new TestLedger();
    const group = await startLibp2pGroup(5, relay, ledger, { threshold: 3, autoApprove: false });
    cleanups.push(() => group.stop());
    // Members 1 and 3 are gone: their nodes stop before anything is proposed.
    const online = group.members.filter((m) => m.index !== 1 && m.index !== 3);
    for (const gone of [1, 3]) {
      await group.members[gone]!.service.stop();
      await group.members[gone]!.node.stop();
    }
    for (const { service } of online.slice(1))
      service.on('proposal', (view) => void service.approve(view.id).catch(() => undefined));
    const view = await online[0]!.service.propose(
      group.vault.id,
      ledger.spend(group.vault, [80_000_000n]),
      { leafAfterMs: 1_000 },
    );
    await until(() => online.every((m) => m.service.session(view.id)), 30_000);
    const results = await Promise.all(online.map((m) => m.service.settled(view.id)));
    // Vault indices are positions among the sorted keys, not the order the nodes started in.
    const signers = online
      .map((m) => memberIndex(group.vault, getPublicKey(m.secret)))
      .sort((a, b) => a - b);
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toEqual(signers);
    }
    expect(ledger.chain.broadcasts).toHaveLength(1);
    const raw = ledger.chain.transaction(results[0]!.txid as string) as Uint8Array;
    const pushes = parseScript(parseTx(raw).inputs[0]!.scriptSig).map((c) => c.data);
    expect(pushes[1]).toEqual(leafFor(group.vault, signers)!.script);
  });

  it('2-of-3: the key path while everyone approves; a late approver does not break a leaf round', async () => {
    const relay = await startLocalRelay();
    cleanups.push(() => relay.stop());
    const ledger = new TestLedger();
    const group = await startLibp2pGroup(3, relay, ledger, { threshold: 2, autoApprove: false });
    cleanups.push(() => group.stop());
    const [alice, bob, carol] = group.members as [Member, Member, Member];
    const settledAll = async (id: string) =>
      Promise.all(group.members.map((m) => m.service.settled(id)));

    // Everyone approves before the deadline: the key path, one signature on chain.
    const approveAll = (m: Member) =>
      m.service.on('proposal', (v) => void m.service.approve(v.id).catch(() => undefined));
    approveAll(bob);
    const stopCarol = carol.service.on(
      'proposal',
      (v) => void carol.service.approve(v.id).catch(() => undefined),
    );
    const first = await alice.service.propose(
      group.vault.id,
      ledger.spend(group.vault, [6e7].map(BigInt)),
      {
        leafAfterMs: 60_000,
      },
    );
    await until(() => group.members.every((m) => m.service.session(first.id)), 30_000);
    const keyPath = await settledAll(first.id);
    for (const r of keyPath) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toBeUndefined();
    }
    const keyTx = parseTx(ledger.chain.transaction(keyPath[0]!.txid as string) as Uint8Array);
    expect(parseScript(keyTx.inputs[0]!.scriptSig)).toHaveLength(1);

    // Carol approves only once Alice named the path without her: the leaf round still finishes.
    stopCarol();
    carol.service.on('update', (v) => {
      if (v.pathSigners && !v.approvedByMe) void carol.service.approve(v.id).catch(() => undefined);
    });
    const second = await alice.service.propose(
      group.vault.id,
      ledger.spend(group.vault, [5e7].map(BigInt)),
      {
        leafAfterMs: 1_000,
      },
    );
    await until(() => group.members.every((m) => m.service.session(second.id)), 30_000);
    const leaf = await settledAll(second.id);
    for (const r of leaf) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toHaveLength(2);
    }
    expect(leaf[2]!.approvedByMe).toBe(true);
    const leafTx = parseTx(ledger.chain.transaction(leaf[0]!.txid as string) as Uint8Array);
    expect(parseScript(leafTx.inputs[0]!.scriptSig)).toHaveLength(3);
    expect(ledger.chain.broadcasts).toHaveLength(2);
  });

  it('2-of-3 with one member offline completes through the two approvers’ leaf', async () => {
    const relay = await startLocalRelay();
    cleanups.push(() => relay.stop());
    const ledger = new TestLedger();
    const group = await startLibp2pGroup(3, relay, ledger, { threshold: 2, autoApprove: false });
    cleanups.push(() => group.stop());
    const [alice, bob, carol] = group.members as [Member, Member, Member];
    await carol.service.stop();
    await carol.node.stop();
    bob.service.on('proposal', (v) => void bob.service.approve(v.id).catch(() => undefined));
    const view = await alice.service.propose(
      group.vault.id,
      ledger.spend(group.vault, [7e7].map(BigInt)),
      {
        leafAfterMs: 1_000,
      },
    );
    await until(() => bob.service.session(view.id), 30_000);
    const results = await Promise.all([alice, bob].map((m) => m.service.settled(view.id)));
    const signers = [alice, bob]
      .map((m) => memberIndex(group.vault, getPublicKey(m.secret)))
      .sort((a, b) => a - b);
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toEqual(signers);
    }
    expect(ledger.chain.broadcasts).toHaveLength(1);
  });

  it('blames the signer inside the subset who sends a bad partial signature', async () => {
    const relay = await startLocalRelay();
    cleanups.push(() => relay.stop());
    const ledger = new TestLedger();
    // The culprit is whichever member started second; the vault numbers it by its key.
    let culprit = -1;
    const group = await startLibp2pGroup(3, relay, ledger, {
      threshold: 2,
      autoApprove: false,
      // The culprit's own copy of its partials is sound: it must not finish the spend itself
      // before the others see what it sent them.
      crashOnBroadcast: (index) => index === 1,
      tamper: (member, env, to, reseal) =>
        rewritePartials(culprit, flipOneBit)(member, env, to, reseal),
    });
    cleanups.push(() => group.stop());
    const [alice, bob, carol] = group.members as [Member, Member, Member];
    culprit = memberIndex(group.vault, getPublicKey(bob.secret));
    await carol.service.stop();
    await carol.node.stop();
    bob.service.on('proposal', (v) => void bob.service.approve(v.id).catch(() => undefined));
    const view = await alice.service.propose(
      group.vault.id,
      ledger.spend(group.vault, [7e7].map(BigInt)),
      {
        leafAfterMs: 1_000,
      },
    );
    const result = await alice.service.settled(view.id);
    expect(result.phase).toBe('failed');
    expect(result.pathSigners).toHaveLength(2);
    expect(result.end?.culprit).toBe(culprit);
    expect(result.end?.reason).toBe('invalidPartialSig');
    expect(ledger.chain.broadcasts).toEqual([]);
  });
});
