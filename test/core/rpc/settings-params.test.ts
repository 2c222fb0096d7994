import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  ENVELOPE_TAG,
  type MethodParams,
  REPLAY_ACTIVATION_RANGE,
  Router,
  methodSpecs,
} from '../../../src/core/rpc/index.ts';
import { SettingsPatch } from '../../../src/core/wallet/wallet-service.ts';

const { min, max } = REPLAY_ACTIVATION_RANGE;
const boundary = methodSpecs.petal_walletSettings.params;

const accepted = [
  { replayActivation: { network: 'regtest', time: 1798074180 } },
  { replayActivation: { network: 'mainnet', time: min } },
  { replayActivation: { network: 'testnet', time: max } },
  { replayActivation: { network: 'testnet', time: null } },
  { network: 'regtest', replayActivation: { network: 'regtest', time: null } },
];
const rejected = [
  { replayActivation: { network: 'regtest', time: min - 1 } },
  { replayActivation: { network: 'regtest', time: max + 1 } },
  { replayActivation: { network: 'regtest', time: 1798074180000 } },
  { replayActivation: { network: 'regtest', time: 1798074180.5 } },
  { replayActivation: { network: 'regtest', time: '1798074180' } },
  { replayActivation: { network: 'signet', time: 1798074180 } },
  { replayActivation: { network: 'regtest' } },
  { replayActivation: { network: 'regtest', time: 1798074180, extra: 1 } },
  { replayActivation: null },
];

describe('petal_walletSettings params', () => {
  it('lets a replay-activation patch through the router to the handler', async () => {
    const seen: MethodParams<'petal_walletSettings'>[] = [];
    const router = new Router('background', {
      petal_walletSettings: (params) => {
        seen.push(params);
        return {} as never;
      },
    });
    const patch = { replayActivation: { network: 'regtest', time: 1798074180 } };
    const reply = await router.handle(
      {
        tag: ENVELOPE_TAG,
        kind: 'request',
        id: 's1',
        target: 'background',
        method: 'petal_walletSettings',
        params: patch,
      },
      { kind: 'extension', origin: 'chrome-extension://petal' },
    );
    expect(reply).not.toHaveProperty('error');
    expect(seen).toEqual([patch]);
  });

  it('accepts and rejects exactly the replay-activation patches the wallet does', () => {
    for (const patch of accepted) {
      expect(v.safeParse(boundary, patch).success, JSON.stringify(patch)).toBe(true);
      expect(v.safeParse(SettingsPatch, patch).success, JSON.stringify(patch)).toBe(true);
    }
    for (const patch of rejected) {
      expect(v.safeParse(boundary, patch).success, JSON.stringify(patch)).toBe(false);
      expect(v.safeParse(SettingsPatch, patch).success, JSON.stringify(patch)).toBe(false);
    }
  });
});
