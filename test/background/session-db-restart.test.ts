import 'fake-indexeddb/auto';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openSessionDb } from '../../src/background/session-db.ts';
import type { SessionPhase } from '../../src/core/p2p/session.ts';
import { type Group, type Member, createGroup } from '../support/signing-group.ts';
import { until } from '../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/**
 * Member `member`'s service keeps its store object across restarts: route that object to a new
 * IndexedDB connection on the member's database, as a restarted service worker would open.
 */
function onIndexedDb(member: Member, name: string): void {
  const db = openSessionDb(name);
  Object.assign(member.store, {
    get: db.get,
    list: db.list,
    commit: db.commit,
    delete: db.delete,
    nonceMarkers: db.nonceMarkers,
  });
}

function autoApprove(g: Group, only?: number[]): void {
  for (const m of g.members)
    if (!only || only.includes(m.index))
      m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
}

/** Runs a 3-of-3 session in which member 1 restarts (new connection) on reaching `phase`. */
async function restartAt(phase: SessionPhase) {
  group = await createGroup(3);
  const g = group;
  const names = g.members.map(() => `restart-${bytesToHex(randomBytes(4))}`);
  g.members.forEach((m, i) => onIndexedDb(m, names[i]!));
  autoApprove(g);
  let restarted: Promise<Member> | undefined;
  g.members[1]!.service.on('update', (view) => {
    if (restarted || view.phase !== phase) return;
    onIndexedDb(g.members[1]!, names[1]!);
    restarted = g.restart(1);
  });
  const view = await g.members[0]!.service.propose(g.vault.id, g.spend([25_000_000n]));
  await until(() => restarted);
  const fresh = await (restarted as Promise<Member>);
  autoApprove(g, [0, 2]);
  const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
  expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
  // Whatever happened, no member consumed nonces twice in one attempt.
  for (const m of g.members) {
    const consumed = (await m.store.nonceMarkers(view.id)).filter((x) => x.stage === 'consumed');
    expect(new Set(consumed.map((x) => x.attempt)).size).toBe(consumed.length);
  }
  return { results, markers: await fresh.store.nonceMarkers(view.id) };
}

describe('a member on IndexedDB restarts mid-session (append-only store, one commit per step)', () => {
  it('after its nonces left: the attempt is abandoned and the session completes in a new one', async () => {
    group = await createGroup(3);
    const g = group;
    const names = g.members.map(() => `restart-${bytesToHex(randomBytes(4))}`);
    g.members.forEach((m, i) => onIndexedDb(m, names[i]!));
    // Member 2 holds back, so member 1's approval (carrying its attempt-1 nonces) is out while
    // nobody can sign yet; member 1 then restarts with those nonces' secret halves gone.
    autoApprove(g, [1]);
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([25_000_000n]));
    const issued = async () =>
      (await g.members[1]!.store.nonceMarkers(view.id)).some(
        (m) => m.attempt === 1 && m.stage === 'issued',
      );
    await until(issued);
    onIndexedDb(g.members[1]!, names[1]!);
    const fresh = await g.restart(1);
    await until(() => g.members[2]!.service.session(view.id));
    await g.members[2]!.service.approve(view.id);
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => [r.phase, r.attempt])).toEqual([
      ['completed', 2],
      ['completed', 2],
      ['completed', 2],
    ]);
    const markers = await fresh.store.nonceMarkers(view.id);
    expect(markers.some((m) => m.attempt === 1 && m.stage === 'issued')).toBe(true);
    expect(markers.some((m) => m.attempt === 1 && m.stage === 'consumed')).toBe(false);
  });

  it('after its partial signature left: it is resent from the transcript, not re-signed', async () => {
    const { results, markers } = await restartAt('signing');
    expect(results.map((r) => r.attempt)).toEqual([1, 1, 1]);
    expect(markers.filter((m) => m.stage === 'consumed').map((m) => m.attempt)).toEqual([1]);
  });
});
