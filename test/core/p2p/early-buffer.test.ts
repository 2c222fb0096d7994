/**
 * Messages for sessions a member does not know yet wait in the early buffer. Measured on main
 * before its byte budget: 1,600 frames carrying 4 signed 64 KiB envelopes (each replayed 400
 * times) retained +365 MB — every copy was kept, decoded three times over — and the flooding peer
 * was never penalised.
 */
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EARLY_LIMITS, EarlyBuffer } from '../../../src/core/p2p/early-buffer.ts';
import { MessageType, sealEnvelope } from '../../../src/core/p2p/envelope.ts';
import { sealFrame } from '../../../src/core/p2p/frames.ts';
import { encodeBroadcast } from '../../../src/core/p2p/messages.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';
import { type Group, type Member, createGroup } from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

const message = (bytes: number, signer: number, sequence: number, from?: string) => ({
  bytes: new Uint8Array(bytes),
  signer,
  sequence,
  ...(from === undefined ? {} : { from }),
});

describe('EarlyBuffer', () => {
  it('keeps each envelope once and calls repeated copies past the allowance a flood', () => {
    const buffer = new EarlyBuffer({ copies: 3 });
    expect(buffer.add('s', message(100, 0, 0, 'p'))).toBe('kept');
    expect(buffer.add('s', message(100, 0, 0, 'p'))).toBe('duplicate');
    expect(buffer.add('s', message(100, 0, 0, 'q'))).toBe('duplicate');
    expect(buffer.add('s', message(100, 0, 0, 'p'))).toBe('flood');
    // Copies read from mailbox records are never a flood.
    expect(buffer.add('s', message(100, 0, 0))).toBe('duplicate');
    expect(buffer.bytes).toBe(100);
    expect(buffer.take('s')).toEqual([message(100, 0, 0, 'p')]);
    expect(buffer.bytes).toBe(0);
    expect(buffer.sessions).toBe(0);
  });

  it('drops a sender’s oldest messages over its budget and reports the overflow', () => {
    const buffer = new EarlyBuffer({ perPeerBytes: 1_000, totalBytes: 10_000 });
    expect(buffer.add('a', message(400, 0, 0, 'p'))).toBe('kept');
    expect(buffer.add('b', message(400, 0, 0, 'p'))).toBe('kept');
    expect(buffer.add('c', message(100, 1, 0, 'honest'))).toBe('kept');
    expect(buffer.add('c', message(400, 0, 0, 'p'))).toBe('flood');
    expect(buffer.bytesOf('p')).toBe(800);
    expect(buffer.bytesOf('honest')).toBe(100);
    expect(buffer.take('a')).toEqual([]);
    expect(buffer.take('c').map((m) => m.from)).toEqual(['honest', 'p']);
  });

  it('drops the oldest messages, whoever sent them, over the total budget', () => {
    const buffer = new EarlyBuffer({ perPeerBytes: 1_000, totalBytes: 2_000 });
    for (let i = 0; i < 10; i++)
      expect(buffer.add(`s${i}`, message(500, 0, 0, `p${i}`))).toBe('kept');
    expect(buffer.bytes).toBe(2_000);
    expect(buffer.sessions).toBe(4);
    expect(buffer.take('s5')).toEqual([]);
    expect(buffer.take('s9')).toHaveLength(1);
  });

  it('caps sessions and messages per session, and expires old sessions', () => {
    let now = 0;
    const buffer = new EarlyBuffer({ sessions: 2, perSession: 2 }, () => now);
    buffer.add('a', message(10, 0, 0, 'p'));
    expect(buffer.add('a', message(10, 0, 1, 'p'))).toBe('kept');
    expect(buffer.add('a', message(10, 0, 2, 'p'))).toBe('full');
    now = 1_000;
    buffer.add('b', message(10, 0, 0, 'p'));
    buffer.add('c', message(10, 0, 0, 'p'));
    expect(buffer.sessions).toBe(2);
    expect(buffer.bytes).toBe(20);
    expect(buffer.take('a')).toEqual([]);
    now = 2_000;
    buffer.add('d', message(10, 0, 0, 'p'));
    buffer.expire(500);
    expect(buffer.sessions).toBe(1);
    expect(buffer.bytesOf('p')).toBe(10);
  });
});

describe('an early-message flood against the signing service', () => {
  let group: Group | undefined;
  afterEach(async () => {
    await group?.stop();
    group = undefined;
  });

  /** A signed 64 KiB message of member `signer` for a session nobody has heard of. */
  function unknownSessionFrame(g: Group, signer: Member, sequence = 0): Uint8Array {
    const vaultId = hexToBytes(g.vault.id);
    const envelope = sealEnvelope(
      {
        type: MessageType.broadcast,
        vaultId,
        sessionId: randomBytes(32),
        signerIndex: signer.index,
        sequence,
        transcriptHash: new Uint8Array(32),
        sentAt: Date.now(),
        payload: encodeBroadcast({ attempt: 1, tx: randomBytes(60_000) }),
      },
      signer.secretKey,
    );
    return sealFrame(deriveVaultKeys(vaultId), envelope);
  }

  /** Sends every frame from `peer`, letting (manual) time pass so the rate limit never bites. */
  async function flood(g: Group, from: string, frames: Uint8Array[]): Promise<void> {
    const sender = g.network.join(from);
    for (let i = 0; i < frames.length; i++) {
      await sender.send('peer-0', frames[i] as Uint8Array).catch(() => undefined);
      if (i % 100 === 99) g.clock?.advance(1_000);
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  it(
    '1,600 copies of 4 signed envelopes stay within the byte budget and get the sender banned',
    { timeout: 60_000 },
    async () => {
      group = await createGroup(2, { manualClock: true });
      const g = group;
      const [victim, attacker] = g.members as [Member, Member];
      const four = Array.from({ length: 4 }, (_, i) => unknownSessionFrame(g, attacker, i));
      await flood(
        g,
        'flooder',
        Array.from({ length: 1_600 }, (_, i) => four[i % 4] as Uint8Array),
      );
      const stats = victim.service.stats();
      expect(stats.earlyBytes).toBeGreaterThan(0);
      expect(stats.earlyBytes).toBeLessThanOrEqual(4 * 65_716);
      expect(victim.service.reputation.isBanned('flooder')).toBe(true);

      // The members still sign together.
      for (const m of g.members)
        m.service.on('proposal', (v) => void m.service.approve(v.id).catch(() => undefined));
      const view = await victim.service.propose(g.vault.id, g.spend([9_000_000n]));
      const done = Promise.all(g.members.map((m) => m.service.settled(view.id)));
      const results = await until(async () => {
        g.clock?.advance(1_000);
        return Promise.race([done, new Promise<undefined>((r) => setTimeout(r, 20))]);
      });
      expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
    },
  );

  it(
    'distinct signed envelopes from one peer stay within its 1 MiB budget; the peer is banned',
    { timeout: 60_000 },
    async () => {
      group = await createGroup(2, { manualClock: true });
      const g = group;
      const [victim, attacker] = g.members as [Member, Member];
      const frames = Array.from({ length: 60 }, (_, i) => unknownSessionFrame(g, attacker, i));
      await flood(g, 'flooder', frames);
      const stats = victim.service.stats();
      expect(stats.earlyBytes).toBeGreaterThan(MiB - 66 * KiB);
      expect(stats.earlyBytes).toBeLessThanOrEqual(DEFAULT_EARLY_LIMITS.perPeerBytes);
      expect(victim.service.reputation.isBanned('flooder')).toBe(true);
    },
  );

  it(
    'many peers together stay within the 8 MiB total, the oldest dropped first',
    { timeout: 60_000 },
    async () => {
      group = await createGroup(2, { manualClock: true });
      const g = group;
      const [victim, attacker] = g.members as [Member, Member];
      // 16 peers × 10 × 64 KiB = 10 MiB, each peer within its own budget.
      let sequence = 0;
      for (let p = 0; p < 16; p++) {
        const frames = Array.from({ length: 10 }, () =>
          unknownSessionFrame(g, attacker, sequence++),
        );
        await flood(g, `sybil-${p}`, frames);
      }
      const stats = victim.service.stats();
      expect(stats.earlyBytes).toBeGreaterThan(DEFAULT_EARLY_LIMITS.totalBytes - 66 * KiB);
      expect(stats.earlyBytes).toBeLessThanOrEqual(DEFAULT_EARLY_LIMITS.totalBytes);
      expect(victim.service.reputation.isBanned('sybil-15')).toBe(false);
    },
  );
});
