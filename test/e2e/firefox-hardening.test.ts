import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedFirefox, launchFirefox, packXpi } from './firefox-harness.ts';

// Firefox reports no origin with a port's sender, so the content script is what refuses a
// sandboxed page there (core/provider/origin.ts).
describe('Firefox ESR: a sandboxed page', () => {
  let ff: LaunchedFirefox;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': 'sandbox allow-scripts',
      });
      res.end('<!doctype html><title>sandboxed</title><p>sandboxed</p>');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    ff = await launchFirefox(await packXpi());
  });

  afterAll(async () => {
    await ff?.close();
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('is answered with OpaqueOriginError, whether through window.lotus or a forged bridge', async () => {
    const page = await ff.context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => 'lotus' in window);
    const answers = await page.evaluate(async () => {
      const hung = <T>(p: Promise<T>) =>
        Promise.race([p, new Promise((done) => setTimeout(() => done('hung'), 3_000))]);
      const lotus = (window as unknown as { lotus: { request(a: unknown): Promise<unknown> } })
        .lotus;
      const provider = await hung(
        lotus.request({ method: 'lotus_requestAccounts' }).then(
          () => 'granted',
          (err: { code: number; name: string }) => ({ code: err.code, name: err.name }),
        ),
      );
      const channel = new MessageChannel();
      const forged = hung(
        new Promise((done) => {
          channel.port1.onmessage = (e) => done(e.data);
        }),
      );
      window.postMessage({ type: 'petal:bridge-hello' }, '*', [channel.port2]);
      channel.port1.postMessage({ id: 'x1', method: 'lotus_requestAccounts' });
      return { origin: window.origin, provider, forged: await forged };
    });
    expect(answers).toMatchObject({
      origin: 'null',
      provider: { code: 4100, name: 'OpaqueOriginError' },
      forged: { id: 'x1', error: { code: 4100, name: 'OpaqueOriginError' } },
    });
  });
});
