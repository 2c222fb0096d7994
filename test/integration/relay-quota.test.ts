/**
 * An anonymous peer floods a relay's DHT with `/petal/` records (docs/PROTOCOL.md §8.5). Measured
 * before the quotas: 20,000 distinct 16 KiB records, all kept for their 7-day lifetime, took the
 * relay from 126 to 1,376 MB of RSS. The flood here talks to the relay's DHT protocol directly,
 * as a hostile peer would, on 127.0.0.1 only.
 */
import { Record as DhtRecord } from '@libp2p/kad-dht';
import type { Connection } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { bytesToHex, concatBytes, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DHT_PROTOCOL,
  MAX_RECORD_PAYLOAD,
  decodeRecord,
  encodeRecord,
  recordKey,
} from '../../src/network/dht-records.ts';
import { type PeerNode, createPeerNode } from '../../src/network/peer-node.ts';
import { DEFAULT_RECORD_LIMITS } from '../../src/relay/record-quota.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';

const PUTS = 20_000;
const STREAMS = 8;

/** protobuf varint */
function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Uint8Array.from(out);
}

/** A kad-dht PUT_VALUE message (type 0, key, record), encoded by hand as a hostile peer would. */
function putValue(key: Uint8Array, value: Uint8Array): Uint8Array {
  const record = new DhtRecord(key, value, new Date()).serialize();
  const field = (tag: number, bytes: Uint8Array) =>
    concatBytes(Uint8Array.of(tag), varint(bytes.length), bytes);
  return concatBytes(Uint8Array.of(0x08, 0x00), field(0x12, key), field(0x1a, record));
}

/** Puts `count` distinct, valid, maximum-size `/petal/` records over one DHT stream. */
async function flood(connection: Connection, from: number, count: number): Promise<number> {
  const stream = await connection.newStream(DHT_PROTOCOL);
  const lp = lpStream(stream, { maxDataLength: 64 * 1024 });
  const payload = randomBytes(MAX_RECORD_PAYLOAD);
  let stored = 0;
  for (let i = from; i < from + count; i++) {
    const key = recordKey(`m/${bytesToHex(randomBytes(16))}`);
    const value = encodeRecord({ expiresAt: Date.now() + 7 * 24 * 3600_000 - 60_000, payload });
    await lp.write(putValue(key, value));
    await lp.read(); // the relay echoes a stored record back
    stored++;
  }
  await stream.close();
  return stored;
}

describe('a relay’s DHT store under a record flood', () => {
  let relay: RunningRelay;
  let member: PeerNode;
  let reader: PeerNode;
  let attacker: PeerNode;

  beforeAll(async () => {
    relay = await startLocalRelay();
    [member, reader, attacker] = await Promise.all([
      createPeerNode(memberOptions(relay)),
      createPeerNode(memberOptions(relay)),
      createPeerNode(memberOptions(relay)),
    ]);
  });

  afterAll(async () => {
    await Promise.all([member?.stop(), reader?.stop(), attacker?.stop()]);
    await relay?.stop();
  });

  it(
    'keeps 20,000 puts from one peer within its quota, and a member’s mailbox stays readable',
    { timeout: 300_000 },
    async () => {
      // A member's mailbox record, stored before the flood.
      const mailbox = recordKey(`m/${bytesToHex(randomBytes(16))}`);
      const sealed = randomBytes(3_000);
      await until(async () => {
        for await (const _ of member.services.dht.put(
          mailbox,
          encodeRecord({ expiresAt: Date.now() + 3600_000, payload: sealed }),
        )) {
          // drain
        }
        return relay.records().records > 0 || undefined;
      });

      const rssBefore = process.memoryUsage().rss;
      const connection = await until(() =>
        attacker.getConnections(relay.node.peerId).find((c) => c.limits === undefined),
      );
      const started = performance.now();
      const per = PUTS / STREAMS;
      const stored = await Promise.all(
        Array.from({ length: STREAMS }, (_, s) => flood(connection, s * per, per)),
      );
      const seconds = (performance.now() - started) / 1000;
      const rssAfter = process.memoryUsage().rss;
      const stats = relay.records();
      console.log(
        `relay DHT store after ${PUTS} puts in ${seconds.toFixed(1)} s:`,
        JSON.stringify(stats),
        `RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MB (whole test process)`,
      );
      expect(stored.reduce((a, b) => a + b, 0)).toBe(PUTS);
      // The attacker's share plus the member's record: nothing else was stored.
      expect(stats.records).toBeLessThanOrEqual(DEFAULT_RECORD_LIMITS.perPeerRecords + 1);
      expect(stats.bytes).toBeLessThanOrEqual(DEFAULT_RECORD_LIMITS.perPeerBytes + 4_000);
      expect(stats.peers).toBe(2);

      // Another member still reads the mailbox record.
      const found = await until(async () => {
        try {
          for await (const event of reader.services.dht.get(mailbox))
            if (event.name === 'VALUE') return event.value;
        } catch {
          // not found yet
        }
        return undefined;
      });
      expect(bytesToHex(decodeRecord(found).payload)).toBe(bytesToHex(sealed));
    },
  );
});
