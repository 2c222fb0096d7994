import { describe, expect, it } from 'vitest';
import {
  PolicyFileError,
  evaluatePolicy,
  parsePolicy,
  xpiToSats,
} from '../../../src/core/wallet/cosign-policy.ts';

const treasury = 'vault-treasury';
const alice = 'lotusR_alice';
const bob = 'lotusR_bob';

const policy = parsePolicy(
  JSON.stringify({
    version: 1,
    rules: [
      {
        vault: treasury,
        allowTo: [alice, bob],
        maxPerSpendXpi: '50',
        maxPerDayXpi: '80',
        maxFeeSats: 5000,
      },
    ],
  }),
);

const spend = (payments: [string, bigint][], feeSats = 500n, vaultId = treasury) => ({
  vaultId,
  payments: payments.map(([address, sats]) => ({ address, sats })),
  feeSats,
});

describe('cosigner policy', () => {
  it('converts decimal XPI to sats exactly', () => {
    expect(xpiToSats('1')).toBe(1_000_000n);
    expect(xpiToSats('12.5')).toBe(12_500_000n);
    expect(xpiToSats('0.000001')).toBe(1n);
  });

  it('approves an allowed destination within limits', () => {
    expect(evaluatePolicy(policy, spend([[alice, xpiToSats('50')]]), 0n)).toEqual({
      approve: true,
      rule: 0,
    });
  });

  it('refuses any payment to an address not on the list, even alongside allowed ones', () => {
    const decision = evaluatePolicy(
      policy,
      spend([
        [alice, 1n],
        ['lotusR_mallory', 1n],
      ]),
      0n,
    );
    expect(decision).toMatchObject({ approve: false });
    expect(decision.approve === false && decision.reason).toContain('lotusR_mallory');
  });

  it('refuses a spend over the per-spend cap by one sat', () => {
    expect(evaluatePolicy(policy, spend([[bob, xpiToSats('50') + 1n]]), 0n).approve).toBe(false);
  });

  it('enforces the daily limit across spends', () => {
    expect(evaluatePolicy(policy, spend([[bob, xpiToSats('30')]]), xpiToSats('50')).approve).toBe(
      true,
    );
    expect(evaluatePolicy(policy, spend([[bob, xpiToSats('31')]]), xpiToSats('50')).approve).toBe(
      false,
    );
  });

  it('refuses an excessive fee and spends from vaults no rule names', () => {
    expect(evaluatePolicy(policy, spend([[bob, 1n]], 5001n), 0n).approve).toBe(false);
    expect(evaluatePolicy(policy, spend([[bob, 1n]], 500n, 'other-vault'), 0n)).toMatchObject({
      approve: false,
      reason: 'No rule covers vault other-vault',
    });
  });

  it('approves a refresh (everything back to the vault) within the maximum fee, and only then', () => {
    expect(evaluatePolicy(policy, spend([]), 0n)).toEqual({ approve: true, rule: 0 });
    expect(evaluatePolicy(policy, spend([], 6_000n), 0n).approve).toBe(false);
    expect(evaluatePolicy(policy, spend([], 500n, 'other-vault'), 0n).approve).toBe(false);
  });

  it('rejects malformed policy files with a typed error naming the field', () => {
    const bad = [
      'not json',
      '{"version":2,"rules":[]}',
      '{"version":1,"rules":[{"vault":"v","allowTo":[],"maxPerSpendXpi":"1"}]}',
      '{"version":1,"rules":[{"vault":"v","allowTo":["a"],"maxPerSpendXpi":1.5}]}',
      '{"version":1,"rules":[{"vault":"v","allowTo":["a"],"maxPerSpendXpi":"1","extra":true}]}',
    ];
    for (const text of bad) expect(() => parsePolicy(text)).toThrow(PolicyFileError);
    expect(() => parsePolicy(bad[3] as string)).toThrow(/rules\.0\.maxPerSpendXpi/);
  });
});
