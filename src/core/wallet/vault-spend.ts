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
import { inputSize } from '../chain/fees.ts';
import { rawPush } from '../chain/script.ts';
import type { Vault } from './vault.ts';

/** A Taproot key-path input's scriptSig: one push of the 64-byte signature and the hash type. */
export const KEYPATH_SCRIPTSIG_BYTES = 66;

/**
 * The largest scriptSig a spend of `vault` can carry: the key path's signature, or with leaves the
 * signature, the leaf script and its control block of the deepest signing leaf.
 */
export function maxScriptSigBytes(vault: Vault, leaves: boolean): number {
  let largest = KEYPATH_SCRIPTSIG_BYTES;
  if (!leaves) return largest;
  for (const leaf of vault.leaves) {
    if (leaf.kind !== 'signers') continue;
    const size =
      KEYPATH_SCRIPTSIG_BYTES + rawPush(leaf.script).length + rawPush(leaf.controlBlock).length;
    largest = Math.max(largest, size);
  }
  return largest;
}

/** Whether the vault's sessions may sign through a script leaf (a threshold vault). */
export function hasSigningLeaves(vault: Vault): boolean {
  return vault.threshold < vault.members.length;
}

export function buildVaultSpend(
  vault: Vault,
  utxos: Utxo[],
  payments: TxOutput[],
  options: Pick<SelectOptions, 'feePerByte'> = {},
): UnsignedSpend {
  const own = utxos.filter((u) => u.script.every((b, i) => b === vault.script[i]));
  // A threshold vault's session may end on a leaf: price every input for the largest one.
  const selection = selectCoins(own, payments, {
    ...options,
    changeScript: vault.script,
    ...(hasSigningLeaves(vault) ? { inputBytes: inputSize(maxScriptSigBytes(vault, true)) } : {}),
  });
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
