/**
 * Renders Petal's icon (five petals around a centre) to PNGs in public/icons. Run once when the
 * design changes: `node scripts/make-icons.ts`. Pure Node: zlib for the PNG stream.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const PETAL = [138, 63, 252];
const CENTRE = [255, 196, 61];

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function coverage(size: number, x: number, y: number): { petal: number; centre: number } {
  // 4×4 supersampling for smooth edges.
  let petal = 0;
  let centre = 0;
  for (let sy = 0; sy < 4; sy++) {
    for (let sx = 0; sx < 4; sx++) {
      const px = ((x + (sx + 0.5) / 4) / size) * 2 - 1;
      const py = ((y + (sy + 0.5) / 4) / size) * 2 - 1;
      const r = Math.hypot(px, py);
      const theta = Math.atan2(py, px);
      if (r < 0.28) centre++;
      else if (r < 0.95 * Math.abs(Math.cos((5 * theta) / 2))) petal++;
    }
  }
  return { petal: petal / 16, centre: centre / 16 };
}

function png(size: number): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const { petal, centre } = coverage(size, x, y);
      const alpha = Math.min(1, petal + centre);
      const colour = centre > 0 ? CENTRE : PETAL;
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = colour[0] as number;
      raw[o + 1] = colour[1] as number;
      raw[o + 2] = colour[2] as number;
      raw[o + 3] = Math.round(alpha * 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ]);
}

mkdirSync('public/icons', { recursive: true });
for (const size of [16, 32, 48, 128]) writeFileSync(`public/icons/icon-${size}.png`, png(size));
console.log('Wrote public/icons/icon-{16,32,48,128}.png');
