/**
 * Builds the unsigned spend a vault member proposes: coins chosen from the vault's outputs, the
 * payments, change back to the vault, and the fee for key-path inputs (one 65-byte signature
 * each). Every member checks the same bytes again before approving (src/core/p2p/spend-check.ts).
 */
import {
  type SelectOptions,
  type TxOutput,
  type Utxo,
  SIGHASH_ALL,
  SIGHASH_LOTUS,
  buildUnsignedTx,
  selectCoins,
  withForkValue,
} from '../chain/index.ts';
import type { UnsignedSpend } from '../chain/unsigned-spend.ts';
import type { Vault } from './vault.ts';

export function buildVaultSpend(
  vault: Vault,
  utxos: Utxo[],
  payments: TxOutput[],
  options: Pick<SelectOptions, 'feePerByte'> = {},
): UnsignedSpend {
  const own = utxos.filter((u) => u.script.every((b, i) => b === vault.script[i]));
  const selection = selectCoins(own, payments, { ...options, changeScript: vault.script });
  const outputs =
    selection.change > 0n
      ? [...payments, { value: selection.change, script: vault.script }]
      : payments;
  return {
    network: vault.network,
    tx: buildUnsignedTx(selection.inputs, outputs),
    spent: selection.inputs.map((u) => ({ value: u.value, script: u.script })),
    hashType: withForkValue(SIGHASH_ALL | SIGHASH_LOTUS, vault.network.forkValue),
  };
}
