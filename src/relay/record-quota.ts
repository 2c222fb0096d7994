/**
 * Quotas on what peers may store in a relay's DHT (docs/PROTOCOL.md §8.5). kad-dht 16 stores
 * every valid PUT_VALUE (and ADD_PROVIDER) in the node's datastore with no limit and no expiry of
 * its own: measured before this file, one anonymous peer stored 20,000 distinct 16 KiB `/petal/`
 * records and the relay grew from 126 to 1,376 MB. Members' mailboxes live in the same store.
 *
 * Every entry the DHT writes while serving a remote peer is charged to that peer (the putter)
 * and to the network address it connects from (peer ids are free, addresses are not):
 *
 * - per peer, a record count and a byte budget; over either, that peer's oldest entries go;
 * - per address (IPv4 address, IPv6 /64), the same; over either, the oldest entry of the peer
 *   holding the most there goes;
 * - in total, the same; over either, the oldest entry of the heaviest peer at the heaviest address
 *   goes (the putter itself when it ties: the newcomer pays). A member's mailbox record
 *   (`/petal/m/…`, one per vault) is therefore evicted only once every other address holds no
 *   more than the member's does: one machine's junk, under any number of peer ids, evicts its
 *   own junk first;
 * - entries expire with their Petal record (`expiresAt`), and every entry 48 h after it was
 *   written (kad-dht stops serving records older than that anyway).
 *
 * kad-dht does not tell its datastore who is putting, so the relay runs the DHT's stream handler
 * inside an AsyncLocalStorage context carrying the remote peer (`withPutterContext`), and gives
 * the DHT a datastore that charges each write to that peer (`quotaDatastore`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Connection, Stream } from '@libp2p/interface';
import { type KadDHTComponents, Record as DhtRecord } from '@libp2p/kad-dht';
import { RECORD_NAMESPACE, decodeRecord } from '../network/dht-records.ts';

type Datastore = KadDHTComponents['datastore'];
type Registrar = KadDHTComponents['registrar'];
type Key = Parameters<Datastore['put']>[0];

/** Quotas of a relay's DHT store. */
export interface RecordLimits {
  /** Entries one peer may hold (a member holds one mailbox record per vault). */
  perPeerRecords: number;
  /** Bytes one peer may hold (64 full 16 KiB records). */
  perPeerBytes: number;
  /** Entries all peers at one network address (IPv4 address, IPv6 /64) may hold together. */
  perAddressRecords: number;
  perAddressBytes: number;
  totalRecords: number;
  totalBytes: number;
}

export const DEFAULT_RECORD_LIMITS: Readonly<RecordLimits> = {
  perPeerRecords: 128,
  perPeerBytes: 1024 * 1024,
  perAddressRecords: 1024,
  perAddressBytes: 8 * 1024 * 1024,
  totalRecords: 16_384,
  totalBytes: 64 * 1024 * 1024,
};

/** How long kad-dht serves a stored record (its PROVIDERS_VALIDITY): older ones are dropped. */
export const MAX_ENTRY_AGE_MS = 48 * 3600_000;
/** Expired entries are looked for at most this often (on a write). */
const SWEEP_MS = 60_000;
/** Writes made outside any remote peer's request: the relay's own. */
export const LOCAL_PUTTER: Putter = { peer: '(local)', address: '(local)' };

/** Who is storing: the authenticated remote peer, and the network address it connects from. */
export interface Putter {
  peer: string;
  address: string;
}

export class RecordQuotaError extends Error {
  override name = 'RecordQuotaError';
}

interface Held {
  peer: Usage;
  address: AddressUsage;
  bytes: number;
  expiresAt: number;
}

interface Usage {
  name: string;
  records: number;
  bytes: number;
  /** Its keys, oldest first. */
  keys: Set<string>;
}

interface AddressUsage extends Usage {
  peers: Map<string, Usage>;
}

export interface RecordStats {
  records: number;
  bytes: number;
  peers: number;
  addresses: number;
}

type Resource = 'records' | 'bytes';

/** The accounting alone: which entries to keep, charged to which peer and address. */
export class RecordQuota {
  readonly limits: RecordLimits;
  readonly #entries = new Map<string, Held>();
  readonly #addresses = new Map<string, AddressUsage>();
  #bytes = 0;

  constructor(limits: Partial<RecordLimits> = {}) {
    this.limits = { ...DEFAULT_RECORD_LIMITS, ...limits };
  }

  /**
   * Charges entry `key` (replacing any earlier copy) to `putter`. Returns the keys to delete to
   * stay within every quota, and whether `key` itself may be stored (false when it would be the
   * first to go: the store is full of entries from peers holding no more than `putter`).
   */
  admit(
    key: string,
    putter: Putter,
    bytes: number,
    expiresAt: number,
  ): { accepted: boolean; evicted: string[] } {
    this.remove(key);
    const { limits } = this;
    if (bytes > Math.min(limits.perPeerBytes, limits.perAddressBytes, limits.totalBytes))
      return { accepted: false, evicted: [] };
    let address = this.#addresses.get(putter.address);
    if (!address)
      this.#addresses.set(
        putter.address,
        (address = { ...usage(putter.address), peers: new Map() }),
      );
    let peer = address.peers.get(putter.peer);
    if (!peer) address.peers.set(putter.peer, (peer = usage(putter.peer)));
    const held: Held = { peer, address, bytes, expiresAt };
    this.#entries.set(key, held);
    for (const u of [peer, address]) {
      u.keys.add(key);
      u.records += 1;
      u.bytes += bytes;
    }
    this.#bytes += bytes;

    const evicted: string[] = [];
    const evict = (from: Usage): boolean => {
      const oldest = from.keys.values().next().value as string;
      this.remove(oldest);
      if (oldest === key) return false;
      evicted.push(oldest);
      return true;
    };
    // The putter's own oldest entries pay for its own excess.
    while (peer.records > limits.perPeerRecords || peer.bytes > limits.perPeerBytes) evict(peer);
    // Over an address's share: the heaviest peer at that address pays.
    for (;;) {
      const resource = over(address, limits.perAddressRecords, limits.perAddressBytes);
      if (!resource) break;
      if (!evict(heaviest(address.peers.values(), peer, resource)))
        return { accepted: false, evicted };
    }
    // Over the total: the heaviest address, and in it the heaviest peer, pays.
    for (;;) {
      const resource = over(
        { records: this.#entries.size, bytes: this.#bytes },
        limits.totalRecords,
        limits.totalBytes,
      );
      if (!resource) break;
      const worst = heaviest(this.#addresses.values(), address, resource) as AddressUsage;
      const victim = heaviest(worst.peers.values(), worst === address ? peer : undefined, resource);
      if (!evict(victim)) return { accepted: false, evicted };
    }
    return { accepted: true, evicted };
  }

  /** Forgets `key`; false if it was not held. */
  remove(key: string): boolean {
    const held = this.#entries.get(key);
    if (!held) return false;
    this.#entries.delete(key);
    this.#bytes -= held.bytes;
    for (const u of [held.peer, held.address]) {
      u.keys.delete(key);
      u.records -= 1;
      u.bytes -= held.bytes;
    }
    if (held.peer.records === 0) held.address.peers.delete(held.peer.name);
    if (held.address.records === 0) this.#addresses.delete(held.address.name);
    return true;
  }

  /** Forgets and returns every key whose entry expired by `now`. */
  expire(now: number): string[] {
    const gone: string[] = [];
    for (const [key, held] of this.#entries) if (held.expiresAt <= now) gone.push(key);
    for (const key of gone) this.remove(key);
    return gone;
  }

  /** What `peer` holds (at any address). */
  usage(peer: string): { records: number; bytes: number } {
    let records = 0;
    let bytes = 0;
    for (const address of this.#addresses.values()) {
      const u = address.peers.get(peer);
      records += u?.records ?? 0;
      bytes += u?.bytes ?? 0;
    }
    return { records, bytes };
  }

  stats(): RecordStats {
    let peers = 0;
    for (const address of this.#addresses.values()) peers += address.peers.size;
    return {
      records: this.#entries.size,
      bytes: this.#bytes,
      peers,
      addresses: this.#addresses.size,
    };
  }
}

function usage(name: string): Usage {
  return { name, records: 0, bytes: 0, keys: new Set() };
}

function over(u: { records: number; bytes: number }, records: number, bytes: number) {
  if (u.records > records) return 'records' as const;
  if (u.bytes > bytes) return 'bytes' as const;
  return undefined;
}

/** The one using the most of `resource`; `preferred` (the putter) wins ties: the newcomer pays. */
function heaviest<T extends Usage>(
  all: Iterable<T>,
  preferred: T | undefined,
  resource: Resource,
): T {
  let best = preferred;
  for (const u of all) if (!best || u[resource] > best[resource]) best = u;
  return best as T;
}

/**
 * Peers behind one IPv4 address or one IPv6 /64 share a quota: new peer ids are free, addresses
 * are not. Anything else (a DNS name, a relayed or unknown address) is its own group.
 */
export function addressGroup(remoteAddr: string): string {
  const [, protocol, host] = remoteAddr.split('/');
  if (protocol === 'ip4' && host) return `ip4/${host}`;
  if (protocol === 'ip6' && host) return `ip6/${ipv6Prefix64(host)}`;
  return remoteAddr.split('/p2p/')[0] ?? remoteAddr;
}

function ipv6Prefix64(host: string): string {
  const [head = '', tail] = host.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':');
}

/** The remote peer whose DHT request is being served, across every await of its handler. */
export class PutterContext {
  readonly #storage = new AsyncLocalStorage<Putter>();

  run<T>(putter: Putter, fn: () => T): T {
    return this.#storage.run(putter, fn);
  }

  get current(): Putter | undefined {
    return this.#storage.getStore();
  }
}

/**
 * A registrar that runs the handler of `protocol` (the DHT's) inside `context`, keyed by the
 * connection's authenticated remote peer and its address.
 */
export function withPutterContext(
  registrar: Registrar,
  protocol: string,
  context: PutterContext,
): Registrar {
  const handle: Registrar['handle'] = (protocols, handler, options) => {
    const ours = Array.isArray(protocols) ? protocols.includes(protocol) : protocols === protocol;
    const wrapped = ours
      ? (stream: Stream, connection: Connection) =>
          context.run(
            {
              peer: connection.remotePeer.toString(),
              address: addressGroup(connection.remoteAddr.toString()),
            },
            () => handler(stream, connection),
          )
      : handler;
    return registrar.handle(protocols, wrapped, options);
  };
  return new Proxy(registrar, {
    get: (target, prop) => {
      if (prop === 'handle') return handle;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** When a stored DHT entry stops being worth keeping. */
function expiryOf(value: Uint8Array, now: number): number {
  const latest = now + MAX_ENTRY_AGE_MS;
  try {
    const record = DhtRecord.deserialize(value);
    const key = new TextDecoder().decode(record.key);
    if (!key.startsWith(`/${RECORD_NAMESPACE}/`)) return latest;
    return Math.min(latest, decodeRecord(record.value).expiresAt);
  } catch {
    return latest; // provider entries and other namespaces: kad-dht's own 48 h
  }
}

/**
 * The datastore the DHT writes through: each write is charged to the peer in `context` (else to
 * the relay itself), and what the quota evicts or sees expire is deleted from `base`.
 * @throws RecordQuotaError from `put` when the entry cannot be stored (kad-dht then fails the
 *   request, so the putter learns it was not stored).
 */
export function quotaDatastore(
  base: Datastore,
  quota: RecordQuota,
  context: PutterContext,
  now: () => number = Date.now,
): Datastore {
  let lastSweep = now();
  /** The datastore Key of every charged entry, to delete what the quota drops. */
  const keys = new Map<string, Key>();
  const drop = async (names: string[]) => {
    for (const name of names) {
      const key = keys.get(name);
      keys.delete(name);
      if (key) await base.delete(key);
    }
  };
  const put = async (key: Key, value: Uint8Array, options?: Parameters<Datastore['put']>[2]) => {
    const at = now();
    if (at - lastSweep >= SWEEP_MS) {
      lastSweep = at;
      await drop(quota.expire(at));
    }
    const name = key.toString();
    const putter = context.current ?? LOCAL_PUTTER;
    const bytes = name.length + value.length;
    const { accepted, evicted } = quota.admit(name, putter, bytes, expiryOf(value, at));
    await drop(evicted);
    if (!accepted) {
      keys.delete(name);
      await base.delete(key);
      throw new RecordQuotaError('The relay holds its quota of records from peers like this one');
    }
    keys.set(name, key);
    return base.put(key, value, options);
  };
  const remove = async (key: Key, options?: Parameters<Datastore['delete']>[1]) => {
    quota.remove(key.toString());
    keys.delete(key.toString());
    return base.delete(key, options);
  };
  return new Proxy(base, {
    get: (target, prop) => {
      if (prop === 'put') return put;
      if (prop === 'delete') return remove;
      // Batched writes would bypass the accounting; kad-dht makes none.
      if (prop === 'putMany' || prop === 'deleteMany' || prop === 'batch')
        return () => {
          throw new RecordQuotaError(`${String(prop)} is not supported by the relay's DHT store`);
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The relay's DHT components: the same as libp2p's, with the DHT's stream handler run inside a
 * putter context and its datastore charged to putters.
 */
export function quotaComponents(
  components: KadDHTComponents,
  options: { protocol: string; quota: RecordQuota; now?: () => number },
): KadDHTComponents {
  const context = new PutterContext();
  let datastore: Datastore | undefined;
  let registrar: Registrar | undefined;
  return new Proxy(components, {
    get: (target, prop) => {
      if (prop === 'datastore')
        return (datastore ??= quotaDatastore(
          target.datastore,
          options.quota,
          context,
          options.now,
        ));
      if (prop === 'registrar')
        return (registrar ??= withPutterContext(target.registrar, options.protocol, context));
      return Reflect.get(target, prop, target);
    },
  });
}
