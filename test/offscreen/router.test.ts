import { describe, expect, it } from 'vitest';
import { ENVELOPE_TAG, type CallerInfo } from '../../src/core/rpc/index.ts';
import { createOffscreenRouter } from '../../src/offscreen/router.ts';

const request = (method: string, params?: unknown) => ({
  tag: ENVELOPE_TAG,
  kind: 'request',
  id: 'r1',
  target: 'offscreen',
  method,
  params,
});

describe('the offscreen network host', () => {
  it('answers extension contexts', async () => {
    const router = createOffscreenRouter('test');
    const extension: CallerInfo = { kind: 'extension', origin: 'chrome-extension://petal' };
    expect(await router.handle(request('petal_networkStatus', {}), extension)).toMatchObject({
      result: { running: false },
    });
  });

  it('refuses a content script (a page’s relay) before touching the node (4100)', async () => {
    const router = createOffscreenRouter('test');
    const page: CallerInfo = { kind: 'page', origin: 'https://evil.example' };
    for (const [method, params] of [
      ['petal_networkStatus', {}],
      ['petal_networkDial', { multiaddr: '/ip4/127.0.0.1/tcp/1/ws' }],
      ['petal_p2pSend', { peer: 'x', data: '00' }],
      ['petal_runnerStop', {}],
      ['petal_runnerApprove', { id: 'ab'.repeat(32) }],
    ] as const) {
      const reply = await router.handle(request(method, params), page);
      expect(reply).toMatchObject({ error: { code: 4100, name: 'UnauthorizedError' } });
    }
  });
});
