import { bytesToHex } from '@noble/hashes/utils.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_TABLES,
  hasTable,
  isPinned,
  resetTables,
  tableStats,
} from '../../../src/core/crypto/point-tables.ts';
import { type Group, createGroup } from '../../support/signing-group.ts';

let group: Group | undefined;
beforeEach(() => resetTables());
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 2));
}

/** Proposes a spend and waits until every member holds the session. */
async function openSession(g: Group): Promise<string> {
  const view = await g.members[0]!.service.propose(g.vault.id, g.spend([50_000_000n]));
  await until(() => g.members.every((m) => m.service.session(view.id)));
  return view.id;
}

describe('member-key tables for open sessions', () => {
  it('pins every member key while a session is open and releases it when the session completes', async () => {
    group = await createGroup(4);
    const g = group;
    const keys = g.vault.members.map((k) => bytesToHex(k));
    const id = await openSession(g);
    // Each of the four members (one process here) holds the session's four keys.
    expect(tableStats()).toMatchObject({ pinnedKeys: 4, owners: 4 });
    for (const key of keys) expect(isPinned(key)).toBe(true);
    await Promise.all(g.members.slice(1).map((m) => m.service.approve(id)));
    const ended = await Promise.all(g.members.map((m) => m.service.settled(id)));
    expect(ended.map((v) => v.phase)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(tableStats()).toMatchObject({ pinnedKeys: 0, owners: 0 });
    // The tables themselves stay for the vault's next session, within the bound.
    for (const key of keys) expect(hasTable(key)).toBe(true);
    expect(tableStats().tables).toBeLessThanOrEqual(MAX_TABLES);
  });

  it('releases them when a session is declined, and when the service stops with sessions open', async () => {
    group = await createGroup(3);
    const g = group;
    const declined = await openSession(g);
    await g.members[1]!.service.decline(declined);
    await Promise.all(g.members.map((m) => m.service.settled(declined)));
    expect(tableStats()).toMatchObject({ pinnedKeys: 0, owners: 0 });
    await openSession(g);
    expect(tableStats()).toMatchObject({ pinnedKeys: 3, owners: 3 });
    await g.stop();
    group = undefined;
    expect(tableStats()).toMatchObject({ pinnedKeys: 0, owners: 0 });
  });

  it('keeps one member’s holding when another member in the same process ends the session', async () => {
    group = await createGroup(3);
    const g = group;
    await openSession(g);
    await g.members[2]!.service.stop();
    // Members 0 and 1 still hold the session: its keys stay pinned.
    expect(tableStats()).toMatchObject({ pinnedKeys: 3, owners: 2 });
  });
});
