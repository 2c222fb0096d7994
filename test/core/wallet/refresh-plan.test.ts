/**
 * Who proposes a refresh and when: the coins due within the margin, minus those an open session
 * spends or this wallet proposed before, by member 0 at once and member i only after i × 2 minutes.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { regtest } from '../../../src/core/chain/network.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import {
  EMPTY_REFRESH_MEMORY,
  MAX_REFRESH_INPUTS,
  REFRESH_STAGGER_MS,
  type RefreshCheck,
  markProposed,
  outpointKey,
  planRefresh,
  refreshMemo,
} from '../../../src/core/wallet/refresh-plan.ts';
import {
  type RecoveryCoin,
  RecoveryError,
  buildRefreshSpend,
} from '../../../src/core/wallet/vault-recovery.ts';
import { createVault } from '../../../src/core/wallet/vault.ts';

const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));
const members = [1, 2, 3].map((n) => getPublicKey(secret(n)));
const recoveryKey = getPublicKey(secret(41));
// afterBlocks 800: the 720-block minimum margin applies, so a coin is due from its 80th block.
const vault = createVault(members, regtest, 'home', {
  threshold: 2,
  recovery: { afterBlocks: 800, keys: [recoveryKey], threshold: 1 },
});
const noRecovery = createVault(members, regtest, 'plain', { threshold: 2 });

const coin = (n: number, blockHeight: number, value = 5_000_000n): RecoveryCoin => ({
  txid: n.toString(16).padStart(64, '0'),
  vout: 0,
  value,
  blockHeight,
});

const T0 = 1_700_000_000_000;
const check = (over: Partial<RefreshCheck<RecoveryCoin>>): RefreshCheck<RecoveryCoin> => ({
  vault,
  me: 0,
  coins: [],
  tipHeight: 1_000,
  now: T0,
  busy: new Set(),
  memory: EMPTY_REFRESH_MEMORY,
  ...over,
});

describe('planRefresh', () => {
  it('proposes nothing while every coin is further than the margin from opening', () => {
    // Confirmed at 1,000: opens at 1,800; with the tip at 1,078 that is 721 blocks away.
    const d = planRefresh(check({ coins: [coin(1, 1_000)], tipHeight: 1_078 }));
    expect(d.action).toBe('none');
    expect(d.memory).toEqual(EMPTY_REFRESH_MEMORY);
  });

  it('member 0 proposes the due coins at once, most urgent first, saying when the path opens', () => {
    const late = coin(1, 1_010);
    const early = coin(2, 1_000);
    const fresh = coin(3, 1_070);
    const d = planRefresh(check({ coins: [late, early, fresh], tipHeight: 1_089 }));
    expect(d).toMatchObject({
      action: 'propose',
      coins: [early, late],
      // The earliest opens at 1,800; the node judges block 1,090: 710 blocks left.
      memo: 'Refresh: the recovery path opens in 710 blocks, about 24 hours',
    });
    // What it proposes is a spend the vault's members can sign.
    if (d.action === 'propose') expect(() => buildRefreshSpend(vault, d.coins)).not.toThrow();
  });

  it('member i waits i × 2 minutes from when it first saw the coins due', () => {
    const coins = [coin(1, 1_000)];
    const first = planRefresh(check({ me: 2, coins, tipHeight: 1_080 }));
    expect(first).toMatchObject({ action: 'wait', at: T0 + 2 * REFRESH_STAGGER_MS });
    // A later block does not restart the wait.
    const later = planRefresh(
      check({ me: 2, coins, tipHeight: 1_085, now: T0 + 60_000, memory: first.memory }),
    );
    expect(later).toMatchObject({ action: 'wait', at: T0 + 2 * REFRESH_STAGGER_MS });
    const due = planRefresh(
      check({ me: 2, coins, tipHeight: 1_090, now: T0 + 4 * 60_000, memory: later.memory }),
    );
    expect(due).toMatchObject({ action: 'propose', coins });
  });

  it('leaves coins an open session already spends to that session', () => {
    const coins = [coin(1, 1_000), coin(2, 1_001)];
    const busy = new Set([outpointKey(coins[0] as RecoveryCoin)]);
    const d = planRefresh(check({ coins, tipHeight: 1_090, busy }));
    expect(d).toMatchObject({ action: 'propose', coins: [coins[1]] });
    const all = planRefresh(
      check({ coins, tipHeight: 1_090, busy: new Set(coins.map(outpointKey)) }),
    );
    expect(all.action).toBe('none');
  });

  it('a staggered member stands down when the first proposal reaches it before its turn', () => {
    const coins = [coin(1, 1_000)];
    const waiting = planRefresh(check({ me: 1, coins, tipHeight: 1_080 }));
    expect(waiting.action).toBe('wait');
    const busy = new Set(coins.map(outpointKey));
    const after = planRefresh(
      check({
        me: 1,
        coins,
        tipHeight: 1_080,
        now: T0 + REFRESH_STAGGER_MS,
        busy,
        memory: waiting.memory,
      }),
    );
    expect(after.action).toBe('none');
    // Its wait starts over if that session ends without spending them (declined, expired).
    const freed = planRefresh(
      check({ me: 1, coins, tipHeight: 1_100, now: T0 + 10 * 60_000, memory: after.memory }),
    );
    expect(freed).toMatchObject({ action: 'wait', at: T0 + 10 * 60_000 + REFRESH_STAGGER_MS });
  });

  it('never proposes the same coins twice, but does propose coins that became due since', () => {
    const old = coin(1, 1_000);
    const first = planRefresh(check({ coins: [old], tipHeight: 1_080 }));
    expect(first.action).toBe('propose');
    const memory = markProposed(first.memory, [old], T0);
    // The session ended (declined): the coin is still unspent, and still not proposed again.
    expect(
      planRefresh(check({ coins: [old], tipHeight: 1_200, now: T0 + 3_600_000, memory })),
    ).toMatchObject({ action: 'none' });
    const young = coin(2, 1_130);
    expect(
      planRefresh(check({ coins: [old, young], tipHeight: 1_210, now: T0 + 7_200_000, memory })),
    ).toMatchObject({ action: 'propose', coins: [young] });
  });

  it('forgets coins once they are spent, so its memory stays bounded', () => {
    const old = coin(1, 1_000);
    const memory = markProposed(EMPTY_REFRESH_MEMORY, [old], T0);
    const d = planRefresh(check({ coins: [coin(2, 1_050)], tipHeight: 1_060, memory }));
    expect(d.memory).toEqual(EMPTY_REFRESH_MEMORY);
  });

  it('ignores unconfirmed coins (their clock has not started)', () => {
    expect(planRefresh(check({ coins: [coin(1, -1)], tipHeight: 5_000 })).action).toBe('none');
  });

  it('proposes at most the inputs one session signs, the most urgent ones', () => {
    const coins = Array.from({ length: MAX_REFRESH_INPUTS + 4 }, (_, i) => coin(i + 1, 2_000 - i));
    const d = planRefresh(check({ coins, tipHeight: 2_200 }));
    expect(d.action).toBe('propose');
    if (d.action !== 'propose') return;
    expect(d.coins).toHaveLength(MAX_REFRESH_INPUTS);
    expect(d.coins[0]).toBe(coins[coins.length - 1]);
    expect(d.coins).not.toContain(coins[0]);
  });

  it('says so when the most urgent coin is already open', () => {
    expect(refreshMemo(vault, [coin(1, 1_000), coin(2, 1_500)], 1_900)).toBe(
      'Refresh: the recovery path is open now',
    );
  });

  it('refuses a vault without a recovery path', () => {
    expect(() => planRefresh(check({ vault: noRecovery, coins: [coin(1, 10)] }))).toThrow(
      RecoveryError,
    );
  });

  it('a wallet that is not a member only remembers, never proposes', () => {
    const d = planRefresh(check({ me: -1, coins: [coin(1, 1_000)], tipHeight: 1_090 }));
    expect(d.action).toBe('none');
  });
});
