import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { forgetParsedNonces } from '../../../src/core/crypto/musig2.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import { SigningKey } from '../../../src/core/crypto/signing-key.ts';
import type { EnvelopeAuth } from '../../../src/core/p2p/envelope.ts';
import { type Group, createGroup } from '../../support/signing-group.ts';

/**
 * Bookkeeping only: 10,000 Lotus Schnorr signatures and verifications would measure the curve,
 * not the tables. This stand-in binds each "signature" to the signer's public key and the digest.
 */
const cheapAuth: EnvelopeAuth = {
  sign(digest, key) {
    // The service signs with its vault's SigningKey, whose public key costs nothing.
    const pk = key instanceof SigningKey ? key.publicKey : getPublicKey(key);
    return concatBytes(sha256(concatBytes(pk, digest)), new Uint8Array(32));
  },
  verify(signature, digest, publicKey) {
    const expected = sha256(concatBytes(publicKey, digest));
    return expected.every((b, i) => b === signature[i]);
  },
};

/**
 * A real collection before each heap reading, so garbage does not count as growth. The crypto
 * layer's parsed-nonce cache is emptied first: every proposal's approval now carries the
 * proposer's nonces, and that cache is bounded on its own (4,096 nonces, musig2.ts), so filling
 * it from the 100 of the baseline to its cap is not session state that failed to go.
 */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const heapUsed = () => {
  forgetParsedNonces();
  collect();
  return process.memoryUsage().heapUsed;
};

let group: Group | undefined;
afterAll(async () => {
  await group?.stop();
});

describe('bounded state', () => {
  it(
    'churns through 10,000 sessions and every table returns to its baseline',
    { timeout: 240_000 },
    async () => {
      group = await createGroup(2, {
        auth: cheapAuth,
        timeouts: { retainMs: 0, failoverMs: 1 },
        manualClock: true,
        // The churn opens 100 sessions at once: lift the per-proposer cap it is not about.
        sessionLimits: { perVault: 100, perProposer: 100 },
      });
      const g = group;
      const [proposer, other] = g.members as [(typeof g.members)[0], (typeof g.members)[0]];
      other.service.on('proposal', (v) => void other.service.decline(v.id, 'churn'));
      const spend = g.spend([10_000_000n]);

      const churn = async (count: number) => {
        const views = await Promise.all(
          Array.from({ length: count }, () =>
            proposer.service.propose(g.vault.id, spend, { ttlMs: 60_000 }),
          ),
        );
        await Promise.all(views.map((v) => proposer.service.settled(v.id)));
        await Promise.all(views.map((v) => other.service.settled(v.id)));
        // Time passes between batches (rate limits refill as they would in a real run).
        g.clock?.advance(2_000);
      };
      const settle = async () => {
        await new Promise((r) => setTimeout(r, 20));
        // Past every proposal's expiry: the sweep forgets tombstones and deletes records.
        g.clock?.advance(120_000);
        for (const m of g.members) await m.service.sweep();
      };

      await churn(100);
      await settle();
      const baseline = g.members.map((m) => m.service.stats());
      const baseStore = g.members.map((m) => m.store.size);
      const heapBefore = heapUsed();

      for (let batch = 0; batch < 99; batch++) await churn(100);
      await settle();

      g.members.forEach((m, i) => {
        expect(m.service.stats()).toEqual(baseline[i]);
        expect(m.store.size).toEqual(baseStore[i]);
      });
      expect(baseline[0]).toMatchObject({ sessions: 0, tombstones: 0, early: 0, deferred: 0 });
      const grownMb = (heapUsed() - heapBefore) / 2 ** 20;
      expect(grownMb).toBeLessThan(8);
    },
  );
});
