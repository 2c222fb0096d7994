import { randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { RevokeTooLateError } from '../../../src/core/p2p/errors.ts';
import type { SessionView } from '../../../src/core/p2p/session.ts';
import { type Group, type Member, createGroup } from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

function autoApprove(g: Group, except: number[] = []): void {
  for (const m of g.members) {
    if (except.includes(m.index)) continue;
    m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('coordinator election and failover', () => {
  it('the next member broadcasts when the elected coordinator crashes before broadcasting', async () => {
    let crashes = 0;
    group = await createGroup(3, { crashOnBroadcast: () => crashes++ === 0 });
    autoApprove(group);
    const g = group;
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([30_000_000n]));
    const survivors = g.members.filter((m) => !g.crashed.has(m.index) && m.index !== -1);
    await until(() => (g.chain.broadcasts.length === 1 ? true : undefined));
    const alive = survivors.filter((m) => !g.crashed.has(m.index));
    const results = await Promise.all(alive.map((m) => m.service.settled(view.id)));
    expect(results.every((r) => r.phase === 'completed')).toBe(true);
    expect(g.crashed.size).toBe(1);
    const order = results[0]?.coordinators as number[];
    expect(g.crashed.has(order[0] as number)).toBe(true);
    expect(g.chain.broadcasts).toEqual([{ txid: results[0]?.txid, by: `member-${order[1]}` }]);
    // The member that took over charged the silent coordinator a timeout.
    const takeover = g.members[order[1] as number]!;
    expect(takeover.service.reputation.score(`peer-${order[0]}`)).toBeLessThan(0);
  });

  it('works through N−1 coordinator crashes: the last member in the order broadcasts', async () => {
    const n = 5;
    let crashes = 0;
    group = await createGroup(n, {
      // Wide enough that a loaded machine cannot run a later member's turn before an earlier's.
      timeouts: { failoverMs: 400 },
      crashOnBroadcast: () => crashes++ < n - 1,
    });
    autoApprove(group);
    const g = group;
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([30_000_000n]));
    await until(() => (g.chain.broadcasts.length === 1 ? true : undefined), 10_000);
    expect(g.crashed.size).toBe(n - 1);
    const survivor = g.members.find((m) => !g.crashed.has(m.index)) as Member;
    const result = await survivor.service.settled(view.id);
    expect(result.phase).toBe('completed');
    expect(g.chain.broadcasts).toEqual([{ txid: result.txid, by: `member-${survivor.index}` }]);
    expect(result.coordinators?.[n - 1]).toBe(survivor.index);
  });
});

describe('nonce safety across restarts', () => {
  it('a member restarted between rounds never reuses a nonce; the group moves to a fresh attempt', async () => {
    group = await createGroup(3);
    const g = group;
    autoApprove(g, [2]);
    let restarted: Promise<Member> | undefined;
    // Member 1 dies right after its approval left with its nonces for attempt 1 (its secret
    // nonces die with it), before member 2 approves: the round of attempt 1 never started.
    g.members[1]!.service.on('update', (view) => {
      if (restarted || !view.approvedByMe) return;
      restarted = g.restart(1);
    });
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([25_000_000n]));
    await until(() => restarted);
    const fresh = await (restarted as Promise<Member>);
    await until(() => g.members[2]!.service.session(view.id));
    await g.members[2]!.service.approve(view.id);
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(results.every((r) => r.attempt >= 2)).toBe(true);
    // The persisted markers: attempt 1 was issued but never consumed; signing happened once,
    // in a later attempt, with nonces issued for that attempt.
    const markers = await fresh.store.nonceMarkers(view.id);
    const consumed = markers.filter((m) => m.stage === 'consumed');
    expect(markers.some((m) => m.attempt === 1 && m.stage === 'issued')).toBe(true);
    expect(consumed.some((m) => m.attempt === 1)).toBe(false);
    expect(consumed).toHaveLength(1);
    expect(
      markers.filter((m) => m.stage === 'issued' && m.attempt === consumed[0]!.attempt),
    ).toHaveLength(1);
    for (const m of g.members) {
      const all = await m.store.nonceMarkers(view.id);
      const perAttempt = new Map<number, number>();
      for (const marker of all.filter((x) => x.stage === 'consumed'))
        perAttempt.set(marker.attempt, (perAttempt.get(marker.attempt) ?? 0) + 1);
      expect([...perAttempt.values()].every((count) => count === 1)).toBe(true);
    }
  });

  it('resumes a session approved before a restart, from the persisted public transcript', async () => {
    group = await createGroup(2);
    const g = group;
    g.members[0]!.service.on('proposal', () => undefined);
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([7_000_000n]));
    await until(() => g.members[1]!.service.session(view.id));
    const fresh = await g.restart(1);
    expect(fresh.service.session(view.id)?.phase).toBe('awaiting-approvals');
    await fresh.service.approve(view.id);
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
  });
});

describe('asynchronous approval', () => {
  it('a member offline at proposal time finds the session later through mailbox records', async () => {
    group = await createGroup(3);
    const g = group;
    autoApprove(g);
    g.network.disconnect('peer-2');
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([12_000_000n]));
    await until(() =>
      g.members[1]!.service.session(view.id)?.approvals.length === 2 ? true : undefined,
    );
    expect(g.members[2]!.service.session(view.id)).toBeUndefined();
    g.network.reconnect('peer-2');
    await g.members[2]!.service.sync(g.vault.id);
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
  });

  it('a member can revoke until its partial signature left, and approve again', async () => {
    group = await createGroup(2);
    const g = group;
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([8_000_000n]));
    // Member 0 proposed (and so approved); it changes its mind before member 1 approves.
    await until(() => g.members[1]!.service.session(view.id));
    await g.members[0]!.service.revoke(view.id);
    await until(() =>
      g.members[1]!.service.session(view.id)?.approvals.length === 0 ? true : undefined,
    );
    await g.members[1]!.service.approve(view.id);
    await sleep(50);
    expect(g.members[1]!.service.session(view.id)?.phase).toBe('awaiting-approvals');
    await g.members[0]!.service.approve(view.id);
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
  });

  it('refuses a revoke once the partial signature has left', async () => {
    group = await createGroup(2);
    const g = group;
    // Member 1 never sends its partial signature (it is cut off right after signing).
    let revokeError: unknown;
    g.members[0]!.service.on('update', (view) => {
      if (view.phase !== 'signing' || revokeError) return;
      g.network.disconnect('peer-1');
      revokeError = g.members[0]!.service.revoke(view.id).catch((err: unknown) => err);
    });
    autoApprove(g);
    await g.members[0]!.service.propose(g.vault.id, g.spend([8_000_000n]));
    await until(() => revokeError);
    expect(await revokeError).toBeInstanceOf(RevokeTooLateError);
  });

  it('refuses a revoke once a partial of an attempt the group since left has gone out', async () => {
    group = await createGroup(3);
    const g = group;
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([8_000_000n]));
    await until(() => g.members.every((m) => m.service.session(view.id)));
    await g.members[1]!.service.approve(view.id);
    await until(() =>
      g.members[2]!.service.session(view.id)?.approvals.length === 2 ? true : undefined,
    );
    // Member 2 approves last and signs attempt 1 at once, while nobody can hear it yet.
    g.network.disconnect('peer-0');
    g.network.disconnect('peer-1');
    const signed = await g.members[2]!.service.approve(view.id);
    expect(signed.partialsFrom).toContain(2);
    // Member 0 restarts: its nonces of attempt 1 died with it, so the group moves to attempt 2.
    await g.restart(0);
    g.network.reconnect('peer-1');
    await until(() =>
      (g.members[2]!.service.session(view.id)?.attempt ?? 0) >= 2 ? true : undefined,
    );
    // Attempt 1 could still complete with member 2's partial if the others signed it after all.
    await expect(g.members[2]!.service.revoke(view.id)).rejects.toBeInstanceOf(RevokeTooLateError);
  });

  it('a member who declines ends the session for everyone, with the reason', async () => {
    group = await createGroup(3);
    const g = group;
    g.members[2]!.service.on(
      'proposal',
      (v) => void g.members[2]!.service.decline(v.id, 'Too much'),
    );
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([8_000_000n]));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['aborted', 'aborted', 'aborted']);
    // Every wallet names the decliner by its index, and the detail numbers nobody.
    for (const r of results)
      expect(r.end).toEqual({ reason: 'declined', detail: 'Too much', by: 2 });
  });

  it('expires a proposal nobody completed in time', async () => {
    group = await createGroup(2);
    const g = group;
    // Long enough for the proposal to reach member 1 on a loaded machine (a stale one is refused).
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([8_000_000n]), {
      ttlMs: 1_000,
    });
    await until(() => g.members[1]!.service.session(view.id));
    await sleep(1_050);
    await Promise.all(g.members.map((m) => m.service.sweep()));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['expired', 'expired']);
  });
});

describe('hostile networks and peers', () => {
  it('completes once despite every message being duplicated and delivered out of order', async () => {
    group = await createGroup(3);
    const g = group;
    autoApprove(g);
    // Replay every direct frame a second time, a little later, to every member.
    for (const m of g.members) {
      const transport = m.transport;
      const send = transport.send.bind(transport);
      transport.send = async (peer, data, signal) => {
        await send(peer, data, signal);
        setTimeout(() => void send(peer, data).catch(() => undefined), Math.random() * 20);
      };
    }
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([11_000_000n]));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(g.chain.broadcasts).toHaveLength(1);
  });

  it('rate-limits and then bans a flooding peer, and still completes the session', async () => {
    group = await createGroup(2);
    const g = group;
    autoApprove(g);
    const flooder = g.network.join('flooder');
    for (let i = 0; i < 600; i++) await flooder.send('peer-0', randomBytes(200)).catch(() => 0);
    await sleep(20);
    expect(g.members[0]!.service.reputation.isBanned('flooder')).toBe(true);
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([11_000_000n]));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
  });
});

describe('large groups', () => {
  it('a 50-member vault completes a spend', { timeout: 180_000 }, async () => {
    group = await createGroup(50);
    autoApprove(group);
    const g = group;
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([90_000_000n]));
    const results: SessionView[] = await Promise.all(
      g.members.map((m) => m.service.settled(view.id)),
    );
    expect(results.every((r) => r.phase === 'completed')).toBe(true);
    expect(g.chain.broadcasts).toHaveLength(1);
  });
});

describe('burn-based identity', () => {
  it('a vault that requires burns counts only approvals backed by a sufficient, confirmed burn', async () => {
    group = await createGroup(3, {
      identity: {
        requirement: { minSats: 1_000_000n, minConfirmations: 1 },
        burn: (i) =>
          i === 2 ? { sats: 999_999n, confirmations: 6 } : { sats: 1_000_000n, confirmations: 1 },
      },
    });
    const g = group;
    autoApprove(g);
    const refused: string[] = [];
    g.members[0]!.service.on('refused', (r) => refused.push(r.reason));
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([20_000_000n]));
    await until(() => (refused.includes('burn-too-small') ? true : undefined));
    await sleep(50);
    expect(g.members[0]!.service.session(view.id)?.approvals).toEqual([0, 1]);
    expect(g.chain.broadcasts).toEqual([]);
  });

  it('completes when every member proves its burn', async () => {
    group = await createGroup(2, {
      identity: {
        requirement: { minSats: 500_000n, minConfirmations: 2 },
        burn: () => ({ sats: 600_000n, confirmations: 3 }),
      },
    });
    autoApprove(group);
    const g = group;
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([20_000_000n]));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
  });
});
