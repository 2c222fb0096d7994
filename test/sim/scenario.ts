/**
 * What happens in one simulated session, drawn from its seed before it starts: the vault, who is
 * hostile, what each user does and when, and which faults strike (network, partitions, crashes,
 * clock skew, the chain's replay-protection side).
 */
import type { HostileKind } from './adversary.ts';
import type { LinkFaults } from './network.ts';
import type { Prng } from './prng.ts';

export type UserPlan =
  | { kind: 'approve'; at: number }
  | { kind: 'decline'; at: number }
  | { kind: 'silent' }
  | { kind: 'revoke'; at: number; revokeAt: number; reapproveAt: number };

export type CrashPlan =
  | { member: number; at: number; downMs: number }
  | { member: number; afterWrites: number; downMs: number };

export interface Scenario {
  n: number;
  threshold: number;
  /** Which of a few fixed key sets the vault uses (vaults are cached per key set). */
  keyset: number;
  inputs: number;
  proposer: number;
  users: UserPlan[];
  hostile: Map<number, { kind: HostileKind; target: number; bursts: number[] }>;
  skew: number[];
  /** Faults on the network until this time (ms); calm afterwards. */
  faultsUntil: number;
  faults: LinkFaults;
  partition?: { at: number; until: number; groups: number[][] };
  crashes: CrashPlan[];
  /** The node's replay-protection state, and whether the proposal starts on the wrong side. */
  chainSide: 'before' | 'after' | 'mismatch';
  leafAfterMs: number;
  ttlMs: number;
}

/**
 * `small`: 2–5 members (most sessions 2 or 3), the CI slice's mix; `normal`: 2–15 members;
 * `large`: 50 members, fewer faults (each session costs seconds of real crypto).
 */
export type Tier = 'small' | 'normal' | 'large';

const MINUTE = 60_000;

function members(prng: Prng, tier: Tier): number {
  if (tier === 'large') return 50;
  const r = prng.next();
  if (tier === 'small') return r < 0.5 ? 2 : r < 0.85 ? 3 : prng.int(4, 5);
  if (r < 0.4) return 2;
  if (r < 0.7) return 3;
  if (r < 0.88) return prng.int(4, 5);
  if (r < 0.97) return prng.int(6, 9);
  return prng.int(10, 15);
}

export function drawScenario(prng: Prng, tier: Tier = 'normal'): Scenario {
  const n = members(prng, tier);
  // Threshold vaults stay small: their tree holds one MuSig2 key per k-subset.
  const threshold = n >= 3 && n <= 6 && prng.chance(0.3) ? prng.int(2, n - 1) : n;
  const leafy = threshold < n;
  const proposer = prng.int(0, n - 1);
  const inputs = prng.pick([1, 1, 1, 1, 1, 1, 1, 2, 2, 3]);

  const hostile: Scenario['hostile'] = new Map();
  const hostileCount =
    tier === 'large' ? 0 : prng.chance(0.25) ? (n >= 5 && prng.chance(0.2) ? 2 : 1) : 0;
  const others = [...Array(n).keys()].filter((i) => i !== proposer);
  for (const member of prng.sample(others, hostileCount)) {
    const kind = prng.pick(['equivocate', 'bad-partial', 'replay', 'flood'] as const);
    const target = prng.pick([...Array(n).keys()].filter((i) => i !== member));
    const bursts = Array.from({ length: prng.int(1, 3) }, () => prng.int(0, 10 * MINUTE));
    hostile.set(member, { kind, target, bursts });
  }

  const approveAt = () => (prng.chance(0.5) ? prng.int(0, 30_000) : prng.int(0, 6 * MINUTE));
  const users: UserPlan[] = Array.from({ length: n }, (_, i): UserPlan => {
    if (i === proposer) return { kind: 'approve', at: 0 };
    if (hostile.has(i)) return { kind: 'approve', at: approveAt() };
    const r = prng.next();
    const silent = leafy ? 0.25 : tier === 'large' ? 0 : 0.05;
    if (r < silent) return { kind: 'silent' };
    if (r < silent + 0.04) return { kind: 'decline', at: approveAt() };
    if (r < silent + 0.09) {
      const at = approveAt();
      const revokeAt = at + prng.int(0, 60_000);
      return { kind: 'revoke', at, revokeAt, reapproveAt: revokeAt + prng.int(0, 2 * MINUTE) };
    }
    return { kind: 'approve', at: approveAt() };
  });

  const skew = Array.from({ length: n }, () => (prng.chance(0.5) ? prng.int(-30_000, 30_000) : 0));

  const faulty = prng.chance(0.8);
  const faultsUntil = faulty ? prng.int(10_000, 8 * MINUTE) : 0;
  const faults: LinkFaults = faulty
    ? {
        drop: prng.next() * 0.3,
        duplicate: prng.next() * 0.2,
        ackLoss: prng.next() * 0.2,
        minDelayMs: 5,
        maxDelayMs: prng.int(100, 3_000),
      }
    : { drop: 0, duplicate: 0, ackLoss: 0, minDelayMs: 5, maxDelayMs: 120 };

  let partition: Scenario['partition'];
  if (faulty && prng.chance(0.2)) {
    const at = prng.int(0, faultsUntil);
    const side = prng.sample([...Array(n).keys()], prng.int(1, n - 1));
    partition = {
      at,
      until: Math.min(faultsUntil, at + prng.int(1_000, 3 * MINUTE)),
      groups: [side, [...Array(n).keys()].filter((i) => !side.includes(i))],
    };
  }

  const crashes: CrashPlan[] = [];
  if (prng.chance(tier === 'large' ? 0.2 : 0.35)) {
    for (let c = prng.int(1, 2); c > 0; c--) {
      const member = prng.int(0, n - 1);
      const downMs = prng.int(500, 2 * MINUTE);
      crashes.push(
        prng.chance(0.5)
          ? { member, at: prng.int(0, Math.max(faultsUntil, 2 * MINUTE)), downMs }
          : { member, afterWrites: prng.int(1, 25), downMs },
      );
    }
  }

  const side = prng.next();
  return {
    n,
    threshold,
    keyset: prng.int(0, 1),
    inputs,
    proposer,
    users,
    hostile,
    skew,
    faultsUntil,
    faults,
    ...(partition ? { partition } : {}),
    crashes,
    chainSide: side < 0.7 ? 'before' : side < 0.9 ? 'after' : 'mismatch',
    leafAfterMs: prng.int(30_000, 5 * MINUTE),
    ttlMs: 20 * MINUTE,
  };
}
