import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { p2pkhScript, regtest } from '../../../src/core/chain/index.ts';
import { serializeUnsignedSpend } from '../../../src/core/chain/unsigned-spend.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import { checkSpend } from '../../../src/core/p2p/spend-check.ts';
import { createVault } from '../../../src/core/wallet/vault.ts';
import {
  KEYPATH_SCRIPTSIG_BYTES,
  buildVaultSpend,
  maxScriptSigBytes,
} from '../../../src/core/wallet/vault-spend.ts';

const keys = (n: number) => Array.from({ length: n }, () => getPublicKey(randomBytes(32)));
const coins = (script: Uint8Array, values: bigint[]) =>
  values.map((value) => ({ outpoint: { txid: randomBytes(32), vout: 0 }, value, script }));

describe('vault spends are priced for the path they may take', () => {
  it('an n-of-n spend pays for key-path inputs and passes every member check', () => {
    const vault = createVault(keys(3), regtest, 'pair');
    const spend = buildVaultSpend(vault, coins(vault.script, [10_000_000n]), [
      { value: 1_000_000n, script: p2pkhScript(randomBytes(20)) },
    ]);
    expect(maxScriptSigBytes(vault, true)).toBe(KEYPATH_SCRIPTSIG_BYTES);
    expect(() => checkSpend(vault, serializeUnsignedSpend(spend), false)).not.toThrow();
  });

  it('a threshold spend pays for its largest leaf, so a leaf signature still relays', () => {
    const vault = createVault(keys(5), regtest, 'council', { threshold: 3 });
    const utxos = coins(vault.script, [10_000_000n, 20_000_000n]);
    const payee = { value: 25_000_000n, script: p2pkhScript(randomBytes(20)) };
    const spend = buildVaultSpend(vault, utxos, [payee]);
    // Signature, leaf script and a control block for a 10-leaf tree (depth 4).
    expect(maxScriptSigBytes(vault, true)).toBe(66 + 36 + 2 + 33 + 4 * 32);
    const bytes = serializeUnsignedSpend(spend);
    expect(() => checkSpend(vault, bytes, false, {}, { leaves: true })).not.toThrow();
    // Priced for the key path only, the same payment would be refused once leaves are allowed.
    const keyPathVault = { ...vault, threshold: vault.members.length };
    const cheap = serializeUnsignedSpend(buildVaultSpend(keyPathVault, utxos, [payee]));
    expect(() => checkSpend(vault, cheap, false, {}, { leaves: true })).toThrow(
      /below the network's minimum/,
    );
  });
});
