import { afterEach, describe, expect, it } from 'vitest';
import type { SessionView } from '../../../src/core/p2p/session.ts';
import { type Group, createGroup } from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/** Members 0 and 1 approve at once; member 2 hears of the session and is then cut off. */
async function leafSpendWithoutMember2(g: Group, beforeCut: (view: SessionView) => Promise<void>) {
  g.members[1]!.service.on('proposal', (v) => void g.members[1]!.service.approve(v.id));
  const view = await g.members[0]!.service.propose(g.vault.id, g.spend([30_000_000n]), {
    leafAfterMs: 200,
  });
  const cutOff = g.members[2]!;
  await until(() => cutOff.service.session(view.id));
  await beforeCut(view);
  g.network.disconnect(cutOff.peerId);
  const done = await Promise.all([0, 1].map((i) => g.members[i]!.service.settled(view.id)));
  expect(done.map((r) => r.phase)).toEqual(['completed', 'completed']);
  expect(g.chain.transaction(view.summary.txid)).toBeDefined();
  return view;
}

/**
 * The simulator's `missed-completion`, `culprit-broadcast` and `threshold-decline`
 * (docs/SIMULATOR.md): a member that never hears how a session ended asks the chain.
 */
describe('the sweep re-checks the chain for a session that did not complete here', () => {
  it('an open session cut off while the others finished completes once its tx is seen', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    const cutOff = g.members[2]!;
    const view = await leafSpendWithoutMember2(g, async () => undefined);
    expect(cutOff.service.session(view.id)?.phase).not.toBe('completed');
    const completed: SessionView[] = [];
    cutOff.service.on('completed', (v) => completed.push(v));
    await cutOff.service.sweep();
    expect(completed.map((v) => [v.phase, v.txid])).toEqual([['completed', view.summary.txid]]);
    expect((await cutOff.store.get(view.id))?.status).toBe('completed');
  });

  it('a member that declined in a k-of-n vault learns the spend happened without it', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    const decliner = g.members[2]!;
    const view = await leafSpendWithoutMember2(g, async () => undefined);
    const declined = await decliner.service.decline(view.id);
    expect(declined.phase).toBe('aborted');
    // Nothing on chain changes a session that did not complete until the sweep looks.
    const completed: SessionView[] = [];
    decliner.service.on('completed', (v) => completed.push(v));
    await decliner.service.sweep();
    expect(completed).toHaveLength(1);
    expect(completed[0]!.end?.reason).toBe('completed-without-you');
    expect(decliner.service.session(view.id)).toMatchObject({
      phase: 'completed',
      txid: view.summary.txid,
    });
    expect((await decliner.store.get(view.id))?.status).toBe('completed');
    // Once is enough: a later sweep does not announce it again.
    await decliner.service.sweep();
    expect(completed).toHaveLength(1);
  });

  it('a member restarted after the session ended here still asks the chain about it', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    const view = await leafSpendWithoutMember2(g, async () => undefined);
    await g.members[2]!.service.decline(view.id);
    // The new process knows the session only from its store (simulator seed 2931300658).
    const restarted = await g.restart(2);
    expect((await restarted.store.get(view.id))?.status).toBe('aborted');
    await restarted.service.sweep();
    expect(await restarted.store.get(view.id)).toMatchObject({
      status: 'completed',
      txid: view.summary.txid,
    });
  });

  it('a session that ended otherwise and whose tx never landed stays as it ended', async () => {
    group = await createGroup(3, { threshold: 2 });
    const g = group;
    const m2 = g.members[2]!;
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([30_000_000n]));
    await until(() => m2.service.session(view.id));
    g.network.disconnect(m2.peerId);
    await m2.service.decline(view.id);
    await m2.service.sweep();
    expect(m2.service.session(view.id)?.phase).toBe('aborted');
    expect(g.chain.transaction(view.summary.txid)).toBeUndefined();
  });
});
