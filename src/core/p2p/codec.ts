/**
 * Big-endian byte reader and writer for protocol payloads. The reader never reads past the end
 * and fails only with MessageDecodeError, so every payload decoder built on it inherits the
 * "typed error, never a crash" property the fuzz tests check.
 */
import { MessageDecodeError } from './envelope.ts';

export class Writer {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  bytes(data: Uint8Array): this {
    this.#chunks.push(data);
    this.#length += data.length;
    return this;
  }

  u8(value: number): this {
    return this.bytes(Uint8Array.of(value & 0xff));
  }

  u16(value: number): this {
    return this.bytes(Uint8Array.of((value >>> 8) & 0xff, value & 0xff));
  }

  u32(value: number): this {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value >>> 0);
    return this.bytes(out);
  }

  u64(value: number): this {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(Math.floor(value)));
    return this.bytes(out);
  }

  /** u8 length ‖ bytes. */
  short(data: Uint8Array): this {
    if (data.length > 0xff) throw new MessageDecodeError('too-large', 'field over 255 bytes');
    return this.u8(data.length).bytes(data);
  }

  /** u16 length ‖ bytes. */
  medium(data: Uint8Array): this {
    if (data.length > 0xffff) throw new MessageDecodeError('too-large', 'field over 65535 bytes');
    return this.u16(data.length).bytes(data);
  }

  /** u32 length ‖ bytes. */
  long(data: Uint8Array): this {
    return this.u32(data.length).bytes(data);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

export class Reader {
  readonly #data: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.#data.length - this.#offset;
  }

  #need(n: number): void {
    if (n > this.remaining) throw new MessageDecodeError('truncated', 'payload is truncated');
  }

  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.#data.slice(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  u8(): number {
    this.#need(1);
    return this.#data[this.#offset++] as number;
  }

  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return v;
  }

  u64(): number {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MessageDecodeError('bad-field', 'u64');
    return Number(v);
  }

  short(max = 0xff): Uint8Array {
    const n = this.u8();
    if (n > max) throw new MessageDecodeError('too-large', 'field too long');
    return this.bytes(n);
  }

  medium(max = 0xffff): Uint8Array {
    const n = this.u16();
    if (n > max) throw new MessageDecodeError('too-large', 'field too long');
    return this.bytes(n);
  }

  long(max: number): Uint8Array {
    const n = this.u32();
    if (n > max) throw new MessageDecodeError('too-large', 'field too long');
    return this.bytes(n);
  }

  /** Strict decoders end here: trailing bytes are an error, not ignored. */
  end(): void {
    if (this.remaining !== 0) throw new MessageDecodeError('bad-length', 'trailing bytes');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new MessageDecodeError('bad-field', 'text is not UTF-8');
  }
}
