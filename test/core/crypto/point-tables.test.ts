import { bytesToHex } from '@noble/hashes/utils.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Point } from '../../../src/core/crypto/curve.ts';
import { G, N, mod } from '../../../src/core/crypto/curve.ts';
import {
  MAX_TABLES,
  hasTable,
  isPinned,
  pinTables,
  resetTables,
  tableFor,
  tableStats,
  unpinTables,
} from '../../../src/core/crypto/point-tables.ts';
import { SigningKey, schnorrSign, schnorrVerify } from '../../../src/core/crypto/index.ts';
import {
  type Envelope,
  MessageType,
  holdSessionKeys,
  openEnvelope,
  releaseSessionKeys,
  sealEnvelope,
  verifyEnvelope,
} from '../../../src/core/p2p/envelope.ts';

/** Distinct points k·G (k = seed + 1, 2, …) with their compressed keys in hex. */
function keys(count: number, seed: number): { id: string; point: InstanceType<typeof Point> }[] {
  return Array.from({ length: count }, (_, i) => {
    const point = G.multiplyUnsafe(BigInt(seed * 1000 + i + 1));
    return { id: bytesToHex(point.toBytes(true)), point };
  });
}

function secret(i: number): Uint8Array {
  const sk = new Uint8Array(32);
  sk[0] = 7;
  sk[31] = i + 1;
  return sk;
}

const base: Envelope = {
  type: MessageType.nonces,
  vaultId: new Uint8Array(32).fill(1),
  sessionId: new Uint8Array(32).fill(2),
  signerIndex: 0,
  sequence: 1,
  transcriptHash: new Uint8Array(32).fill(9),
  sentAt: 1_800_000_000_000,
  payload: new Uint8Array([1, 2, 3]),
};

describe('shared multiplication tables', () => {
  beforeEach(() => resetTables());

  it('gives every member of an open 40-member session a table from its first envelope (no cap at 16)', () => {
    const members = Array.from({ length: 40 }, (_, i) => new SigningKey(secret(i)));
    const sessionId = new Uint8Array(32).fill(3);
    holdSessionKeys(
      sessionId,
      members.map((m) => m.publicKey),
    );
    members.forEach((member, i) => {
      const env = openEnvelope(sealEnvelope({ ...base, sessionId, signerIndex: i }, member));
      expect(verifyEnvelope(env, member.publicKey)).toBe(true);
      // A forged copy (another member's key) still fails through the table.
      const other = members[(i + 1) % members.length] as SigningKey;
      expect(verifyEnvelope(env, other.publicKey)).toBe(false);
    });
    for (const m of members) expect(hasTable(bytesToHex(m.publicKey))).toBe(true);
    expect(tableStats()).toMatchObject({ pinnedKeys: 40, owners: 1 });
    releaseSessionKeys(sessionId);
    expect(tableStats()).toMatchObject({ pinnedKeys: 0, owners: 0, tables: 40 });
  });

  it('keeps at most MAX_TABLES tables, dropping the least recently used unpinned key first', () => {
    const many = keys(MAX_TABLES + 20, 1);
    for (const { id, point } of many) expect(tableFor(id, point)).toBeDefined();
    expect(tableStats().tables).toBe(MAX_TABLES);
    expect(hasTable((many[0] as { id: string }).id)).toBe(false);
    expect(hasTable((many[19] as { id: string }).id)).toBe(false);
    expect(hasTable((many[20] as { id: string }).id)).toBe(true);
    // Touching a key makes it recent: the next eviction takes the one after it.
    const touched = many[20] as { id: string; point: InstanceType<typeof Point> };
    tableFor(touched.id, touched.point);
    const extra = keys(1, 2)[0] as { id: string; point: InstanceType<typeof Point> };
    tableFor(extra.id, extra.point);
    expect(hasTable(touched.id)).toBe(true);
    expect(hasTable((many[21] as { id: string }).id)).toBe(false);
  });

  it('never evicts a pinned key while its session is open, and releases it on close', () => {
    const pinned = keys(10, 3);
    pinTables(
      'session:a',
      pinned.map((k) => k.id),
    );
    for (const { id, point } of pinned) tableFor(id, point);
    for (const { id, point } of keys(MAX_TABLES + 50, 4)) tableFor(id, point);
    for (const { id } of pinned) expect(hasTable(id)).toBe(true);
    expect(tableStats().tables).toBe(MAX_TABLES);
    // Two sessions pin one key: it stays pinned until both close.
    pinTables('session:b', [(pinned[0] as { id: string }).id]);
    unpinTables('session:a');
    expect(isPinned((pinned[0] as { id: string }).id)).toBe(true);
    expect(isPinned((pinned[1] as { id: string }).id)).toBe(false);
    for (const { id, point } of keys(MAX_TABLES, 5)) tableFor(id, point);
    expect(hasTable((pinned[0] as { id: string }).id)).toBe(true);
    expect(hasTable((pinned[1] as { id: string }).id)).toBe(false);
    unpinTables('session:b');
    expect(tableStats()).toMatchObject({ pinnedKeys: 0, owners: 0 });
  });

  it('multiplies without a table once every table is pinned, with the same results', () => {
    const pinned = keys(MAX_TABLES, 6);
    pinTables(
      'session:full',
      pinned.map((k) => k.id),
    );
    for (const { id, point } of pinned) tableFor(id, point);
    const sk = secret(200);
    const key = new SigningKey(sk);
    const msg = new Uint8Array(32).fill(4);
    const sig = schnorrSign(msg, key);
    for (let i = 0; i < 5; i++) expect(schnorrVerify(sig, msg, key.publicKey)).toBe(true);
    expect(hasTable(bytesToHex(key.publicKey))).toBe(false);
    const bad = sig.slice();
    bad[63] = (bad[63] as number) ^ 1;
    expect(schnorrVerify(bad, msg, key.publicKey)).toBe(false);
  });

  it('hands a table out only for the point it was built from', () => {
    const [a, b] = keys(2, 7) as [
      { id: string; point: InstanceType<typeof Point> },
      { id: string; point: InstanceType<typeof Point> },
    ];
    const table = tableFor(a.id, a.point);
    expect(table?.equals(a.point)).toBe(true);
    // A caller claiming a's id for b's point (a corrupted context) gets no table, and a keeps its own.
    expect(tableFor(a.id, b.point)).toBeUndefined();
    const k = mod(12345678901234567890n * 987654321n) % N;
    expect(tableFor(a.id, a.point)?.multiplyUnsafe(k).equals(a.point.multiplyUnsafe(k))).toBe(true);
  });
});
