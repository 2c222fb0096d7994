/**
 * `node bench/writes.bench.ts`: what one 3-of-3 signing round writes to IndexedDB. Every member
 * runs the extension's store (`src/background/session-db.ts`) over fake-indexeddb, in memory;
 * the bench counts, per member and round, the store's write calls, the read-write transactions
 * (and of them the ones flushed with `durability: 'strict'`), and the write calls the signing
 * service waited for before going on (split by durability). Counts, not times: fake-indexeddb
 * has no disk, and all members share this process's one thread.
 */
import 'fake-indexeddb/auto';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { openSessionDb } from '../src/background/session-db.ts';
import { createGroup } from '../test/support/signing-group.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const N = 3;

const zero = { calls: 0, awaited: 0, awaitedStrict: 0, readwrite: 0, strict: 0 };
const counts = { ...zero };
const original = IDBDatabase.prototype.transaction;
IDBDatabase.prototype.transaction = function (
  this: IDBDatabase,
  stores: string | string[],
  mode?: IDBTransactionMode,
  options?: IDBTransactionOptions,
) {
  if (mode === 'readwrite') {
    counts.readwrite++;
    if (options?.durability === 'strict') counts.strict++;
  }
  return original.call(this, stores, mode, options);
} as typeof original;

/** A write's promise that notes whether its caller waited on it (`await` passes a handler). */
class Watched<T> extends Promise<T> {
  // Promises derived from this one (then, catch) are plain: only the write's own counts.
  static override get [Symbol.species]() {
    return Promise;
  }
  strict = false;
  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    if (typeof onFulfilled === 'function') {
      counts.awaited++;
      if (this.strict) counts.awaitedStrict++;
    }
    return super.then(onFulfilled, onRejected);
  }
}

/** Whether a write call is one the store flushes (nonce markers; the old API's delete too). */
const isStrict = (name: string, args: unknown[]) =>
  name === 'commit'
    ? ((args[0] as { markers?: unknown[] }).markers?.length ?? 0) > 0
    : name === 'addNonceMarker' || name === 'delete';
// Write methods of this store and of the one before it (one call per write).
const WRITES = new Set(['commit', 'put', 'append', 'finish', 'addNonceMarker', 'delete']);

const group = await createGroup(N, { timeouts: { failoverMs: 60_000 } });
for (const member of group.members) {
  // The member's service holds this object: route every store call to IndexedDB.
  const db = openSessionDb(`bench-${bytesToHex(randomBytes(4))}`) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  const target = member.store as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(db)) {
    target[name] = (...args: unknown[]) => {
      if (!WRITES.has(name)) return fn(...args);
      counts.calls++;
      const watched = new Watched<unknown>(
        (resolve, reject) => void fn(...args).then(resolve, reject),
      );
      watched.strict = isStrict(name, args);
      return watched;
    };
  }
}

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((r) => setTimeout(r, 1));
}

/** One round: the others approve at once; returns the writes counted from there to the end. */
async function round(): Promise<typeof counts> {
  const [proposer, ...others] = group.members;
  if (!proposer) throw new Error('no members');
  const view = await proposer.service.propose(group.vault.id, group.spend([50_000_000n]));
  await until(() => group.members.every((m) => m.service.session(view.id)));
  await new Promise((r) => setTimeout(r, 20)); // the proposal's writes settle
  Object.assign(counts, zero);
  await Promise.all(others.map((m) => m.service.approve(view.id)));
  await Promise.all(group.members.map((m) => m.service.settled(view.id)));
  await new Promise((r) => setTimeout(r, 50)); // writes nobody waited for land too
  return { ...counts };
}

const rows: (typeof counts)[] = [];
for (let i = 0; i < ROUNDS; i++) rows.push(await round());
await group.stop();

const mean = (key: keyof typeof counts) =>
  (rows.reduce((a, r) => a + r[key], 0) / rows.length / N).toFixed(1);
console.log(`3-of-3 round, per member (mean of ${ROUNDS} rounds, approvals → completed):`);
console.log(`  store write calls          ${mean('calls')}`);
console.log(`  awaited by the service     ${mean('awaited')} (strict: ${mean('awaitedStrict')})`);
console.log(`  IndexedDB rw transactions  ${mean('readwrite')}`);
console.log(`  of them durability=strict  ${mean('strict')}`);
