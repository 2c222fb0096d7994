/**
 * Page side of `node bench/session-commit.bench.ts`: times one nonce-marker commit of the
 * wallet's store (`openSessionDb(...).commit`) against the floor, one bare strict IndexedDB put,
 * and against the same step written by hand in one transaction, in this page's IndexedDB.
 */
import { openSessionDb } from '../../src/background/session-db.ts';

export interface CaseTimes {
  name: string;
  /** Milliseconds per iteration, in run order. */
  times: number[];
}

const ENVELOPE_BYTES = 300;

function request<T>(req: IDBRequest<T> | IDBOpenDBRequest): Promise<T> {
  return new Promise((ok, fail) => {
    req.onsuccess = () => ok(req.result as T);
    req.onerror = () => fail(req.error);
  });
}

function finished(tx: IDBTransaction): Promise<void> {
  return new Promise((ok, fail) => {
    tx.oncomplete = () => ok();
    tx.onerror = tx.onabort = () => fail(tx.error);
  });
}

async function bareDb(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => req.result.createObjectStore('writes', { autoIncrement: true });
  return request(req);
}

/** The session store's three stores, created as its version 2 does, for the hand-written step. */
async function layoutDb(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    const db = req.result;
    db.createObjectStore('markers', { autoIncrement: true }).createIndex('session', 'sessionId');
    db.createObjectStore('headers', { keyPath: 'sessionId' });
    db.createObjectStore('envelopes', { autoIncrement: true }).createIndex('session', 'sessionId');
  };
  return request(req);
}

type Step = (i: number) => Promise<void>;

async function cases(tag: string): Promise<Record<string, Step>> {
  const sessionId = `session-${tag}`;
  const bare = await bareDb(`bench-bare-${tag}`);
  const raw = await layoutDb(`bench-raw-${tag}`);
  raw
    .transaction('headers', 'readwrite')
    .objectStore('headers')
    .put({ sessionId, vaultId: 'v', status: 'open', expiresAt: 0, nextSequence: 0 });
  const store = openSessionDb(`bench-store-${tag}`);
  await store.commit({ sessionId, open: { vaultId: 'v', expiresAt: Date.now() + 3_600_000 } });
  const marker = (i: number) => ({
    sessionId,
    attempt: i,
    stage: 'consumed' as const,
    at: Date.now(),
  });
  /** One step's requests issued at once on three stores; `commit` ends the transaction at once. */
  const rawStep = async (i: number, commit: boolean) => {
    const tx = raw.transaction(['headers', 'envelopes', 'markers'], 'readwrite', {
      durability: 'strict',
    });
    tx.objectStore('envelopes').add({
      sessionId,
      bytes: new Uint8Array(ENVELOPE_BYTES),
      next: i + 1,
    });
    tx.objectStore('markers').add(marker(i));
    if (commit) tx.commit();
    await finished(tx);
  };
  return {
    'bare strict put (1 store)': async () => {
      const tx = bare.transaction('writes', 'readwrite', { durability: 'strict' });
      tx.objectStore('writes').put(new Uint8Array(ENVELOPE_BYTES));
      await finished(tx);
    },
    'raw step, requests issued at once (3 stores)': (i) => rawStep(i, false),
    'raw step, at once + tx.commit() (3 stores)': (i) => rawStep(i, true),
    'raw step, header get then adds awaited (3 stores)': async (i) => {
      const tx = raw.transaction(['headers', 'envelopes', 'markers'], 'readwrite', {
        durability: 'strict',
      });
      const done = finished(tx);
      await request(tx.objectStore('headers').get(sessionId));
      await request(
        tx
          .objectStore('envelopes')
          .add({ sessionId, bytes: new Uint8Array(ENVELOPE_BYTES), next: i + 1 }),
      );
      await request(tx.objectStore('markers').add(marker(i)));
      await done;
    },
    'commit behind a received frame (not awaited)': async (i) => {
      // As a step that follows a stored received frame: the marker commit queues behind it.
      void store.commit({ sessionId, envelopes: [new Uint8Array(ENVELOPE_BYTES)] });
      await store.commit({
        sessionId,
        envelopes: [new Uint8Array(ENVELOPE_BYTES)],
        nextSequence: i + 1,
        markers: [marker(i)],
      });
    },
    'openSessionDb().commit (envelope + marker)': (i) =>
      store.commit({
        sessionId,
        envelopes: [new Uint8Array(ENVELOPE_BYTES)],
        nextSequence: i + 1,
        markers: [marker(i)],
      }),
  };
}

/**
 * Keeps this page's thread busy with back-to-back tasks of `taskMs` (as a service worker is while
 * it verifies envelopes and computes MuSig2 during a round) until the returned stop is called.
 */
function busyThread(taskMs: number): () => void {
  let running = true;
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const end = performance.now() + taskMs;
    while (performance.now() < end);
    if (running) channel.port2.postMessage(0);
  };
  channel.port2.postMessage(0);
  return () => {
    running = false;
    channel.port1.close();
  };
}

/**
 * Runs every case `iterations` times, interleaved so drifting machine load hits all alike; with
 * `busyMs` > 0 the page's thread is kept busy with tasks that long meanwhile.
 */
(
  window as unknown as { runCommitBench: (n: number, busyMs: number) => Promise<CaseTimes[]> }
).runCommitBench = async (iterations, busyMs) => {
  const tag = crypto.randomUUID().slice(0, 8);
  const stop = busyMs > 0 ? busyThread(busyMs) : () => undefined;
  const steps = Object.entries(await cases(tag));
  const out = steps.map(([name]) => ({ name, times: [] as number[] }));
  for (let i = -5; i < iterations; i++) {
    for (const [k, [, step]] of steps.entries()) {
      const start = performance.now();
      await step(i + 5);
      if (i >= 0) out[k]?.times.push(performance.now() - start); // the first 5 warm up
    }
  }
  stop();
  return out;
};
