import type { Group } from '../test/support/signing-group.ts';

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 1));
}

/**
 * One session of `group`: all but the last member approve, then the clock runs from the last
 * approval until every member settled. Returns the wall time and the process's CPU time over it
 * (every member's work: they share this process).
 */
export async function lastApprovalRound(group: Group): Promise<{ wall: number; cpu: number }> {
  const [proposer, ...others] = group.members;
  const last = others.at(-1);
  if (!proposer || !last) throw new Error('need two members');
  const view = await proposer.service.propose(group.vault.id, group.spend([50_000_000n]));
  await until(() => group.members.every((m) => m.service.session(view.id)));
  await Promise.all(others.slice(0, -1).map((m) => m.service.approve(view.id)));
  await until(() => (last.service.session(view.id)?.approvals.length ?? 0) === others.length);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await last.service.approve(view.id);
  const ends = await Promise.all(group.members.map((m) => m.service.settled(view.id)));
  if (ends.some((v) => v.phase !== 'completed')) throw new Error('a session did not complete');
  const { user, system } = process.cpuUsage(cpuStart);
  return { wall: performance.now() - start, cpu: (user + system) / 1000 };
}
