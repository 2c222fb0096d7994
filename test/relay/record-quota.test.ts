import { Record as DhtRecord, type KadDHTComponents } from '@libp2p/kad-dht';
import { describe, expect, it } from 'vitest';
import { encodeRecord, recordKey } from '../../src/network/dht-records.ts';
import {
  LOCAL_PUTTER,
  type Putter,
  PutterContext,
  RecordQuota,
  RecordQuotaError,
  addressGroup,
  quotaDatastore,
} from '../../src/relay/record-quota.ts';

type Datastore = KadDHTComponents['datastore'];
type Key = Parameters<Datastore['put']>[0];

/** Peer `peer` connecting from `address` (by default, every peer from its own address). */
const by = (peer: string, address = `ip4/${peer}`): Putter => ({ peer, address });

describe('RecordQuota', () => {
  it('holds each peer to its record count and bytes, dropping its oldest first', () => {
    const quota = new RecordQuota({ perPeerRecords: 3, perPeerBytes: 1_000 });
    expect(quota.admit('a', by('p'), 100, Infinity).evicted).toEqual([]);
    quota.admit('b', by('p'), 100, Infinity);
    quota.admit('c', by('p'), 100, Infinity);
    expect(quota.admit('d', by('p'), 100, Infinity)).toEqual({ accepted: true, evicted: ['a'] });
    expect(quota.admit('e', by('p'), 900, Infinity)).toEqual({
      accepted: true,
      evicted: ['b', 'c'],
    });
    expect(quota.usage('p')).toEqual({ records: 2, bytes: 1_000 });
    // A rewrite of a key is charged once, to its latest putter.
    quota.admit('e', by('q'), 50, Infinity);
    expect(quota.usage('p')).toEqual({ records: 1, bytes: 100 });
    expect(quota.usage('q')).toEqual({ records: 1, bytes: 50 });
    expect(quota.stats()).toEqual({ records: 2, bytes: 150, peers: 2, addresses: 2 });
  });

  it('holds every peer id at one address to the address’s share, the heaviest paying', () => {
    const quota = new RecordQuota({ perAddressRecords: 10, perAddressBytes: 100_000 });
    quota.admit('/petal/m/member', by('member', 'ip4/10.0.0.1'), 500, Infinity);
    for (let p = 0; p < 100; p++)
      quota.admit(`/petal/junk-${p}`, by(`sybil-${p}`, 'ip4/10.0.0.1'), 100, Infinity);
    expect(quota.stats().records).toBe(10);
    // Every peer there holds one entry: ties go against the newcomer, so the member stays.
    expect(quota.usage('member').records).toBe(1);
  });

  it('keeps a member’s mailbox while identities at other addresses fill the store', () => {
    const quota = new RecordQuota({
      perPeerRecords: 10,
      perPeerBytes: 10_000,
      perAddressRecords: 40,
      perAddressBytes: 20_000,
      totalRecords: 100,
      totalBytes: 50_000,
    });
    quota.admit('/petal/m/member', by('member'), 2_000, Infinity);
    // 200 identities on 10 machines, each within its own quota: the store fills many times over.
    for (let p = 0; p < 200; p++)
      for (let i = 0; i < 5; i++)
        quota.admit(
          `/petal/m/junk-${p}-${i}`,
          by(`sybil-${p}`, `ip4/10.0.0.${p % 10}`),
          1_000,
          Infinity,
        );
    expect(quota.usage('member')).toEqual({ records: 1, bytes: 2_000 });
    expect(quota.stats().records).toBeLessThanOrEqual(100);
    expect(quota.stats().bytes).toBeLessThanOrEqual(50_000);
    // Many small records evict by count, from the addresses holding the most records.
    for (let p = 0; p < 50; p++)
      for (let i = 0; i < 10; i++)
        quota.admit(`/petal/t-${p}-${i}`, by(`tiny-${p}`, `ip4/10.0.1.${p % 5}`), 10, Infinity);
    expect(quota.usage('member')).toEqual({ records: 1, bytes: 2_000 });
    expect(quota.stats().records).toBeLessThanOrEqual(100);
  });

  it('refuses a newcomer’s record when the store is full of peers holding no more than it', () => {
    const quota = new RecordQuota({ totalRecords: 2 });
    quota.admit('a', by('p'), 10, Infinity);
    quota.admit('b', by('q'), 10, Infinity);
    expect(quota.admit('c', by('r'), 10, Infinity)).toEqual({ accepted: false, evicted: [] });
    expect(quota.stats().records).toBe(2);
    // A peer already holding more pays instead.
    quota.admit('b2', by('q'), 10, Infinity);
    expect(quota.stats().records).toBe(2);
    expect(quota.usage('q').records).toBe(1);
  });

  it('forgets entries once they expire', () => {
    const quota = new RecordQuota();
    quota.admit('a', by('p'), 10, 1_000);
    quota.admit('b', by('p'), 10, 3_000);
    expect(quota.expire(2_000)).toEqual(['a']);
    expect(quota.stats()).toEqual({ records: 1, bytes: 10, peers: 1, addresses: 1 });
  });

  it('groups peers by IPv4 address and IPv6 /64', () => {
    expect(addressGroup('/ip4/127.0.0.1/tcp/4003/ws/p2p/12D3KooW')).toBe('ip4/127.0.0.1');
    expect(addressGroup('/ip6/2001:db8:0:1::5/tcp/1/ws')).toBe('ip6/2001:db8:0:1');
    expect(addressGroup('/ip6/2001:db8:0:1:ffff::9/tcp/1')).toBe('ip6/2001:db8:0:1');
    expect(addressGroup('/ip6/::1/tcp/1')).toBe('ip6/0:0:0:0');
    expect(addressGroup('/dns4/relay.example/tcp/443/wss/p2p/12D3KooW')).toBe(
      '/dns4/relay.example/tcp/443/wss',
    );
  });
});

/** A Map-backed datastore with just what kad-dht's record path uses. */
function memoryStore() {
  const map = new Map<string, Uint8Array>();
  const store = {
    put: async (key: Key, value: Uint8Array) => {
      map.set(key.toString(), value);
      return key;
    },
    get: async (key: Key) => map.get(key.toString()) as Uint8Array,
    delete: async (key: Key) => void map.delete(key.toString()),
    has: async (key: Key) => map.has(key.toString()),
  };
  return { map, store: store as unknown as Datastore };
}

const key = (name: string) => ({ toString: () => name }) as unknown as Key;

describe('quotaDatastore', () => {
  it('charges each write to the peer being served and deletes what the quota drops', async () => {
    const { map, store } = memoryStore();
    const quota = new RecordQuota({ perPeerRecords: 2 });
    const context = new PutterContext();
    const ds = quotaDatastore(store, quota, context);
    const value = (id: string) =>
      new DhtRecord(
        recordKey(id),
        encodeRecord({ expiresAt: Date.now() + 60_000, payload: new Uint8Array(10) }),
        new Date(),
      ).serialize();
    await context.run(by('attacker'), async () => {
      for (let i = 0; i < 5; i++) {
        await Promise.resolve(); // the peer stays known across awaits
        await ds.put(key(`/dht/record/${i}`), value(`x/${i}`));
      }
    });
    await ds.put(key('/dht/record/own'), value('m/own'));
    expect([...map.keys()]).toEqual(['/dht/record/3', '/dht/record/4', '/dht/record/own']);
    expect(quota.usage('attacker').records).toBe(2);
    expect(quota.usage(LOCAL_PUTTER.peer).records).toBe(1);
    await ds.delete(key('/dht/record/3'));
    expect(quota.stats().records).toBe(2);
    expect(() => ds.batch()).toThrow(RecordQuotaError);
  });

  it('drops records whose Petal expiry passed, on a later write', async () => {
    const { map, store } = memoryStore();
    let now = 1_000_000;
    const quota = new RecordQuota();
    const ds = quotaDatastore(store, quota, new PutterContext(), () => now);
    const record = (id: string, expiresAt: number) =>
      new DhtRecord(
        recordKey(id),
        encodeRecord({ expiresAt, payload: new Uint8Array(4) }),
        new Date(),
      ).serialize();
    await ds.put(key('/dht/record/short'), record('short', now + 5_000));
    await ds.put(key('/dht/record/long'), record('long', now + 3600_000));
    now += 120_000;
    await ds.put(key('/dht/record/new'), record('new', now + 5_000));
    expect([...map.keys()].sort()).toEqual(['/dht/record/long', '/dht/record/new']);
  });
});
