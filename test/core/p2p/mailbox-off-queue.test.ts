import { afterEach, describe, expect, it } from 'vitest';
import { type Group, type Member, createGroup } from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  for (const hold of holds) hold();
  holds.length = 0;
  await group?.stop();
  group = undefined;
});

const holds: (() => void)[] = [];

/** Makes `member`'s mailbox puts hang until released; counts puts started and in flight. */
function holdPuts(member: Member) {
  const put = member.transport.putRecord.bind(member.transport);
  const stats = { started: 0, inFlight: 0, most: 0 };
  member.transport.putRecord = (id, payload, expiresAt) => {
    stats.started++;
    stats.most = Math.max(stats.most, ++stats.inFlight);
    return new Promise<void>((resolve, reject) =>
      holds.push(() => {
        stats.inFlight--;
        put(id, payload, expiresAt).then(resolve, reject);
      }),
    );
  };
  return stats;
}

function autoApprove(g: Group): void {
  for (const m of g.members)
    m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
}

describe('the mailbox record is written off the protocol queue', () => {
  it('a session completes while every mailbox put hangs; one put in flight, the rest coalesced', async () => {
    group = await createGroup(3);
    const g = group;
    const stats = g.members.map(holdPuts);
    autoApprove(g);
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([20_000_000n]));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    // The session opened, was approved and ended on every member, each a mailbox change.
    for (const s of stats) {
      expect(s.started).toBe(1);
      expect(s.most).toBe(1);
    }
    // Releasing the hung put lets exactly one more carry the changes made meanwhile.
    for (const hold of holds.splice(0)) hold();
    await until(() => stats.every((s) => s.started === 2));
    await new Promise((r) => setTimeout(r, 50));
    expect(stats.map((s) => s.started)).toEqual([2, 2, 2]);
  });

  it('a failing put is reported as a warning and the session still completes', async () => {
    group = await createGroup(2);
    const g = group;
    const warnings: string[] = [];
    const member = g.members[1]!;
    member.service.on('warning', ({ message }) => warnings.push(message));
    member.transport.putRecord = async () => {
      throw new Error('DHT unreachable');
    };
    autoApprove(g);
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([20_000_000n]));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
    await until(() => warnings[0]);
    expect(warnings[0]).toMatch(/Mailbox put failed: DHT unreachable/);
  });
});
