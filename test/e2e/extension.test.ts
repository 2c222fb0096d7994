import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXTENSION_DIR,
  type LaunchedExtension,
  launchExtension,
  screenshotPath,
  servePage,
} from './harness.ts';

// The built extension in real Chromium: service worker, popup, offscreen document and the page
// provider all talk through the typed router.
describe('built extension in Chromium', () => {
  let ext: LaunchedExtension;
  let site: Awaited<ReturnType<typeof servePage>>;

  beforeAll(async () => {
    if (!existsSync(join(EXTENSION_DIR, 'manifest.json')))
      throw new Error('Run `npm run build` first');
    ext = await launchExtension();
    site = await servePage('<!doctype html><title>dApp</title><h1>test dApp</h1>', {
      '/frame': ['text/html', '<!doctype html><iframe src="/inner"></iframe>'],
      '/inner': ['text/html', '<!doctype html><p>inner</p>'],
      '/data.xml': ['application/xml', '<?xml version="1.0"?><root/>'],
    });
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  it('starts the service worker as an ES module under a chrome-extension:// URL', async () => {
    expect(ext.serviceWorker.url()).toBe(`chrome-extension://${ext.extensionId}/background.js`);
    const hasDom = await ext.serviceWorker.evaluate(() => typeof document !== 'undefined');
    expect(hasDom).toBe(false);
  });

  it('opens the popup, which reaches the background and the offscreen network host', async () => {
    const popup = await ext.context.newPage();
    const pageErrors: string[] = [];
    popup.on('pageerror', (err) => pageErrors.push(err.message));
    await popup.setViewportSize({ width: 360, height: 600 });
    // The About screen reports what the popup reached: background, offscreen node, version.
    await popup.goto(`chrome-extension://${ext.extensionId}/popup/index.html#/about`);
    await expect.poll(() => popup.textContent('#background-status')).toBe('running');
    await expect
      .poll(() => popup.textContent('#network-status'), { timeout: 10_000 })
      .toBe('running');
    expect(await popup.textContent('#version')).toBe('0.1.0');
    await popup.screenshot({ path: await screenshotPath('popup-status') });
    expect(pageErrors).toEqual([]);
    await popup.close();
  });

  it('round-trips window.lotus.request from a page on 127.0.0.1 to the background and back', async () => {
    const page = await ext.context.newPage();
    await page.goto(site.url);
    const reply = await page.evaluate(() =>
      (window as unknown as { lotus: { request(a: unknown): Promise<unknown> } }).lotus.request({
        method: 'lotus_ping',
        params: { echo: 'hello' },
      }),
    );
    expect(reply).toEqual({
      pong: true,
      echo: 'hello',
      answeredBy: 'background',
      origin: new URL(site.url).origin,
      version: '0.1.0',
    });
    await page.close();
  });

  it('answers bad input from a page with typed errors and keeps serving', async () => {
    const page = await ext.context.newPage();
    await page.goto(site.url);
    const results = await page.evaluate(async () => {
      const lotus = (window as unknown as { lotus: { request(a: unknown): Promise<unknown> } })
        .lotus;
      const attempt = (args: unknown) =>
        lotus.request(args).then(
          () => 'resolved',
          (e: { name: string; code: number }) => ({ name: e.name, code: e.code }),
        );
      return {
        unknownMethod: await attempt({ method: 'lotus_exportSeed' }),
        malformedParams: await attempt({
          method: 'lotus_ping',
          params: { echo: { nested: true } },
        }),
        notAnObject: await attempt('lotus_ping'),
        oversized: await attempt({
          method: 'lotus_ping',
          params: { echo: 'x'.repeat(2 * 1024 * 1024) },
        }),
        offscreenFromPage: await attempt({ method: 'petal_offscreenPing' }),
        networkHostFromPage: await attempt({ method: 'petal_offscreenStatus', params: {} }),
        stillAlive: await lotus
          .request({ method: 'lotus_ping' })
          .then((r) => (r as { pong: boolean }).pong),
      };
    });
    expect(results).toEqual({
      unknownMethod: { name: 'UnsupportedMethodError', code: 4200 },
      malformedParams: { name: 'InvalidParamsError', code: -32602 },
      notAnObject: { name: 'InvalidRequestError', code: -32600 },
      oversized: { name: 'MessageTooLargeError', code: -32010 },
      offscreenFromPage: { name: 'UnsupportedMethodError', code: 4200 },
      networkHostFromPage: { name: 'UnauthorizedError', code: 4100 },
      stillAlive: true,
    });
    await page.close();
  });

  it('does not let a page replace window.lotus', async () => {
    const page = await ext.context.newPage();
    await page.goto(site.url);
    const same = await page.evaluate(() => {
      const before = (window as unknown as { lotus: unknown }).lotus;
      try {
        (window as unknown as { lotus: unknown }).lotus = { fake: true };
      } catch {
        // strict-mode assignment to a read-only property throws; either way it must not change
      }
      return (window as unknown as { lotus: unknown }).lotus === before;
    });
    expect(same).toBe(true);
    await page.close();
  });

  it('announces itself EIP-6963-style with a fresh uuid and the same provider object', async () => {
    const page = await ext.context.newPage();
    await page.goto(site.url);
    const announced = await page.evaluate(() => {
      const details: { info: Record<string, string>; same: boolean }[] = [];
      window.addEventListener('eip6963:announceProvider', (event) => {
        const { info, provider } = (event as CustomEvent).detail;
        details.push({ info, same: provider === (window as unknown as { lotus: unknown }).lotus });
      });
      window.dispatchEvent(new Event('eip6963:requestProvider'));
      return details;
    });
    expect(announced).toHaveLength(1);
    expect(announced[0]?.same).toBe(true);
    expect(announced[0]?.info).toMatchObject({ name: 'Petal', rdns: 'org.petal-wallet' });
    expect(announced[0]?.info.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(announced[0]?.info.icon).toMatch(/^data:image\/png;base64,/);
    await page.close();
  });

  it('injects into top-level HTML pages only: not iframes, not XML documents', async () => {
    const page = await ext.context.newPage();
    await page.goto(`${site.url}frame`);
    const inner = page.frames().find((f) => f.url().endsWith('/inner'));
    await expect.poll(() => inner?.evaluate(() => document.readyState)).toBe('complete');
    expect(await page.evaluate(() => 'lotus' in window)).toBe(true);
    expect(await inner?.evaluate(() => 'lotus' in window)).toBe(false);
    await page.goto(`${site.url}data.xml`);
    expect(await page.evaluate(() => 'lotus' in window)).toBe(false);
    await page.close();
  });

  it('reported no service-worker console errors during the whole run', () => {
    expect(ext.workerErrors).toEqual([]);
  });
});
