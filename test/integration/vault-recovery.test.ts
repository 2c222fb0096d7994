/**
 * A recovery key takes a 2-of-3 vault's coin alone, against the devnet's copy of lotusd's rules
 * over Chronik: refused as `non-BIP68-final` while the coin is younger than the lock (one block
 * short included), accepted with exactly `afterBlocks` confirmations, on whichever side of the
 * replay-protection switch the node is (broadcastOnEitherSide corrects a wrong first guess).
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastRejectedError, ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import { ReplaySwitch, broadcastOnEitherSide } from '../../src/core/chain/replay-side.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import {
  RecoveryNotOpenError,
  buildRecoverySpend,
  planRecoverySpend,
  recoveryStatus,
  signRecoverySpend,
} from '../../src/core/wallet/vault-recovery.ts';
import { createVault } from '../../src/core/wallet/vault.ts';
import { LOTUSD_REGTEST_REPLAY_PROTECTION_TIME } from '../../src/devnet/chain.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';

const AFTER_BLOCKS = 10;
const DAY = 86_400;
const now = Math.floor(Date.now() / 1000);
// The table's own answer today; the unknown switch is placed on the other side of now.
const tableSaysOnNow = now - 900 >= regtest.replayProtectionActivationTime;

const SCENARIOS = [
  {
    name: "at lotusd's regtest time",
    switchAt: LOTUSD_REGTEST_REPLAY_PROTECTION_TIME,
    guessRight: true,
  },
  {
    name: 'at a time the table does not know',
    switchAt: tableSaysOnNow ? now + DAY : now - DAY,
    guessRight: false,
  },
];

const reasonOf = (err: unknown) => (err instanceof BroadcastRejectedError ? err.reason : undefined);

describe.each(SCENARIOS)('recovery of a 2-of-3 vault, the switch $name', (scenario) => {
  const recoverySecret = randomBytes(32);
  const vault = createVault(
    [0, 1, 2].map(() => getPublicKey(randomBytes(32))),
    regtest,
    'family',
    {
      threshold: 2,
      recovery: { afterBlocks: AFTER_BLOCKS, keys: [getPublicKey(recoverySecret)], threshold: 1 },
    },
  );
  const heir = p2pkhScript(randomBytes(20));
  let devnet: Devnet;
  let indexer: ChronikIndexer;
  const rejections: string[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, replayProtectionTime: scenario.switchAt });
    indexer = new ChronikIndexer({ url: devnet.url, backoffMs: 20, timeoutMs: 5_000 });
    const guess = new ReplaySwitch().active(regtest, (await indexer.tip()).medianTime);
    expect(guess === devnet.chain.replayProtectionActive()).toBe(scenario.guessRight);
  });

  afterAll(async () => {
    indexer?.close();
    await devnet?.close();
  });

  /** Broadcasts like WalletService.confirmSend: the wallet's guess first, the other side once. */
  async function broadcast(
    sign: (replayProtection: boolean) => Uint8Array,
    switches: ReplaySwitch,
  ) {
    const tip = await indexer.tip();
    const sent = await broadcastOnEitherSide(
      switches.active(regtest, tip.medianTime),
      sign,
      async (raw) => {
        try {
          return await indexer.broadcast(raw);
        } catch (err) {
          const reason = reasonOf(err);
          if (reason) rejections.push(reason);
          throw err;
        }
      },
      reasonOf,
    );
    switches.learn(regtest, sent.replayProtection, tip.medianTime);
    return sent;
  }

  it('is refused before the coin has afterBlocks confirmations and accepted with them', async () => {
    const switches = new ReplaySwitch();
    devnet.fund(vault.address, 50_000_000n);
    const fundedAt = devnet.mine(1);
    const coins = await indexer.utxos(vault.script);
    expect(coins).toHaveLength(1);
    expect(coins[0]?.blockHeight).toBe(fundedAt);

    const [status] = recoveryStatus(vault, coins, (await indexer.tip()).height);
    expect(status).toMatchObject({
      opensAtHeight: fundedAt + AFTER_BLOCKS,
      blocksLeft: AFTER_BLOCKS - 1,
      open: false,
    });
    const request = { vault, keyIndex: 0, coins, to: heir };
    expect(() =>
      buildRecoverySpend({
        ...request,
        tipHeight: fundedAt,
        secretKey: recoverySecret,
        replayProtection: false,
      }),
    ).toThrow(RecoveryNotOpenError);

    // Signed ahead of time, as if the lock had passed: the node holds it back (BIP68).
    const early = planRecoverySpend({ ...request, tipHeight: fundedAt + AFTER_BLOCKS - 1 });
    const signEarly = (side: boolean) => signRecoverySpend(early, recoverySecret, side).raw;
    await expect(broadcast(signEarly, switches)).rejects.toMatchObject({
      name: 'BroadcastRejectedError',
      reason: expect.stringMatching(/non-BIP68-final/),
    });
    // One block short: 9 confirmations of 10.
    devnet.mine(AFTER_BLOCKS - 2);
    let tip = await indexer.tip();
    expect(recoveryStatus(vault, coins, tip.height)[0]).toMatchObject({
      blocksLeft: 1,
      open: false,
    });
    await expect(broadcast(signEarly, switches)).rejects.toMatchObject({
      reason: expect.stringMatching(/non-BIP68-final/),
    });
    expect(rejections).toHaveLength(2);

    // The 10th confirmation opens the path.
    devnet.mine(1);
    tip = await indexer.tip();
    expect(tip.height).toBe(fundedAt + AFTER_BLOCKS - 1);
    expect(recoveryStatus(vault, coins, tip.height)[0]).toMatchObject({
      open: true,
      about: 'open now',
    });
    const plan = planRecoverySpend({ ...request, tipHeight: tip.height });
    rejections.length = 0;
    const sent = await broadcast(
      (side) => signRecoverySpend(plan, recoverySecret, side).raw,
      switches,
    );
    expect(sent.replayProtection).toBe(devnet.chain.replayProtectionActive());
    if (scenario.guessRight) expect(rejections).toEqual([]);
    else expect(rejections).toEqual([expect.stringMatching(/mandatory-script-verify-flag-failed/)]);
    // What the network accepted is what the wallet now believes.
    expect(switches.active(regtest, tip.medianTime)).toBe(sent.replayProtection);

    devnet.mine(1);
    expect(devnet.chain.txs.get(sent.txid)?.block?.height).toBe(fundedAt + AFTER_BLOCKS);
    expect(await indexer.utxos(vault.script)).toEqual([]);
    const received = await indexer.utxos(heir);
    expect(received.map((u) => u.value)).toEqual([plan.amount]);
    expect(plan.amount).toBe(50_000_000n - plan.fee);
  });
});
