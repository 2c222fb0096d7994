import { DecodeError } from './errors.ts';

/** Little-endian writer for Bitcoin-style serialisation. */
export class ByteWriter {
  #chunks: Uint8Array[] = [];
  #length = 0;

  bytes(data: Uint8Array): this {
    this.#chunks.push(data);
    this.#length += data.length;
    return this;
  }

  u8(value: number): this {
    return this.bytes(Uint8Array.of(value & 0xff));
  }

  u32(value: number): this {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value >>> 0, true);
    return this.bytes(out);
  }

  i32(value: number): this {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, value, true);
    return this.bytes(out);
  }

  u64(value: bigint): this {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    return this.bytes(out);
  }

  compactSize(n: number): this {
    if (n < 0xfd) return this.u8(n);
    if (n <= 0xffff) return this.u8(0xfd).bytes(Uint8Array.of(n & 0xff, n >> 8));
    if (n <= 0xffffffff) return this.u8(0xfe).u32(n);
    return this.u8(0xff).u64(BigInt(n));
  }

  varBytes(data: Uint8Array): this {
    return this.compactSize(data.length).bytes(data);
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

/** Reader that throws DecodeError on truncation instead of reading past the end. */
export class ByteReader {
  readonly #data: Uint8Array;
  readonly #view: DataView;
  offset = 0;

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.#data.length - this.offset;
  }

  #need(n: number): void {
    if (n > this.remaining)
      throw new DecodeError(`Truncated: need ${n} bytes at ${this.offset}, have ${this.remaining}`);
  }

  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.#data.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u8(): number {
    this.#need(1);
    return this.#data[this.offset++] as number;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  i32(): number {
    this.#need(4);
    const v = this.#view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }

  u64(): bigint {
    this.#need(8);
    const v = this.#view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }

  compactSize(): number {
    const first = this.u8();
    let value: number;
    if (first < 0xfd) return first;
    if (first === 0xfd) {
      this.#need(2);
      value = this.#view.getUint16(this.offset, true);
      this.offset += 2;
      if (value < 0xfd) throw new DecodeError('Non-canonical compact size');
    } else if (first === 0xfe) {
      value = this.u32();
      if (value <= 0xffff) throw new DecodeError('Non-canonical compact size');
    } else {
      const big = this.u64();
      if (big <= 0xffffffffn) throw new DecodeError('Non-canonical compact size');
      throw new DecodeError('Compact size too large');
    }
    return value;
  }

  varBytes(): Uint8Array {
    return this.bytes(this.compactSize());
  }
}
