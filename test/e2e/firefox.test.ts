import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedFirefox, launchFirefox, packXpi } from './firefox-harness.ts';
import { servePage } from './harness.ts';

// The same sources, built as Firefox's MV2 extension with a persistent background page.
describe('built extension in Firefox ESR', () => {
  let ff: LaunchedFirefox;
  let site: Awaited<ReturnType<typeof servePage>>;

  beforeAll(async () => {
    [ff, site] = await Promise.all([
      packXpi().then(launchFirefox),
      servePage('<!doctype html><title>dApp</title><h1>test dApp</h1>'),
    ]);
  });

  afterAll(async () => {
    await ff?.close();
    await site?.close();
  });

  it('round-trips window.lotus.request to the background page and answers errors by code', async () => {
    const page = await ff.context.newPage();
    await page.goto(site.url);
    await page.waitForFunction(() => 'lotus' in window);
    const result = await page.evaluate(async () => {
      const lotus = (window as unknown as { lotus: { request(a: unknown): Promise<unknown> } })
        .lotus;
      const ping = await lotus.request({ method: 'lotus_ping', params: { echo: 'firefox' } });
      const unknown = await lotus
        .request({ method: 'lotus_nope' })
        .catch((e: { code: number }) => e.code);
      return { ping, unknown };
    });
    expect(result).toEqual({
      ping: {
        pong: true,
        echo: 'firefox',
        answeredBy: 'background',
        origin: new URL(site.url).origin,
        version: '0.1.0',
      },
      unknown: 4200,
    });
  });
});
