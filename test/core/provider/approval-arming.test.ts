import { describe, expect, it } from 'vitest';
import {
  APPROVAL_ARMING_MS,
  type ApprovalStorage,
  ApprovalQueue,
  type PendingRequest,
} from '../../../src/core/provider/approval-queue.ts';

function memoryStorage(): ApprovalStorage {
  let saved: PendingRequest[] = [];
  return {
    load: async () => structuredClone(saved),
    save: async (requests) => void (saved = structuredClone(requests)),
  };
}

/** A queue on a hand-driven clock, with two pages' requests waiting: "Log in" first. */
async function twoWaiting() {
  let now = 1_000_000;
  let n = 0;
  const queue = new ApprovalQueue(memoryStorage(), { now: () => now, nextId: () => `req-${++n}` });
  const login = queue.enqueue({
    origin: 'https://login.example',
    documentId: 'doc-login',
    method: 'lotus_signMessage',
    params: { message: 'Log in' },
  });
  const payment = queue.enqueue({
    origin: 'https://evil.example',
    documentId: 'doc-evil',
    method: 'lotus_sendTransfer',
    params: { to: 'lotus_x', sats: '99999999' },
  });
  login.catch(() => undefined);
  await new Promise((done) => setTimeout(done, 0));
  return { queue, login, payment, advance: (ms: number) => void (now += ms) };
}

describe('the approval window acts only on the request it showed, once armed', () => {
  it(`refuses an approval within ${APPROVAL_ARMING_MS} ms of the request appearing on screen`, async () => {
    const { queue, advance } = await twoWaiting();
    expect((await queue.present()).map((p) => p.id)).toEqual(['req-1', 'req-2']);
    advance(30); // Enter pressed 30 ms after the window rendered
    await expect(queue.confirm('req-1', {})).rejects.toMatchObject({
      name: 'ApprovalNotArmedError',
    });
    expect(queue.get('req-1')).toBeDefined();
    advance(APPROVAL_ARMING_MS);
    await queue.confirm('req-1', {});
    expect(queue.get('req-1')).toBeUndefined();
  });

  it('a click meant for "Log in" does not approve the payment that took its place', async () => {
    const { queue, payment, advance } = await twoWaiting();
    await queue.present();
    advance(5_000); // the user has been reading "Log in" for a while
    // The login page goes away; the payment is first now, under the user's pointer.
    await queue.dropDocument('doc-login');
    await expect(queue.confirm('req-2', {})).rejects.toMatchObject({
      name: 'ApprovalNotArmedError',
    });
    // The window learns of it: the delay starts from there.
    await queue.present();
    advance(APPROVAL_ARMING_MS - 1);
    await expect(queue.confirm('req-2', {})).rejects.toMatchObject({
      name: 'ApprovalNotArmedError',
    });
    advance(1);
    await queue.confirm('req-2', { approved: true });
    await expect(payment).resolves.toEqual({ approved: true });
  });

  it('refuses to approve a request the window was never handed to show', async () => {
    const { queue, advance } = await twoWaiting();
    await queue.present();
    advance(10_000);
    await expect(queue.confirm('req-2', {})).rejects.toMatchObject({
      name: 'ApprovalNotArmedError',
    });
    await expect(queue.confirm('req-9', {})).rejects.toMatchObject({ name: 'RequestGoneError' });
  });

  it('rejecting needs no delay', async () => {
    const { queue, payment } = await twoWaiting();
    await queue.present();
    await queue.reject('req-2');
    await expect(payment).rejects.toMatchObject({ code: 4001 });
  });
});
