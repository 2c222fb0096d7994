import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ByteWriter } from './bytes.ts';
import { ScriptError } from './errors.ts';
import { OP, OP_ALIASES, OP_NAMES } from './opcodes.ts';

/** One parsed script element: an opcode, with its data when it is a push. */
export interface ScriptChunk {
  opcode: number;
  data?: Uint8Array;
}

/** The shortest push of `data` (MINIMALDATA): OP_0, OP_1..16, OP_1NEGATE, direct or PUSHDATA. */
export function pushData(data: Uint8Array): Uint8Array {
  if (data.length === 0) return Uint8Array.of(OP.OP_0);
  if (data.length === 1 && (data[0] as number) >= 1 && (data[0] as number) <= 16) {
    return Uint8Array.of(OP.OP_1 + (data[0] as number) - 1);
  }
  if (data.length === 1 && data[0] === 0x81) return Uint8Array.of(OP.OP_1NEGATE);
  return rawPush(data);
}

/** A data push that always carries the bytes (no small-integer opcode substitution). */
export function rawPush(data: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  if (data.length < OP.OP_PUSHDATA1) w.u8(data.length);
  else if (data.length <= 0xff) w.u8(OP.OP_PUSHDATA1).u8(data.length);
  else if (data.length <= 0xffff)
    w.u8(OP.OP_PUSHDATA2).bytes(Uint8Array.of(data.length & 0xff, data.length >> 8));
  else w.u8(OP.OP_PUSHDATA4).u32(data.length);
  return w.bytes(data).finish();
}

/** Parses a script into chunks; a push running past the end throws ScriptError('BAD_OPCODE'). */
export function parseScript(script: Uint8Array): ScriptChunk[] {
  const chunks: ScriptChunk[] = [];
  let i = 0;
  while (i < script.length) {
    const opcode = script[i++] as number;
    if (opcode > OP.OP_PUSHDATA4 || opcode === OP.OP_0) {
      chunks.push({ opcode });
      continue;
    }
    let length: number;
    if (opcode < OP.OP_PUSHDATA1) length = opcode;
    else {
      const size = opcode === OP.OP_PUSHDATA1 ? 1 : opcode === OP.OP_PUSHDATA2 ? 2 : 4;
      if (i + size > script.length)
        throw new ScriptError('BAD_OPCODE', 'Push length runs past the end of the script');
      length = 0;
      for (let k = size - 1; k >= 0; k--) length = length * 256 + (script[i + k] as number);
      i += size;
    }
    if (i + length > script.length)
      throw new ScriptError('BAD_OPCODE', 'Push runs past the end of the script');
    chunks.push({ opcode, data: script.slice(i, i + length) });
    i += length;
  }
  return chunks;
}

/** Serialises chunks back to bytes (pushes keep their original opcode). */
export function buildScript(chunks: (ScriptChunk | number | Uint8Array)[]): Uint8Array {
  const w = new ByteWriter();
  for (const chunk of chunks) {
    if (typeof chunk === 'number') w.u8(chunk);
    else if (chunk instanceof Uint8Array) w.bytes(pushData(chunk));
    else if (chunk.data === undefined) w.u8(chunk.opcode);
    else w.bytes(pushWithOpcode(chunk.opcode, chunk.data));
  }
  return w.finish();
}

function pushWithOpcode(opcode: number, data: Uint8Array): Uint8Array {
  const w = new ByteWriter().u8(opcode);
  if (opcode === OP.OP_PUSHDATA1) w.u8(data.length);
  else if (opcode === OP.OP_PUSHDATA2) w.bytes(Uint8Array.of(data.length & 0xff, data.length >> 8));
  else if (opcode === OP.OP_PUSHDATA4) w.u32(data.length);
  return w.bytes(data).finish();
}

/** Minimal script-number encoding (CScriptNum). */
export function encodeScriptNum(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  const negative = value < 0n;
  let abs = negative ? -value : value;
  const out: number[] = [];
  while (abs > 0n) {
    out.push(Number(abs & 0xffn));
    abs >>= 8n;
  }
  if ((out[out.length - 1] as number) & 0x80) out.push(negative ? 0x80 : 0);
  else if (negative) out[out.length - 1] = (out[out.length - 1] as number) | 0x80;
  return Uint8Array.from(out);
}

/**
 * Parses lotusd's test ASM: opcode names with or without `OP_`, decimal numbers (pushed as
 * script numbers), `0x…` raw bytes inserted verbatim, and `'…'` string pushes.
 */
export function parseAsm(asm: string): Uint8Array {
  const w = new ByteWriter();
  for (const token of asm.trim().split(/\s+/).filter(Boolean)) {
    if (/^-?\d+$/.test(token)) {
      const n = BigInt(token);
      if (n === 0n) w.u8(OP.OP_0);
      else if (n === -1n) w.u8(OP.OP_1NEGATE);
      else if (n >= 1n && n <= 16n) w.u8(OP.OP_1 + Number(n) - 1);
      else w.bytes(rawPush(encodeScriptNum(n)));
    } else if (token.startsWith('0x')) {
      if (!/^0x([0-9a-fA-F]{2})+$/.test(token))
        throw new ScriptError('BAD_ASM', `Bad hex token ${token}`);
      w.bytes(hexToBytes(token.slice(2)));
    } else if (token.startsWith("'") && token.endsWith("'") && token.length >= 2) {
      w.bytes(rawPush(utf8ToBytes(token.slice(1, -1))));
    } else {
      const name = token.startsWith('OP_') ? token : `OP_${token}`;
      const code = (OP as Record<string, number>)[name] ?? OP_ALIASES[name];
      if (code === undefined) throw new ScriptError('BAD_ASM', `Unknown opcode ${token}`);
      w.u8(code);
    }
  }
  return w.finish();
}

/** Human-readable disassembly, for decoded-transaction screens and logs. */
export function toAsm(script: Uint8Array): string {
  return parseScript(script)
    .map((c) =>
      c.data !== undefined
        ? bytesToHex(c.data)
        : (OP_NAMES[c.opcode] ?? `0x${c.opcode.toString(16)}`),
    )
    .join(' ');
}
