import { afterEach, describe, expect, it } from 'vitest';
import type { SessionView } from '../../../src/core/p2p/session.ts';
import { leafFor } from '../../../src/core/wallet/vault.ts';
import { MessageType, type SignedEnvelope } from '../../../src/core/p2p/envelope.ts';
import { type ApprovalPayload, decodePayload } from '../../../src/core/p2p/messages.ts';
import {
  type Group,
  type Member,
  type Tamper,
  createGroup,
  firstInputPushes,
  flipOneBit,
  rewritePartials,
} from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';
import { regtest } from '../../../src/core/chain/network.ts';
import { OTHER_SIDE_ATTEMPT } from '../../../src/core/p2p/replay-attempts.ts';
import { ManualClock, type TimerId } from '../../../src/core/p2p/clock.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/** Members in `approving` approve as soon as they hear of a session; the others stay silent. */
function approveBy(g: Group, approving: number[]): void {
  for (const m of g.members) {
    if (!approving.includes(m.index)) continue;
    m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
  }
}

/**
 * A manual clock whose timers fire a millisecond before the time they were set for, as Node's do
 * now and then when read against Date.now() (timers run on the monotonic clock, both in whole ms).
 */
class EarlyTimers extends ManualClock {
  override setTimeout(fn: () => void, ms: number): TimerId {
    return super.setTimeout(fn, ms > 1 ? ms - 1 : ms);
  }
}

async function propose(g: Group, proposer = 0, leafAfterMs = 200): Promise<SessionView> {
  return g.members[proposer]!.service.propose(g.vault.id, g.spend([50_000_000n]), {
    memo: 'threshold',
    leafAfterMs,
  });
}

describe('threshold vaults: signed by whoever is online', () => {
  it('2-of-3 with one member offline completes through the two approvers’ leaf', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    approveBy(g, [1]);
    g.network.disconnect(g.members[2]!.peerId);
    const view = await propose(g);
    const results = await Promise.all([0, 1].map((i) => g.members[i]!.service.settled(view.id)));
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toEqual([0, 1]);
    }
    // The node-style ledger accepted a script-path spend: signature, leaf script, control block.
    const txid = results[0]!.txid as string;
    expect(g.chain.broadcasts.map((b) => b.txid)).toEqual([txid]);
    const [sig, script, control] = firstInputPushes(g, txid);
    const leaf = leafFor(g.vault, [0, 1])!;
    expect(sig).toHaveLength(65);
    expect(script).toEqual(leaf.script);
    expect(control).toEqual(leaf.controlBlock);
  });

  it('3-of-5 with two members offline completes through the three approvers’ leaf', async () => {
    group = await createGroup(5, { threshold: 3 });
    const g = group;
    approveBy(g, [2, 4]);
    g.network.disconnect(g.members[1]!.peerId);
    g.network.disconnect(g.members[3]!.peerId);
    const view = await propose(g);
    const results = await Promise.all([0, 2, 4].map((i) => g.members[i]!.service.settled(view.id)));
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toEqual([0, 2, 4]);
    }
    const [, script] = firstInputPushes(g, results[0]!.txid as string);
    expect(script).toEqual(leafFor(g.vault, [0, 2, 4])!.script);
  });

  // Issue #15: the deadline timer fired 1 ms before the wall clock reached leafAfter, the proposer
  // skipped the choice, and with every approval already in nothing ever woke it again.
  it('the proposer names the leaf even when its deadline timer fires a millisecond early', async () => {
    const clock = new EarlyTimers(Date.now());
    group = await createGroup(5, { threshold: 3, manualClock: clock });
    const g = group;
    approveBy(g, [2, 4]);
    g.network.disconnect(g.members[1]!.peerId);
    g.network.disconnect(g.members[3]!.peerId);
    const view = await propose(g, 0, 1_000);
    const proposer = g.members[0]!.service;
    await until(() => proposer.session(view.id)?.approvals.length === 3);
    // The deadline timer fires while the clock still reads leafAfter - 1; a repeated approval (a
    // no-op) queues behind the proposer's look at the deadline, so that look is over when it returns.
    clock.advance(999);
    await proposer.approve(view.id);
    clock.advance(1_000);
    expect(await until(() => proposer.session(view.id)?.pathSigners, 2_000)).toEqual([0, 2, 4]);
    const results = await Promise.all([0, 2, 4].map((i) => g.members[i]!.service.settled(view.id)));
    for (const r of results) expect(r.phase).toBe('completed');
  });

  it('uses the key path when every member approves before the deadline', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    approveBy(g, [1, 2]);
    const view = await propose(g, 0, 60_000);
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toBeUndefined();
    }
    const pushes = firstInputPushes(g, results[0]!.txid as string);
    expect(pushes).toHaveLength(1); // one key-path signature: looks single-sig on chain
  });

  it('a member who approves after the leaf was chosen does not break the round', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    approveBy(g, [1]);
    const late = g.members[2]!;
    late.service.on('update', (v) => {
      // It approves only once the proposer named the path without it.
      if (v.pathSigners && !v.approvedByMe) void late.service.approve(v.id).catch(() => undefined);
    });
    const view = await propose(g);
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    for (const r of results) expect(r.phase).toBe('completed');
    expect(results[2]!.approvedByMe).toBe(true);
    expect(g.chain.broadcasts).toHaveLength(1);
    expect(firstInputPushes(g, results[0]!.txid as string)).toHaveLength(3);
  });

  it('the proposer need not be among the signers: the lowest-indexed approvers sign', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    approveBy(g, [0]);
    g.network.disconnect(g.members[1]!.peerId);
    const view = await propose(g, 2);
    const results = await Promise.all([0, 2].map((i) => g.members[i]!.service.settled(view.id)));
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toEqual([0, 2]);
    }
  });

  it('blames a signer inside the subset who sends a bad partial signature', async () => {
    group = await createGroup(4, { threshold: 2, tamper: rewritePartials(1, flipOneBit) });
    const g = group;
    approveBy(g, [1]);
    g.network.disconnect(g.members[2]!.peerId);
    g.network.disconnect(g.members[3]!.peerId);
    const blames: { culprit: number; reason: string }[] = [];
    g.members[0]!.service.on('blame', (b) => blames.push(b));
    const view = await propose(g);
    const result = await g.members[0]!.service.settled(view.id);
    expect(result.phase).toBe('failed');
    expect(result.end?.culprit).toBe(1);
    expect(result.end?.reason).toBe('invalidPartialSig');
    expect(blames[0]).toMatchObject({ culprit: 1, reason: 'invalidPartialSig' });
    expect(g.chain.broadcasts.filter((b) => b.by !== 'member-1')).toEqual([]);
  });

  it('a signer restarted between the leaf rounds never reuses a nonce; the subset finishes', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    approveBy(g, [1]);
    g.network.disconnect(g.members[2]!.peerId);
    let restarted: Promise<Member> | undefined;
    g.members[1]!.service.on('update', (v) => {
      if (restarted || v.phase !== 'nonces' || !v.pathSigners) return;
      restarted = g.restart(1);
    });
    const view = await propose(g);
    await until(() => restarted);
    const fresh = await (restarted as Promise<Member>);
    const results = await Promise.all([0, 1].map((i) => g.members[i]!.service.settled(view.id)));
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toEqual([0, 1]);
    }
    // The restarted signer's path attempt was issued, never consumed; it signed once, later.
    const markers = await fresh.store.nonceMarkers(view.id);
    const consumed = markers.filter((m) => m.stage === 'consumed');
    expect(consumed).toHaveLength(1);
    expect(markers.some((m) => m.stage === 'issued' && m.attempt < consumed[0]!.attempt)).toBe(
      true,
    );
  });

  it('a leaf session moves to the other replay-protection side when the node refuses the first', async () => {
    group = await createGroup(3, {
      threshold: 2,
      // It counts the node's refusals: no failover turn before the coordinator's abort arrives.
      timeouts: { failoverMs: 2_000 },
    });
    const g = group;
    g.chain.medianTime = regtest.replayProtectionActivationTime + 600;
    approveBy(g, [1]);
    g.network.disconnect(g.members[2]!.peerId);
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([50_000_000n]), {
      leafAfterMs: 200,
      replayProtection: false,
    });
    const results = await Promise.all([0, 1].map((i) => g.members[i]!.service.settled(view.id)));
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toEqual([0, 1]);
      expect(r.attempt).toBeGreaterThanOrEqual(OTHER_SIDE_ATTEMPT);
    }
    expect(g.ledger.refusals).toHaveLength(1);
  });

  // Simulator seed 1082650148: every member approved, the proposer signed the key path, then a
  // member who had not signed yet revoked. The proposer's signed round stays (its partial may still
  // count) but can never finish, and it kept the proposer from ever naming the leaf.
  for (const deadline of ['after the revoke', 'before the revoke'] as const)
    it(`names the leaf when a revoke leaves its signed key-path round unable to finish (deadline ${deadline})`, async () => {
      let m2Peer = '';
      // Member 2 never hears member 1's nonces (in a nonces message or an approval): it cannot
      // sign the key path, so it may still revoke.
      const withheld: Tamper = (member, env, to) => {
        if (member !== 1 || (to !== m2Peer && to !== 'topic')) return undefined;
        if (env.type === MessageType.nonces) return null;
        if (env.type !== MessageType.approval) return undefined;
        const body = decodePayload(env.type, env.payload).body as ApprovalPayload;
        return body.nonces ? null : undefined;
      };
      group = await createGroup(3, { threshold: 2, manualClock: true, tamper: withheld });
      const g = group;
      const [m0, m1, m2] = g.members as [Member, Member, Member];
      m2Peer = m2.peerId;
      const view = await propose(g, 0, 1_000);
      await until(() => m2.service.session(view.id) && m1.service.session(view.id));
      await m2.service.approve(view.id);
      await until(() => m0.service.session(view.id)?.approvals.includes(2));
      await until(() => m1.service.session(view.id)?.approvals.includes(2));
      await m1.service.approve(view.id);
      await until(() => m0.service.session(view.id)?.partialsFrom?.includes(0));
      expect(m2.service.session(view.id)?.partialsFrom ?? []).not.toContain(2);
      if (deadline === 'before the revoke') {
        // Every approval stands: the proposer's deadline passes without a leaf.
        g.clock!.advance(1_000);
        await new Promise((r) => setTimeout(r, 50));
        expect(m0.service.session(view.id)?.pathSigners).toBeUndefined();
      }
      await m2.service.revoke(view.id);
      await until(() => !m0.service.session(view.id)?.approvals.includes(2));
      if (deadline === 'after the revoke') g.clock!.advance(1_000);
      expect(await until(() => m0.service.session(view.id)?.pathSigners, 2_000)).toEqual([0, 1]);
      const results = await Promise.all([0, 1].map((i) => g.members[i]!.service.settled(view.id)));
      for (const r of results) expect(r.phase).toBe('completed');
      const [, script] = firstInputPushes(g, results[0]!.txid as string);
      expect(script).toEqual(leafFor(g.vault, [0, 1])!.script);
    });

  /**
   * Member 1 approves and goes offline; the proposer's deadline passes, so it names the leaf
   * [0, 1] and waits for member 1's nonces.
   */
  async function leafWhileMember1Away(g: Group): Promise<SessionView> {
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    const view = await propose(g, 0, 1_000);
    await until(() => m1.service.session(view.id) && m2.service.session(view.id));
    await m1.service.approve(view.id);
    await until(() => m0.service.session(view.id)?.approvals.includes(1));
    g.network.disconnect(m1.peerId);
    g.clock!.advance(1_000);
    await until(() => m0.service.session(view.id)?.phase === 'nonces');
    expect(m0.service.session(view.id)!.pathSigners).toEqual([0, 1]);
    return view;
  }

  /** Waits for `members` to settle, driving the outbox's retries on the protocol's clock. */
  async function settledWithRetries(g: Group, members: number[], id: string) {
    let settled = false;
    const results = Promise.all(members.map((i) => g.members[i]!.service.settled(id)));
    void results.then(() => (settled = true));
    await until(() => {
      g.clock!.advance(500);
      return settled;
    });
    return results;
  }

  // Simulator seed 174805850: a member outside the path approved late and revoked, and every
  // signer dropped its unsigned leaf round as if a signer had revoked: the session expired.
  it('a revoke by a member outside the leaf leaves the leaf round running', async () => {
    group = await createGroup(3, { threshold: 2, manualClock: true });
    const g = group;
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    const view = await leafWhileMember1Away(g);
    const leaf = m0.service.session(view.id)!;
    await m2.service.approve(view.id);
    await until(() => m0.service.session(view.id)?.approvals.includes(2));
    await m2.service.revoke(view.id);
    await until(() => !m0.service.session(view.id)?.approvals.includes(2));
    expect(m0.service.session(view.id)).toMatchObject({ attempt: leaf.attempt, phase: 'nonces' });
    g.network.reconnect(m1.peerId);
    for (const r of await settledWithRetries(g, [0, 1], view.id))
      expect(r).toMatchObject({ phase: 'completed', attempt: leaf.attempt });
  });

  /**
   * Member 2's approval reaches member 1 but never the proposer, so the proposer names the leaf
   * [0, 1] for attempt 2 while member 1, holding all three approvals, knows nothing of it. The
   * proposer's leaf nonces of attempt 2 move member 1 to the key path's attempt 2, where it
   * signs with member 2's nonces (simulator seeds 3322492311, 84000067). The proposer's path
   * frames to member 1 (and gossip) are lost, all of them or (`laterPathsArrive`) only those
   * sent before member 1's partial signatures of attempt 2 left.
   */
  async function pathMissedByMember1(laterPathsArrive: boolean) {
    const seen = { member1SignedAttempt2: false };
    const tamper: Tamper = (member, env, to) => {
      if (member === 2 && env.type === MessageType.approval && to !== 'peer-1') return null;
      if (member === 1 && env.type === MessageType.partialSigs && attemptOf(env) === 2)
        seen.member1SignedAttempt2 = true;
      const lost = !laterPathsArrive || !seen.member1SignedAttempt2;
      if (member === 0 && env.type === MessageType.path && to !== 'peer-2' && lost) return null;
      return undefined;
    };
    group = await createGroup(3, { threshold: 2, manualClock: true, tamper });
    const g = group;
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    const view = await propose(g, 0, 1_000);
    await until(() => m1.service.session(view.id) && m2.service.session(view.id));
    await m1.service.approve(view.id);
    await until(() => m2.service.session(view.id)?.approvals.includes(1));
    await m2.service.approve(view.id);
    await until(() => m1.service.session(view.id)?.approvals.includes(2));
    g.clock!.advance(1_000);
    return { g, view, m0, m1, seen };
  }

  function attemptOf(env: SignedEnvelope): number {
    return (decodePayload(env.type, env.payload).body as { attempt: number }).attempt;
  }

  function m1SignedKeyPath(g: Group, id: string): boolean {
    const s = g.members[1]!.service.session(id);
    return s?.attempt === 2 && s.phase === 'signing' && s.pathSigners === undefined;
  }

  it('a signer that missed the path gets it from the member whose leaf round it disagreed with', async () => {
    // Only a copy the proposer sends after member 1 signed can reach it: the forwarded one.
    const { g, view, m0, m1, seen } = await pathMissedByMember1(true);
    const results = await Promise.all([m0, m1].map((m) => m.service.settled(view.id)));
    expect(seen.member1SignedAttempt2).toBe(true);
    for (const r of results)
      expect(r).toMatchObject({ phase: 'completed', attempt: 3, pathSigners: [0, 1] });
    expect(firstInputPushes(g, results[0]!.txid as string)).toHaveLength(3);
  });

  it('a nonce-set mismatch a path may explain waits past mismatchMs instead of failing', async () => {
    const { g, view, m0, m1 } = await pathMissedByMember1(false);
    // Each side signed attempt 2 over its own nonce set: the proposer the leaf, member 1 the key path.
    await until(() => m0.service.session(view.id)?.pathSigners && m1SignedKeyPath(g, view.id));
    g.clock!.advance(5_000); // mismatchMs is 2 s here
    // A sweep queues behind the timers' steps: once it is done they ran.
    await Promise.all([m0, m1].map((m) => m.service.sweep()));
    for (const m of [m0, m1])
      expect(m.service.session(view.id)).toMatchObject({ phase: 'signing', attempt: 2 });
    // Member 1 reads the proposer's mailbox record, which carries the path.
    await m1.service.sync(g.vault.id);
    const results = await Promise.all([m0, m1].map((m) => m.service.settled(view.id)));
    for (const r of results)
      expect(r).toMatchObject({ phase: 'completed', attempt: 3, pathSigners: [0, 1] });
  });

  it('names a new path when a member of the current one revoked and another approves', async () => {
    group = await createGroup(3, { threshold: 2, manualClock: true });
    const g = group;
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    const view = await leafWhileMember1Away(g);
    // Back, member 1 revokes before it signed: the leaf [0, 1] can never finish.
    g.network.reconnect(m1.peerId);
    await m1.service.revoke(view.id);
    await until(() => !m0.service.session(view.id)?.approvals.includes(1));
    await m2.service.approve(view.id);
    for (const r of await settledWithRetries(g, [0, 2], view.id))
      expect(r).toMatchObject({ phase: 'completed', pathSigners: [0, 2] });
  });

  it("a signer keeps a newcomer's nonces that arrive before the path naming it", async () => {
    // The proposer's second path never reaches member 1 directly: it reads it from the mailbox.
    const tamper: Tamper = (member, env, to) => {
      if (member !== 0 || env.type !== MessageType.path || to === 'peer-3') return undefined;
      const body = decodePayload(env.type, env.payload).body as { signers: number[] };
      return body.signers.includes(3) && to !== 'peer-2' ? null : undefined;
    };
    group = await createGroup(4, { threshold: 3, manualClock: true, tamper });
    const g = group;
    const [m0, m1, m2, m3] = g.members as [Member, Member, Member, Member];
    const view = await propose(g, 0, 1_000);
    await until(() => g.members.every((m) => m.service.session(view.id)));
    await m1.service.approve(view.id);
    await m2.service.approve(view.id);
    await until(() => m0.service.session(view.id)?.approvals.length === 3);
    // Member 2 is away when the leaf [0, 1, 2] is named, and revokes before it signs.
    g.network.disconnect(m2.peerId);
    g.clock!.advance(1_000);
    await until(() => m1.service.session(view.id)?.pathSigners);
    g.network.reconnect(m2.peerId);
    await m2.service.revoke(view.id);
    await until(() => !m1.service.session(view.id)?.approvals.includes(2));
    // Member 3's approval makes the proposer name [0, 1, 3]; member 3's nonces reach member 1 first.
    await m3.service.approve(view.id);
    await until(() => m3.service.session(view.id)?.noncesFrom?.includes(3));
    expect(m1.service.session(view.id)!.pathSigners).toEqual([0, 1, 2]);
    await m1.service.sync(g.vault.id);
    for (const r of await settledWithRetries(g, [0, 1, 3], view.id))
      expect(r).toMatchObject({ phase: 'completed', pathSigners: [0, 1, 3] });
  });

  it('a path adopter follows a signer whose approval carries nonces for a later attempt', async () => {
    // The proposer misses member 1's revokes, so its approvals arrive with ever later nonces.
    const tamper: Tamper = (member, env) =>
      member === 1 && env.type === MessageType.revoke ? null : undefined;
    group = await createGroup(3, { threshold: 2, manualClock: true, tamper });
    const g = group;
    const [m0, m1] = g.members as [Member, Member];
    let approvalsTaken = 0; // the proposer's updates on member 1's approvals (nothing else moves)
    m0.service.on('update', (v) => void (v.approvals.includes(1) && approvalsTaken++));
    const view = await propose(g, 0, 1_000);
    await until(() => m1.service.session(view.id));
    for (const count of [1, 2, 3]) {
      if (count > 1) await m1.service.revoke(view.id);
      await m1.service.approve(view.id);
      await until(() => approvalsTaken >= count);
    }
    expect(m1.service.session(view.id)!.attempt).toBe(3);
    expect(m0.service.session(view.id)!.attempt).toBe(1);
    // The path names attempt 2; member 1 is at attempt 3, and its approval carries those nonces.
    g.clock!.advance(1_000);
    const results = await Promise.all([m0, m1].map((m) => m.service.settled(view.id)));
    for (const r of results)
      expect(r).toMatchObject({ phase: 'completed', attempt: 3, pathSigners: [0, 1] });
  });

  it('no leaf is chosen while fewer than k members have approved', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    // Nobody else approves: the proposer alone cannot form a path.
    const view = await propose(g, 0, 50);
    await new Promise((r) => setTimeout(r, 300));
    const now = g.members[0]!.service.session(view.id);
    expect(now?.pathSigners).toBeUndefined();
    expect(now?.phase).toBe('awaiting-approvals');
  });
});
