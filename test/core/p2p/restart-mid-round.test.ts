import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/core/p2p/envelope.ts';
import { type Group, type Member, createGroup } from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/**
 * The simulator's `restart-mid-round` (docs/SIMULATOR.md, PROTOCOL.md §6.10): a member's process
 * takes round messages (its transport acknowledged them, so nobody retries) but restarts before
 * storing them. Here member 1 holds the others' nonces aside, waiting for member 2's approval,
 * when it restarts. Its re-approval tells the others it may have lost what they sent: each sends
 * it its approval and round messages again, and the session completes. Without that the others
 * wait for member 1's nonces, and member 1 for their approval and nonces, until expiry.
 */
describe('a member restarted while the others’ nonces were set aside, unstored', () => {
  it('gets them again when it re-approves, and the session completes', async () => {
    let cutOff = true;
    group = await createGroup(3, {
      // Member 2's approval reaches member 0 only (not member 1, not the topic) until the restart.
      tamper: (member, env, to) =>
        cutOff && member === 2 && env.type === MessageType.approval && to !== 'peer-0'
          ? null
          : undefined,
    });
    const g = group;
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    const view = await m0.service.propose(g.vault.id, g.spend([8_000_000n]));
    const id = view.id;
    await until(() => m1.service.session(id));
    await m1.service.approve(id);
    await until(() => m2.service.session(id)?.approvals.includes(1));
    await m2.service.approve(id);
    // Members 0 and 2 started the attempt; member 1, without member 2's approval, set their
    // nonces aside (in memory only) and has not sent its own.
    await until(() => m1.service.stats().deferred >= 2);
    expect(m1.service.session(id)?.noncesFrom ?? []).toEqual([]);
    cutOff = false;
    const fresh = await g.restart(1);
    expect(fresh.peerId).not.toBe(m1.peerId);
    const results = await Promise.race([
      Promise.all(g.members.map((m) => m.service.settled(id))),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the session stalled after the restart')), 10_000),
      ),
    ]);
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
  });
});
