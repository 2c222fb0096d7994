import { afterEach, describe, expect, it } from 'vitest';
import type { SessionView } from '../../../src/core/p2p/session.ts';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { sealFrame } from '../../../src/core/p2p/frames.ts';
import { MemorySessionStore } from '../../../src/core/p2p/session-store.ts';
import { SigningService } from '../../../src/core/p2p/signing-service.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';
import { MessageType } from '../../../src/core/p2p/envelope.ts';
import { handSealedProposal } from '../../support/hand-proposal.ts';
import {
  type ApprovalPayload,
  decodePayload,
  encodeApproval,
} from '../../../src/core/p2p/messages.ts';
import { regtest } from '../../../src/core/chain/network.ts';
import { ReplaySwitch } from '../../../src/core/chain/replay-side.ts';
import { OTHER_SIDE_ATTEMPT } from '../../../src/core/p2p/replay-attempts.ts';
import {
  type Group,
  type Member,
  type Tamper,
  TestLedger,
  createGroup,
  equivocate,
  flipOneBit,
  rewritePartials,
} from '../../support/signing-group.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/** Every member approves the session as soon as it hears of it (the popup's "Approve"). */
function autoApprove(g: Group, except: number[] = []): void {
  for (const m of g.members) {
    if (except.includes(m.index)) continue;
    m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
  }
}

async function proposeAndSettle(g: Group, values: bigint[] = [50_000_000n]) {
  const spend = g.spend(values);
  const view = await g.members[0]!.service.propose(g.vault.id, spend, { memo: 'rent' });
  const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
  return { view, results };
}

function expectCompleted(g: Group, results: SessionView[]) {
  const txid = results[0]?.txid;
  expect(txid).toMatch(/^[0-9a-f]{64}$/);
  for (const r of results) {
    expect(r.phase).toBe('completed');
    expect(r.txid).toBe(txid);
    // A member may learn of the broadcast before the last partial signature reaches it.
    const finalizedAt = r.finalizedAt ?? r.endedAt;
    expect(finalizedAt).toBeGreaterThanOrEqual(r.createdAt);
    expect(r.endedAt).toBeGreaterThanOrEqual(finalizedAt!);
    expect(r.endedAt).toBeLessThanOrEqual(Date.now());
  }
  expect(results.some((r) => r.finalizedAt !== undefined)).toBe(true);
  // Exactly one broadcast reached the chain, and the chain's verifier accepted it.
  expect(g.chain.broadcasts.map((b) => b.txid)).toEqual([txid]);
}

describe('signing sessions over the in-memory network', () => {
  it.each([2, 3, 10])('a %i-member vault completes a spend every member approved', async (n) => {
    group = await createGroup(n);
    autoApprove(group);
    const { results } = await proposeAndSettle(group);
    expectCompleted(group, results);
  });
});

/**
 * Failover turns far off, for tests that count the node's refusals: a member whose turn comes
 * before the coordinator's abort (other side) arrives rightly broadcasts the refused transaction
 * once more, which a loaded machine makes likely at the usual 150 ms.
 */
const PATIENT = { timeouts: { failoverMs: 2_000 } };

describe("Lotus's replay protection", () => {
  it('signs replay-protected hash types once the chain tip has activated them', async () => {
    group = await createGroup(2);
    // The chain's verifier now accepts only replay-protected signatures, as lotusd does.
    group.chain.medianTime = regtest.replayProtectionActivationTime;
    autoApprove(group);
    const { results } = await proposeAndSettle(group);
    expectCompleted(group, results);
    expect(group.ledger.refusals).toEqual([]);
    expect(results[0]?.attempt).toBe(1);
  });

  it('keeps the old hash types before the activation time', async () => {
    group = await createGroup(2);
    group.chain.medianTime = regtest.replayProtectionActivationTime - 1;
    autoApprove(group);
    const { results } = await proposeAndSettle(group);
    expectCompleted(group, results);
    expect(group.ledger.refusals).toEqual([]);
  });

  it('reads the chain tip only to propose: approving never waits on the indexer', async () => {
    group = await createGroup(2);
    const g = group;
    let reads = 0;
    const read = g.chain.medianTimePast.bind(g.chain);
    g.chain.medianTimePast = () => {
      reads++;
      return read();
    };
    const [alice, bob] = g.members as [Member, Member];
    const heard = new Promise<SessionView>((done) => bob.service.on('proposal', done));
    const view = await alice.service.propose(g.vault.id, g.spend([50_000_000n]));
    await heard;
    expect(reads).toBe(1);
    await bob.service.approve(view.id);
    const done = await bob.service.settled(view.id);
    expect(done.phase).toBe('completed');
  });

  it('approves a proposal hashed for the other side and completes on the side the node takes', async () => {
    group = await createGroup(3, PATIENT);
    const g = group;
    g.chain.medianTime = regtest.replayProtectionActivationTime + 3600;
    autoApprove(g);
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([50_000_000n]), {
      replayProtection: false,
    });
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expectCompleted(g, results);
    // The node refused the first side once; the next attempt signed for the other.
    expect(g.ledger.refusals).toEqual([
      expect.stringMatching(/^mandatory-script-verify-flag-failed/),
    ]);
    for (const r of results) expect(r.attempt).toBeGreaterThanOrEqual(OTHER_SIDE_ATTEMPT);
  });

  it('moves to the other side when the chain activates between approval and broadcast', async () => {
    group = await createGroup(3, PATIENT);
    const g = group;
    autoApprove(g);
    g.members[0]!.service.on('update', (view) => {
      if (view.approvals.length === g.members.length)
        g.chain.medianTime = regtest.replayProtectionActivationTime;
    });
    const { results } = await proposeAndSettle(g);
    expectCompleted(g, results);
    expect(g.ledger.refusals).toHaveLength(1);
  });

  it('follows a switch time its table does not know, and remembers the side the node took', async () => {
    const nodeTime = regtest.replayProtectionActivationTime - 30 * 86_400; // moved a month earlier
    const ledger = new TestLedger();
    ledger.replayProtectionTime = nodeTime;
    const switches = [new ReplaySwitch(), new ReplaySwitch(), new ReplaySwitch()];
    group = await createGroup(3, { ...PATIENT, ledger, replaySwitch: (i) => switches[i]! });
    const g = group;
    g.chain.medianTime = nodeTime + 600;
    autoApprove(g);
    const first = await proposeAndSettle(g);
    expectCompleted(g, first.results);
    expect(ledger.refusals).toHaveLength(1);
    // Whoever broadcast learned the side; the next proposal from it starts there.
    const learner = switches.findIndex((s) => s.memory('regtest').onAt !== undefined);
    expect(learner).toBeGreaterThanOrEqual(0);
    const spend = g.spend([40_000_000n]);
    const view = await g.members[learner]!.service.propose(g.vault.id, spend);
    const second = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    for (const r of second) expect(r.phase).toBe('completed');
    expect(second[0]?.attempt).toBe(1);
    expect(ledger.refusals).toHaveLength(1);
  });
});

describe('broadcast', () => {
  it('ends the session for every member when the node refuses both sides', async () => {
    group = await createGroup(3);
    const g = group;
    g.ledger.refuseWith =
      'mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)';
    autoApprove(g);
    const { results } = await proposeAndSettle(g);
    for (const r of results) {
      expect(r.phase).toBe('failed');
      expect(r.end?.reason).toBe('rejected');
      expect(r.end?.detail).toMatch(/rejected the transaction/);
    }
    expect(g.chain.broadcasts).toEqual([]);
    expect(g.ledger.refusals.length).toBeGreaterThanOrEqual(2);
  });

  it('does not retry a rejection that is not about scripts', async () => {
    group = await createGroup(3);
    const g = group;
    g.ledger.refuseWith = 'bad-txns-inputs-missingorspent';
    autoApprove(g);
    const { results } = await proposeAndSettle(g);
    for (const r of results) {
      expect(r.phase).toBe('failed');
      expect(r.end?.reason).toBe('rejected');
      expect(r.attempt).toBe(1);
    }
    expect(g.chain.broadcasts).toEqual([]);
  });
});

describe('what a member checks before it signs', () => {
  it('signs every vault input of a multi-input spend in one session', async () => {
    group = await createGroup(3);
    autoApprove(group);
    const { results } = await proposeAndSettle(group, [10_000_000n, 20_000_000n, 30_000_000n]);
    expectCompleted(group, results);
    expect(results[0]?.summary.inputCount).toBe(3);
  });

  it('shows amounts, destination and fee before approval, recomputed locally', async () => {
    group = await createGroup(2);
    const seen = new Promise<SessionView>((done) =>
      group!.members[1]!.service.on('proposal', done),
    );
    const spend = group.spend([40_000_000n], 15_000_000n);
    await group.members[0]!.service.propose(group.vault.id, spend, { memo: 'supplies' });
    const view = await seen;
    expect(view.memo).toBe('supplies');
    expect(view.summary.payments.map((p) => p.sats)).toEqual([15_000_000n]);
    expect(view.summary.feeSats).toBe(1_200n);
    expect(view.summary.change).toBe(40_000_000n - 15_000_000n - 1_200n);
    expect(view.approvedByMe).toBe(false);
    expect(view.phase).toBe('awaiting-approvals');
  });

  it('drops a proposal changed in transit (its signature no longer matches)', async () => {
    const tamper: Tamper = (member, env) => {
      if (member !== 0 || env.type !== MessageType.proposal) return undefined;
      const bytes = env.signedBytes.slice();
      bytes[bytes.length - 40]! ^= 1; // inside the spend: an output changed
      const out = new Uint8Array(bytes.length + 64);
      out.set(bytes);
      out.set(env.signature, bytes.length);
      return out;
    };
    group = await createGroup(2, { tamper });
    const proposals: SessionView[] = [];
    group.members[1]!.service.on('proposal', (v) => proposals.push(v));
    await group.members[0]!.service.propose(group.vault.id, group.spend([10_000_000n]));
    await new Promise((r) => setTimeout(r, 50));
    expect(proposals).toEqual([]);
    // The gossip copy died in the topic validator (never forwarded); the author paid for it.
    expect(group.members[1]!.transport.validatorDrops).toBeGreaterThan(0);
    expect(group.members[1]!.service.reputation.score('peer-0')).toBeLessThan(0);
  });

  it('never counts an approval made for a different transaction', async () => {
    // Member 1 is shown one spend but its (malicious) approval commits to other sighashes.
    const tamper: Tamper = (member, env, _to, reseal) => {
      if (member !== 1 || env.type !== MessageType.approval) return undefined;
      // Commit to other sighashes (the rest of the approval, its nonces too, unchanged).
      const { body } = decodePayload(env.type, env.payload) as { body: ApprovalPayload };
      const payload = encodeApproval({ ...body, sighashDigest: randomBytes(32) });
      return reseal({ ...env, payload });
    };
    group = await createGroup(2, { tamper });
    autoApprove(group);
    const view = await group.members[0]!.service.propose(group.vault.id, group.spend([9_000_000n]));
    await new Promise((r) => setTimeout(r, 100));
    expect(group.members[0]!.service.session(view.id)?.approvals).toEqual([0]);
    expect(group.chain.broadcasts).toEqual([]);
  });

  it('lets no outsider inject a proposal, even one who knows the vault', async () => {
    group = await createGroup(2);
    const outsiderKey = randomBytes(32);
    const proposals: SessionView[] = [];
    group.members[1]!.service.on('proposal', (v) => proposals.push(v));
    const refused: string[] = [];
    group.members[1]!.service.on('refused', (r) => refused.push(r.reason));
    // The outsider's own service refuses to act for a vault it is not in.
    const outsider = group.network.join('outsider');
    const service = new SigningService({
      transport: outsider,
      store: new MemorySessionStore(),
      chain: group.chain,
    });
    service.start();
    await expect(service.addVault(group.vault, outsiderKey)).rejects.toThrow(/not a member/);
    await service.stop();
    // And a forged envelope claiming member 0, signed with the outsider's key, is dropped.
    const vaultId = hexToBytes(group.vault.id);
    const forged = handSealedProposal(group, 'trust me', outsiderKey);
    const keys = deriveVaultKeys(vaultId);
    await outsider.publish(keys.topic, sealFrame(keys, forged));
    await outsider.send('peer-1', sealFrame(keys, forged));
    await new Promise((r) => setTimeout(r, 50));
    expect(proposals).toEqual([]);
    expect(group.members[1]!.service.reputation.score('outsider')).toBeLessThan(0);
  });
});

describe('blame and equivocation', () => {
  it('verifies every partial signature before aggregating and names the member who sent a bad one', async () => {
    const culpritPeer = 'peer-2';
    const tamper = rewritePartials(2, flipOneBit);
    group = await createGroup(3, { tamper });
    autoApprove(group);
    const blames: { culprit: number; reason: string; peerId?: string }[] = [];
    group.members[0]!.service.on('blame', (b) => blames.push(b));
    const { results } = await proposeAndSettle(group);
    for (const r of results.filter((r) => r.me !== 2)) {
      expect(r.phase).toBe('failed');
      expect(r.end?.culprit).toBe(2);
      expect(r.end?.reason).toBe('invalidPartialSig');
    }
    expect(blames[0]).toMatchObject({
      culprit: 2,
      reason: 'invalidPartialSig',
      peerId: culpritPeer,
    });
    expect(group.members[0]!.service.reputation.score(culpritPeer)).toBeLessThan(-50);
    // No honest member broadcasts. (The culprit corrupts only what it sends: its own copy of
    // the partials is sound, so it may still aggregate the spend everyone approved.)
    expect(group.chain.broadcasts.filter((b) => b.by !== 'member-2')).toEqual([]);
  });

  it('proves a partial-signature message with the wrong number of signatures, too', async () => {
    // One signature more than the spend has inputs.
    const tamper = rewritePartials(1, (sigs) => [...sigs, sigs[0] as Uint8Array]);
    group = await createGroup(3, { tamper });
    autoApprove(group);
    const { results } = await proposeAndSettle(group);
    for (const r of results.filter((r) => r.me !== 1)) {
      expect(r.phase).toBe('failed');
      expect(r.end).toMatchObject({ reason: 'invalidPartialSig', culprit: 1 });
    }
    // No honest member was charged with a false blame.
    for (const m of group.members.filter((m) => m.index !== 1))
      for (const other of group.members.filter((o) => o.index !== 1 && o !== m))
        expect(m.service.reputation.score(`peer-${other.index}`)).toBeGreaterThanOrEqual(0);
  });

  it('detects a member who sends different nonces to different members', async () => {
    // Its nonces ride with its approval: the lie is inside the approval member 2 gets.
    const tamper = equivocate(1, 2);
    group = await createGroup(3, { tamper });
    autoApprove(group);
    const { results } = await proposeAndSettle(group);
    for (const r of results.filter((r) => r.me !== 1)) {
      expect(r.phase).toBe('failed');
      expect(r.end).toMatchObject({ culprit: 1, reason: 'equivocation' });
    }
    expect(group.chain.broadcasts).toEqual([]);
  });
});
