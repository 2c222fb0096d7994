import { describe, expect, it } from 'vitest';
import type { Tier } from './scenario.ts';
import { runSession } from './world.ts';

/**
 * Seeds that once broke an invariant (docs/SIMULATOR.md, "Fixed findings" and the long runs of
 * bench/RESULTS.md), replayed under --strict: each must now keep every invariant.
 */
const FOUND: [seed: number, tier: Tier, what: string][] = [
  [2973104405, 'small', 'restart-mid-round: acknowledged round messages lost on restart'],
  [383359588, 'small', 'approval-order: a revoke that arrives after the re-approval'],
  [1317510718, 'small', 'a last approver crashed after committing its approval with nonces'],
  [2931300658, 'normal', 'a decliner restarted and never learned the spend was on chain'],
  [2691684880, 'normal', 'a re-approval left the path it had set aside unread'],
  [3053206501, 'normal', 'a lost blame left an honest member suspected (13 members)'],
  [2090413000, 'normal', 'a proposer crashed between storing its path choice and sending it'],
  [218026574, 'normal', 'a revoke after a partial of an abandoned attempt had left'],
  [2312877825, 'normal', 'the same revoke, after a replay-protection retry and a partition'],
  [982564684, 'normal', 'the same lost path choice, in a 3-of-5 vault (the session expired)'],
  [2457586925, 'normal', "the same revoke after an earlier attempt's partial, 5-of-5"],
  [4131611522, 'normal', 'the same lost path choice, 2-of-3 (failed on a nonce-set mismatch)'],
  [3338840878, 'normal', 'the same lost path choice, 2-of-3 again'],
  [2075903291, 'normal', 'the same revoke, 5-of-5, after a replay-protection retry'],
  [3977389368, 'normal', "an attempt's mismatch wait ended the session after the group moved on"],
  [3946470924, 'normal', 'a restart undid a final round; a set-aside partial lost'],
  [2987860963, 'normal', 'the run ended before a late proposal could expire (the horizon)'],
  [1082650148, 'normal', "a revoke left the proposer's signed key-path round; no leaf named"],
  [174805850, 'normal', 'a member outside the path revoked; the leaf round was dropped'],
  [3322492311, 'normal', 'a signer never heard of the path; the mismatch wait ended first'],
  [84000067, 'normal', 'the same, while the proposer was down (no copy of the path came)'],
  [1501167134, 'normal', "the path came after a signer's approval named a later attempt"],
  [725001612, 'normal', 'a named signer revoked; the path was stranded though k approved'],
  [3433601621, 'normal', "a newcomer's nonces came before the path naming it and were dropped"],
];

describe('seeds that once broke an invariant', () => {
  for (const [seed, tier, what] of FOUND)
    it(`${seed} (${tier}): ${what}`, { timeout: 300_000 }, async () => {
      const run = await runSession({ seed, tier, strict: true });
      expect(run.violations).toEqual([]);
    });
});
