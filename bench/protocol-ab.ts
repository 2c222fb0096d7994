/**
 * `node bench/protocol-ab.ts <n> <sessions> <tree A> <tree B> [...]`: the signing protocol's CPU
 * per member, tree against tree, in one process. Each argument is a checkout of the repository
 * (e.g. `git archive <commit> | tar -x -C /tmp/a`, node_modules linked); each tree's
 * test/support/signing-group.ts is imported, so every tree runs its own code and caches, and
 * their sessions alternate so all see the same load. Per session: CPU time of the process from
 * the last approval until every member settled, divided by n. Prints medians and ratios to the
 * first tree.
 */
import type { Group } from '../test/support/signing-group.ts';
import { lastApprovalRound } from './last-approval-round.ts';

const [nArg, sessionsArg, ...trees] = process.argv.slice(2);
const n = Number(nArg);
const sessions = Number(sessionsArg);
if (!(n >= 2) || !(sessions >= 1) || trees.length < 1)
  throw new Error('usage: node bench/protocol-ab.ts <n> <sessions> <tree A> [<tree B> ...]');

/** One session's CPU ms per member, from the last approval to every member settled. */
const cpuPerMember = async (group: Group): Promise<number> =>
  (await lastApprovalRound(group)).cpu / n;

const groups: Group[] = [];
for (const tree of trees) {
  const support = (await import(`${tree}/test/support/signing-group.ts`)) as {
    createGroup: (n: number, options: object) => Promise<Group>;
  };
  groups.push(await support.createGroup(n, { timeouts: { failoverMs: 60_000 } }));
}
for (const group of groups) await cpuPerMember(group); // the vault's first session builds tables
const cpu: number[][] = trees.map(() => []);
for (let s = 0; s < sessions; s++)
  for (const [i, group] of groups.entries()) (cpu[i] as number[]).push(await cpuPerMember(group));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const first = median(cpu[0] as number[]);
console.log(
  `CPU ms per member, n = ${n}, median of ${sessions} sessions — Node ${process.version}`,
);
for (const [i, tree] of trees.entries()) {
  const m = median(cpu[i] as number[]);
  console.log(
    `${tree.padEnd(32)} ${m.toFixed(2).padStart(9)}  ${(m / first).toFixed(2)}×  (${(cpu[i] as number[]).map((x) => x.toFixed(0)).join(' ')})`,
  );
}
for (const group of groups) await group.stop();
