import { concatBytes } from '@noble/hashes/utils.js';
import { ecdsaSign } from '../crypto/ecdsa.ts';
import { hash160, sha256d } from '../crypto/hash.ts';
import { getPublicKey, schnorrSign } from '../crypto/schnorr.ts';
import { tweakPublicKey, tweakSecretKey } from '../crypto/taproot.ts';
import { ChainError } from './errors.ts';
import type { NetworkParams } from './network.ts';
import { rawPush } from './script.ts';
import {
  type ReplayProtection,
  SIGHASH_ALL,
  SIGHASH_FORKID,
  SIGHASH_LOTUS,
  sighashForkId,
  sighashLotus,
  withForkValue,
} from './sighash.ts';
import { classifyScript } from './templates.ts';
import type { SpentOutput, Transaction, TxOutput } from './transaction.ts';
import type { Utxo } from './coin-selection.ts';

export const SEQUENCE_FINAL = 0xffffffff;

/** An unsigned version-2 transaction spending `inputs` to `outputs` (empty scriptSigs). */
export function buildUnsignedTx(
  inputs: Pick<Utxo, 'outpoint'>[],
  outputs: TxOutput[],
  options: { locktime?: number; sequence?: number } = {},
): Transaction {
  return {
    version: 2,
    inputs: inputs.map((u) => ({
      prevout: u.outpoint,
      scriptSig: new Uint8Array(0),
      sequence: options.sequence ?? SEQUENCE_FINAL,
    })),
    outputs,
    locktime: options.locktime ?? 0,
  };
}

export class SigningError extends ChainError {
  override name = 'SigningError';
}

export interface SignOptions {
  network: NetworkParams;
  replay: ReplayProtection;
  /** P2PKH: sign with ECDSA instead of Schnorr. */
  ecdsa?: boolean;
  /** P2PKH: use SIGHASH_LOTUS (with execution data) instead of the default SIGHASH_FORKID. */
  p2pkhLotus?: boolean;
}

/**
 * Signs every input this wallet holds a key for: P2PKH (ALL|FORKID, or ALL|LOTUS with execution
 * data; Schnorr or ECDSA) and single-key Taproot key path (ALL|LOTUS, spend type 0, the tweaked
 * key). `keyFor` maps a spent output script to the secret key (untweaked for Taproot).
 *
 * @throws SigningError if an input has no key or an unsupported script.
 */
export function signTransaction(
  tx: Transaction,
  spent: SpentOutput[],
  keyFor: (script: Uint8Array) => Uint8Array | undefined,
  options: SignOptions,
): Transaction {
  const signed: Transaction = { ...tx, inputs: tx.inputs.map((i) => ({ ...i })) };
  signed.inputs.forEach((input, index) => {
    const out = spent[index];
    if (!out) throw new SigningError(`No spent output for input ${index}`);
    const secretKey = keyFor(out.script);
    if (!secretKey) throw new SigningError(`No key for input ${index}`);
    const kind = classifyScript(out.script);
    if (kind.type === 'p2pkh') {
      const publicKey = getPublicKey(secretKey);
      if (!equal(hash160(publicKey), kind.payload as Uint8Array))
        throw new SigningError(`Key does not match input ${index}`);
      const byte = SIGHASH_ALL | (options.p2pkhLotus ? SIGHASH_LOTUS : SIGHASH_FORKID);
      const hashType = withForkValue(byte, options.network.forkValue);
      const digest = options.p2pkhLotus
        ? sighashLotus(
            tx,
            index,
            spent,
            hashType,
            { codeSeparatorPos: 0xffffffff, executedScriptHash: sha256d(out.script) },
            options.replay,
          )
        : sighashForkId(tx, index, out.script, out.value, hashType, options.replay);
      const sig = options.ecdsa ? ecdsaSign(digest, secretKey) : schnorrSign(digest, secretKey);
      input.scriptSig = concatBytes(
        rawPush(concatBytes(sig, Uint8Array.of(byte))),
        rawPush(publicKey),
      );
    } else if (kind.type === 'taproot') {
      const tweaked = tweakSecretKey(secretKey);
      if (!equal(tweakPublicKey(getPublicKey(secretKey)), kind.payload as Uint8Array)) {
        throw new SigningError(`Key does not match Taproot input ${index}`);
      }
      const byte = SIGHASH_ALL | SIGHASH_LOTUS;
      const digest = sighashLotus(
        tx,
        index,
        spent,
        withForkValue(byte, options.network.forkValue),
        undefined,
        options.replay,
      );
      input.scriptSig = rawPush(concatBytes(schnorrSign(digest, tweaked), Uint8Array.of(byte)));
    } else {
      throw new SigningError(`Input ${index} spends a ${kind.type} output this wallet cannot sign`);
    }
  });
  return signed;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
