import { describe, expect, it } from 'vitest';
import { until } from '../../support/until.ts';
import {
  type ApprovalStorage,
  ApprovalQueue,
  type PendingRequest,
} from '../../../src/core/provider/approval-queue.ts';

function memoryStorage(): ApprovalStorage & { saved: PendingRequest[] } {
  const store = {
    saved: [] as PendingRequest[],
    load: async () => structuredClone(store.saved),
    save: async (requests: PendingRequest[]) => {
      store.saved = structuredClone(requests);
    },
  };
  return store;
}

function counterIds() {
  let n = 0;
  return () => `req-${++n}`;
}

const request = (origin: string, documentId = 'doc-1') => ({
  origin,
  documentId,
  method: 'lotus_sendTransfer',
  params: { to: 'x' },
});

/** Lets queued promises register before we act on them. */
const tick = () => new Promise((done) => setTimeout(done, 0));

describe('ApprovalQueue', () => {
  it('resolves the caller with the approval result and removes the request', async () => {
    const queue = new ApprovalQueue(memoryStorage(), { nextId: counterIds() });
    const answer = queue.enqueue(request('https://a.example'));
    await tick();
    expect(queue.list().map((r) => r.id)).toEqual(['req-1']);
    await queue.approve('req-1', { txid: 'ab' });
    await expect(answer).resolves.toEqual({ txid: 'ab' });
    expect(queue.list()).toEqual([]);
  });

  it('rejects with 4001 when the user rejects', async () => {
    const queue = new ApprovalQueue(memoryStorage(), { nextId: counterIds() });
    const answer = queue.enqueue(request('https://a.example'));
    await tick();
    await queue.reject('req-1');
    await expect(answer).rejects.toMatchObject({ name: 'UserRejectedError', code: 4001 });
  });

  it('keeps every request in its own slot: two requests never overwrite each other', async () => {
    const queue = new ApprovalQueue(memoryStorage(), { nextId: counterIds() });
    const first = queue.enqueue(request('https://a.example'));
    const second = queue.enqueue(request('https://a.example'));
    await tick();
    await queue.approve('req-2', 'second');
    await queue.approve('req-1', 'first');
    expect([await first, await second]).toEqual(['first', 'second']);
  });

  it('bounds a flooding origin without affecting other sites', async () => {
    const queue = new ApprovalQueue(memoryStorage(), {
      maxPerOrigin: 3,
      maxTotal: 10,
      nextId: counterIds(),
    });
    const flood = Array.from({ length: 20 }, () =>
      queue.enqueue(request('https://evil.example')).catch((e: { name: string }) => e.name),
    );
    await tick();
    expect(queue.list()).toHaveLength(3);
    const refused = await Promise.all(flood.slice(3));
    expect(new Set(refused)).toEqual(new Set(['RequestLimitError']));
    void queue.enqueue(request('https://good.example'));
    await tick();
    expect(queue.list().filter((r) => r.origin === 'https://good.example')).toHaveLength(1);
  });

  it('bounds the total across origins', async () => {
    const queue = new ApprovalQueue(memoryStorage(), {
      maxPerOrigin: 5,
      maxTotal: 4,
      nextId: counterIds(),
    });
    for (let i = 0; i < 4; i++) void queue.enqueue(request(`https://site${i}.example`));
    await tick();
    await expect(queue.enqueue(request('https://late.example'))).rejects.toMatchObject({
      code: -32005,
    });
  });

  it("rejects a reloaded page's requests and only that page's", async () => {
    const queue = new ApprovalQueue(memoryStorage(), { nextId: counterIds() });
    const old = queue.enqueue(request('https://a.example', 'doc-old'));
    const kept = queue.enqueue(request('https://a.example', 'doc-other'));
    await tick();
    await queue.dropDocument('doc-old');
    await expect(old).rejects.toMatchObject({ name: 'RequestGoneError', code: 4900 });
    expect(queue.list().map((r) => r.documentId)).toEqual(['doc-other']);
    await queue.approve('req-2', 'ok');
    await expect(kept).resolves.toBe('ok');
  });

  it('survives a restart: pending requests are still listed and can be answered', async () => {
    const storage = memoryStorage();
    const before = new ApprovalQueue(storage, { nextId: counterIds() });
    void before.enqueue(request('https://a.example'));
    await tick();
    const after = new ApprovalQueue(storage);
    await after.load();
    expect(after.list().map((r) => r.id)).toEqual(['req-1']);
    await after.reject('req-1');
    expect(storage.saved).toEqual([]);
  });

  it('refuses to answer a request that does not exist', async () => {
    const queue = new ApprovalQueue(memoryStorage());
    await expect(queue.approve('nope', 1)).rejects.toMatchObject({ name: 'RequestGoneError' });
  });
});

describe('resuming after a worker restart', () => {
  it('a page that sends the same request again re-attaches to the restored entry', async () => {
    const storage = memoryStorage();
    const first = new ApprovalQueue(storage, { nextId: counterIds() });
    void first.enqueue({ ...request('https://a.example'), key: 'doc-1:c1' }).catch(() => {});
    await until(() => storage.saved.length === 1);
    // The worker restarts: a new queue loads the persisted entry; nobody is waiting on it yet.
    const second = new ApprovalQueue(storage, { nextId: counterIds() });
    await second.load();
    const [restored] = second.list();
    expect(second.orphaned(restored!.id)).toBe(true);
    const again = second.enqueue({ ...request('https://a.example'), key: 'doc-1:c1' });
    await until(() => !second.orphaned(restored!.id));
    expect(second.list()).toHaveLength(1);
    await second.approve(restored!.id, 'done');
    await expect(again).resolves.toBe('done');
  });

  it('another origin cannot hijack a pending request by reusing its key', async () => {
    const queue = new ApprovalQueue(memoryStorage(), { nextId: counterIds() });
    void queue.enqueue({ ...request('https://a.example'), key: 'k' }).catch(() => {});
    void queue.enqueue({ ...request('https://evil.example'), key: 'k' }).catch(() => {});
    await until(() => queue.list().length === 2);
    expect(queue.list().map((p) => p.origin)).toEqual([
      'https://a.example',
      'https://evil.example',
    ]);
  });
});
