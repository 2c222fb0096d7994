import { describe, expect, it } from 'vitest';
import { mainnet, regtest } from '../../../src/core/chain/network.ts';
import {
  ReplaySwitch,
  broadcastOnEitherSide,
  isScriptVerifyRejection,
} from '../../../src/core/chain/replay-side.ts';

const T = regtest.replayProtectionActivationTime;
const NULLFAIL =
  'mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)';

describe('ReplaySwitch: the side the wallet signs for', () => {
  it("starts from lotusd's activation time: on from the tip whose median time past reaches it", () => {
    const side = new ReplaySwitch();
    expect(side.active(regtest, T - 1)).toBe(false);
    expect(side.active(regtest, T)).toBe(true);
  });

  it("uses the user's activation time for that network only", () => {
    const side = new ReplaySwitch({
      activationTime: (n) => (n === 'regtest' ? T - 1000 : undefined),
    });
    expect(side.activationTime(regtest)).toBe(T - 1000);
    expect(side.active(regtest, T - 1000)).toBe(true);
    expect(side.active(mainnet, T - 1000)).toBe(false);
  });

  it('learns from what the network accepted: an accepted side bounds the switch', () => {
    const learned: unknown[] = [];
    const side = new ReplaySwitch({ onLearn: (n, m) => learned.push([n, m]) });
    // The node took replay-protected signatures a month before the table's time.
    side.learn(regtest, true, T - 30 * 86_400);
    expect(side.active(regtest, T - 30 * 86_400)).toBe(true);
    expect(side.active(regtest, T - 20 * 86_400)).toBe(true);
    expect(side.active(regtest, T - 31 * 86_400)).toBe(false); // before it: the table again
    expect(learned).toEqual([['regtest', { onAt: T - 30 * 86_400 }]]);
    // Learning the same bound again reports nothing new.
    side.learn(regtest, true, T - 20 * 86_400);
    expect(learned).toHaveLength(1);
  });

  it('an unprotected acceptance after the table time keeps the wallet off up to that tip', () => {
    const side = new ReplaySwitch();
    side.learn(regtest, false, T + 3600);
    expect(side.active(regtest, T + 3600)).toBe(false);
    expect(side.active(regtest, T + 3601)).toBe(true);
  });

  it('the newest observation wins over one it contradicts (a moved switch, a new devnet)', () => {
    const side = new ReplaySwitch();
    side.learn(regtest, true, T - 1000);
    side.learn(regtest, false, T + 500);
    expect(side.memory('regtest')).toEqual({ offAt: T + 500 });
    expect(side.active(regtest, T)).toBe(false);
  });

  it('restores what was stored, and forgets on request', () => {
    const side = new ReplaySwitch();
    side.restore({ regtest: { onAt: T - 5 } });
    expect(side.active(regtest, T - 5)).toBe(true);
    side.forget('regtest');
    expect(side.active(regtest, T - 5)).toBe(false);
  });
});

describe('broadcastOnEitherSide', () => {
  const rejected = (reason: string) => Object.assign(new Error(reason), { reason });
  const reasonOf = (err: unknown) => (err as { reason?: string }).reason;

  it('sends once when the node takes the first side', async () => {
    const sent: boolean[] = [];
    const result = await broadcastOnEitherSide(
      true,
      (side) => Uint8Array.of(side ? 1 : 0),
      async (raw) => {
        sent.push(raw[0] === 1);
        return 'txid';
      },
      reasonOf,
    );
    expect(result).toEqual({ txid: 'txid', replayProtection: true });
    expect(sent).toEqual([true]);
  });

  it('re-signs for the other side once after a script-verification rejection', async () => {
    const sent: boolean[] = [];
    const result = await broadcastOnEitherSide(
      false,
      (side) => Uint8Array.of(side ? 1 : 0),
      async (raw) => {
        sent.push(raw[0] === 1);
        if (raw[0] === 0) throw rejected(NULLFAIL);
        return 'txid';
      },
      reasonOf,
    );
    expect(result).toEqual({ txid: 'txid', replayProtection: true });
    expect(sent).toEqual([false, true]);
  });

  it('does not retry other rejections, and gives up after the second side', async () => {
    let sends = 0;
    const broadcast = async () => {
      sends++;
      throw rejected('bad-txns-inputs-missingorspent');
    };
    await expect(
      broadcastOnEitherSide(true, () => new Uint8Array(1), broadcast, reasonOf),
    ).rejects.toThrow('missingorspent');
    expect(sends).toBe(1);
    sends = 0;
    await expect(
      broadcastOnEitherSide(
        true,
        () => new Uint8Array(1),
        async () => {
          sends++;
          throw rejected(NULLFAIL);
        },
        reasonOf,
      ),
    ).rejects.toThrow('mandatory-script-verify-flag-failed');
    expect(sends).toBe(2);
  });

  it("recognises lotusd's script-verification rejections only", () => {
    expect(isScriptVerifyRejection(NULLFAIL)).toBe(true);
    expect(
      isScriptVerifyRejection(
        'mandatory-script-verify-flag-failed (Invalid Taproot key spend signature)',
      ),
    ).toBe(true);
    expect(isScriptVerifyRejection('min relay fee not met')).toBe(false);
    expect(
      isScriptVerifyRejection('non-mandatory-script-verify-flag (Non-canonical signature)'),
    ).toBe(false);
  });
});
