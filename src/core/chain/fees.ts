import { classifyScript } from './templates.ts';
import { serializeOutput } from './transaction.ts';

/** How an input will be signed; decides its exact size. */
export type InputKind = 'taproot-keypath' | 'p2pkh-schnorr' | 'p2pkh-ecdsa';

/**
 * Serialized input sizes: outpoint 36 + script length 1 + scriptSig + sequence 4.
 * Key path: one 65-byte push (66). P2PKH Schnorr: 65-byte sig + 33-byte key (100).
 * P2PKH ECDSA: up to 73-byte DER+type + key (108), the worst case so the fee never falls short.
 */
export const INPUT_SIZE: Record<InputKind, number> = {
  'taproot-keypath': 107,
  'p2pkh-schnorr': 141,
  'p2pkh-ecdsa': 149,
};

function compactSizeLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

/**
 * Exact serialized size of a transaction with these inputs (a kind, or an input's serialized
 * size in bytes) and output scripts.
 */
export function estimateSize(inputs: (InputKind | number)[], outputScripts: Uint8Array[]): number {
  return (
    8 +
    compactSizeLength(inputs.length) +
    compactSizeLength(outputScripts.length) +
    inputs.reduce<number>(
      (s, kind) => s + (typeof kind === 'number' ? kind : INPUT_SIZE[kind]),
      0,
    ) +
    outputScripts.reduce((s, script) => s + serializeOutput({ value: 0n, script }).length, 0)
  );
}

/** Serialized size of an input whose scriptSig is `scriptSigBytes` long. */
export function inputSize(scriptSigBytes: number): number {
  return 36 + compactSizeLength(scriptSigBytes) + scriptSigBytes + 4;
}

/** The input kind a wallet uses to spend an output script. */
export function inputKindFor(script: Uint8Array, ecdsa = false): InputKind {
  const type = classifyScript(script).type;
  if (type === 'taproot') return 'taproot-keypath';
  if (type === 'p2pkh') return ecdsa ? 'p2pkh-ecdsa' : 'p2pkh-schnorr';
  throw new Error(`Cannot spend a ${type} output`);
}
