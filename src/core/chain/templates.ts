import { concatBytes } from '@noble/hashes/utils.js';
import { parseCompressedPoint } from '../crypto/curve.ts';
import { ScriptError } from './errors.ts';
import { OP } from './opcodes.ts';
import { parseScript, pushData } from './script.ts';

/** OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG. */
export function p2pkhScript(hash160: Uint8Array): Uint8Array {
  if (hash160.length !== 20) throw new ScriptError('BAD_TEMPLATE', 'P2PKH needs a 20-byte hash');
  return concatBytes(
    Uint8Array.of(OP.OP_DUP, OP.OP_HASH160, 20),
    hash160,
    Uint8Array.of(OP.OP_EQUALVERIFY, OP.OP_CHECKSIG),
  );
}

/** OP_HASH160 <20> OP_EQUAL. */
export function p2shScript(hash160: Uint8Array): Uint8Array {
  if (hash160.length !== 20) throw new ScriptError('BAD_TEMPLATE', 'P2SH needs a 20-byte hash');
  return concatBytes(Uint8Array.of(OP.OP_HASH160, 20), hash160, Uint8Array.of(OP.OP_EQUAL));
}

/** Taproot: OP_SCRIPTTYPE OP_1 <33-byte commitment> [<32-byte state>]. */
export function taprootScript(commitment: Uint8Array, state?: Uint8Array): Uint8Array {
  parseCompressedPoint(commitment, 'Taproot commitment');
  const base = concatBytes(Uint8Array.of(OP.OP_SCRIPTTYPE, OP.OP_1, 33), commitment);
  if (!state) return base;
  if (state.length !== 32) throw new ScriptError('BAD_TEMPLATE', 'Taproot state must be 32 bytes');
  return concatBytes(base, Uint8Array.of(32), state);
}

/** OP_RETURN followed by data pushes. */
export function opReturnScript(data: Uint8Array[]): Uint8Array {
  return concatBytes(Uint8Array.of(OP.OP_RETURN), ...data.map(pushData));
}

export type ScriptType = 'p2pkh' | 'p2sh' | 'taproot' | 'op_return' | 'nonstandard';

export interface ClassifiedScript {
  type: ScriptType;
  /** 20-byte hash for p2pkh/p2sh, 33-byte commitment for taproot. */
  payload?: Uint8Array;
  /** Taproot state, when the output carries one. */
  state?: Uint8Array;
}

/** Recognises the output templates a wallet makes and spends. */
export function classifyScript(script: Uint8Array): ClassifiedScript {
  const s = script;
  if (
    s.length === 25 &&
    s[0] === OP.OP_DUP &&
    s[1] === OP.OP_HASH160 &&
    s[2] === 20 &&
    s[23] === OP.OP_EQUALVERIFY &&
    s[24] === OP.OP_CHECKSIG
  ) {
    return { type: 'p2pkh', payload: s.slice(3, 23) };
  }
  if (s.length === 23 && s[0] === OP.OP_HASH160 && s[1] === 20 && s[22] === OP.OP_EQUAL) {
    return { type: 'p2sh', payload: s.slice(2, 22) };
  }
  if (
    (s.length === 36 || s.length === 69) &&
    s[0] === OP.OP_SCRIPTTYPE &&
    s[1] === OP.OP_1 &&
    s[2] === 33
  ) {
    if (s.length === 36) return { type: 'taproot', payload: s.slice(3, 36) };
    if (s[36] === 32) return { type: 'taproot', payload: s.slice(3, 36), state: s.slice(37) };
  }
  if (s[0] === OP.OP_RETURN) {
    try {
      if (parseScript(s.subarray(1)).every((c) => c.opcode <= OP.OP_16))
        return { type: 'op_return' };
    } catch {
      // malformed push after OP_RETURN: nonstandard
    }
  }
  return { type: 'nonstandard' };
}
