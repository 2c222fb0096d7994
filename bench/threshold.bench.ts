/**
 * `npm run bench:threshold`: a threshold vault's two ways to sign, in one run, over the in-memory
 * transport. Key path: every member approves; the clock runs from the last approval to every
 * member holding the broadcast transaction. Leaf: n − k members are offline; the proposer's
 * deadline has passed, so the k-th approval makes it choose the path (a path message), and the
 * clock runs from that approval to every signer holding the broadcast transaction. Also the time
 * to build the vault (its tree: one MuSig2 KeyAgg per leaf), which every member pays on import.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { regtest } from '../src/core/chain/index.ts';
import { getPublicKey } from '../src/core/crypto/schnorr.ts';
import { createVault } from '../src/core/wallet/vault.ts';
import { type Group, createGroup } from '../test/support/signing-group.ts';

const POLICIES: [number, number][] = [
  [3, 5],
  [5, 7],
];
const REPS = 6;

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 1));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Every member approves; timed from the last approval. */
async function keyPathRun(group: Group): Promise<number> {
  const [proposer, ...others] = group.members;
  const last = others.at(-1);
  if (!proposer || !last) throw new Error('need two members');
  const view = await proposer.service.propose(group.vault.id, group.spend([50_000_000n]), {
    leafAfterMs: 3_600_000,
  });
  await until(() => group.members.every((m) => m.service.session(view.id)));
  await Promise.all(others.slice(0, -1).map((m) => m.service.approve(view.id)));
  await until(() => (last.service.session(view.id)?.approvals.length ?? 0) === others.length);
  const start = performance.now();
  await last.service.approve(view.id);
  await Promise.all(group.members.map((m) => m.service.settled(view.id)));
  if (group.members.some((m) => m.service.session(view.id)?.pathSigners)) throw new Error('leaf');
  return performance.now() - start;
}

/** k members online, deadline passed: timed from the k-th approval to every signer settled. */
async function leafRun(group: Group, k: number): Promise<number> {
  const signers = group.members.slice(0, k);
  const [proposer, ...others] = signers;
  const last = others.at(-1);
  if (!proposer || !last) throw new Error('need two signers');
  const view = await proposer.service.propose(group.vault.id, group.spend([50_000_000n]), {
    leafAfterMs: 0,
  });
  await until(() => signers.every((m) => m.service.session(view.id)));
  await Promise.all(others.slice(0, -1).map((m) => m.service.approve(view.id)));
  await until(() => (last.service.session(view.id)?.approvals.length ?? 0) === k - 1);
  const start = performance.now();
  await last.service.approve(view.id);
  const results = await Promise.all(signers.map((m) => m.service.settled(view.id)));
  if (results.some((r) => r.phase !== 'completed' || !r.pathSigners)) throw new Error('no leaf');
  return performance.now() - start;
}

const rows: string[] = [];
for (const [k, n] of POLICIES) {
  const keys = Array.from({ length: n }, () => getPublicKey(randomBytes(32)));
  const buildStart = performance.now();
  createVault(keys, regtest, 'bench', { threshold: k });
  const buildMs = performance.now() - buildStart;

  const keyGroup = await createGroup(n, { threshold: k });
  const keyTimes: number[] = [];
  for (let i = 0; i < REPS; i++) keyTimes.push(await keyPathRun(keyGroup));
  await keyGroup.stop();

  const leafGroup = await createGroup(n, { threshold: k });
  for (const offline of leafGroup.members.slice(k)) leafGroup.network.disconnect(offline.peerId);
  const leafTimes: number[] = [];
  for (let i = 0; i < REPS; i++) leafTimes.push(await leafRun(leafGroup, k));
  await leafGroup.stop();

  const key = median(keyTimes);
  const leaf = median(leafTimes);
  rows.push(
    `| ${k}-of-${n} | ${buildMs.toFixed(0)} | ${key.toFixed(1)} | ${leaf.toFixed(1)} | ${(leaf / key).toFixed(2)} |`,
  );
}

console.log(`Threshold vaults, medians of ${REPS} sessions each (ms)\n`);
console.log('| policy | build vault | key path (all n) | leaf (k online) | leaf / key |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
