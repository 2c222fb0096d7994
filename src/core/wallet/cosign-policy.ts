import * as v from 'valibot';

/**
 * The rules a headless cosigner signs by, e.g. "approve spends from the treasury vault to these
 * two addresses, at most 50 XPI each and 200 XPI a day". Anything no rule allows is refused: the
 * file can only widen what the cosigner signs from "nothing".
 *
 * File format (JSON, version 1):
 *   { "version": 1, "rules": [{ "vault": "<vault id>" | "*", "allowTo": ["lotus_…", …],
 *     "maxPerSpendXpi": "50", "maxPerDayXpi": "200", "maxFeeSats": 10000 }] }
 * Amounts are decimal XPI strings (1 XPI = 1,000,000 sats) so no float rounding creeps in.
 */
const XpiAmount = v.pipe(
  v.string(),
  v.regex(/^\d{1,12}(\.\d{1,6})?$/, 'an XPI amount like "12.5"'),
);

const Rule = v.strictObject({
  vault: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  allowTo: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(128))), v.minLength(1)),
  maxPerSpendXpi: XpiAmount,
  maxPerDayXpi: v.optional(XpiAmount),
  maxFeeSats: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

export const CosignPolicyFile = v.strictObject({
  version: v.literal(1),
  rules: v.array(Rule),
});
export type CosignPolicyFile = v.InferOutput<typeof CosignPolicyFile>;

export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

export const SATS_PER_XPI = 1_000_000n;

export function xpiToSats(amount: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole) * SATS_PER_XPI + BigInt(fraction.padEnd(6, '0'));
}

/** What the cosigner is asked to sign, as decoded and verified by the protocol layer. */
export interface SpendSummary {
  vaultId: string;
  /** Outputs that leave the vault (change back to the vault is not listed here). */
  payments: { address: string; sats: bigint }[];
  feeSats: bigint;
}

export type PolicyDecision = { approve: true; rule: number } | { approve: false; reason: string };

/** Parse and validate a policy file's text; errors say which field is wrong. */
export function parsePolicy(text: string): CosignPolicyFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PolicyFileError(`Policy is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = v.safeParse(CosignPolicyFile, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue?.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new PolicyFileError(`Invalid policy${path ? ` at ${path}` : ''}: ${issue?.message}`);
  }
  return parsed.output;
}

/**
 * Decide one spend. `spentToday` is what this cosigner already approved for the vault in the last
 * 24 hours (the caller keeps that ledger), so daily limits hold across many small spends.
 */
export function evaluatePolicy(
  policy: CosignPolicyFile,
  spend: SpendSummary,
  spentToday: bigint,
): PolicyDecision {
  if (spend.payments.length === 0) return evaluateRefresh(policy, spend);
  const total = spend.payments.reduce((sum, p) => sum + p.sats, 0n);
  const reasons: string[] = [];
  for (const [index, rule] of policy.rules.entries()) {
    if (rule.vault !== '*' && rule.vault !== spend.vaultId) continue;
    const stranger = spend.payments.find((p) => !rule.allowTo.includes(p.address));
    if (stranger) {
      reasons.push(`rule ${index}: ${stranger.address} is not an allowed destination`);
      continue;
    }
    if (total > xpiToSats(rule.maxPerSpendXpi)) {
      reasons.push(`rule ${index}: ${total} sats exceeds ${rule.maxPerSpendXpi} XPI per spend`);
      continue;
    }
    if (rule.maxPerDayXpi !== undefined && spentToday + total > xpiToSats(rule.maxPerDayXpi)) {
      reasons.push(`rule ${index}: daily limit of ${rule.maxPerDayXpi} XPI would be exceeded`);
      continue;
    }
    if (rule.maxFeeSats !== undefined && spend.feeSats > BigInt(rule.maxFeeSats)) {
      reasons.push(`rule ${index}: fee ${spend.feeSats} sats exceeds ${rule.maxFeeSats}`);
      continue;
    }
    return { approve: true, rule: index };
  }
  return {
    approve: false,
    reason: reasons.length > 0 ? reasons.join('; ') : `No rule covers vault ${spend.vaultId}`,
  };
}

/**
 * A spend that pays nobody returns everything to the vault: a refresh that restarts a threshold
 * vault's recovery timelock. Only the fee leaves, so a rule for the vault approves it if the fee
 * is within the rule's maximum fee.
 */
function evaluateRefresh(policy: CosignPolicyFile, spend: SpendSummary): PolicyDecision {
  const rule = policy.rules.findIndex(
    (r) =>
      (r.vault === '*' || r.vault === spend.vaultId) &&
      (r.maxFeeSats === undefined || spend.feeSats <= BigInt(r.maxFeeSats)),
  );
  if (rule >= 0) return { approve: true, rule };
  return {
    approve: false,
    reason: `No rule covers a refresh of vault ${spend.vaultId} at this fee`,
  };
}
