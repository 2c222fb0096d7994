import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseFileNames } from '../../scripts/release/names.ts';
import { type LaunchedFirefox, launchFirefox } from '../e2e/firefox-harness.ts';
import { CHROMIUM, chromiumArgs, servePage } from '../e2e/harness.ts';
import { REPO } from './copy-checkout.ts';

const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
};
const names = releaseFileNames(version);

/**
 * Chromium itself calls these at start even with background networking off (its updater and
 * account services; they happen without any extension too). Everything else counts as Petal's.
 */
const CHROMIUM_OWN_HOSTS = new Set(['update.googleapis.com', 'accounts.google.com']);

type Lotus = { lotus: { request(a: unknown): Promise<unknown> } };

async function unzipTo(zip: string, dir: string): Promise<void> {
  for (const [path, bytes] of Object.entries(unzipSync(await readFile(zip)))) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
}

/**
 * An HTTP proxy that answers nothing and writes down every request: Chromium sends all traffic
 * except loopback through it, so whatever it records left (or tried to leave) the machine.
 */
async function recordingProxy() {
  const seen: string[] = [];
  const note = (req: IncomingMessage) => seen.push(`${req.method} ${req.url}`);
  const server = createServer((req, res) => {
    note(req);
    res.writeHead(502).end();
  });
  server.on('connect', (req, socket) => {
    note(req);
    socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

// The store packages themselves, as a user installs them: the Chrome Web Store zip unpacked and
// loaded in Chromium, the Firefox package sideloaded in Firefox ESR; the same smoke test as the
// unpacked builds (test/e2e/extension.test.ts, firefox.test.ts).
describe('release packages in the browsers', () => {
  let temp: string;
  let site: Awaited<ReturnType<typeof servePage>>;

  beforeAll(async () => {
    temp = await mkdtemp(join(tmpdir(), 'petal-release-e2e-'));
    site = await servePage('<!doctype html><title>dApp</title><h1>test dApp</h1>');
  });
  afterAll(async () => {
    await site?.close();
    if (temp) await rm(temp, { recursive: true, force: true });
  });

  describe('Chrome Web Store zip in Chromium', () => {
    let context: BrowserContext;
    let proxy: Awaited<ReturnType<typeof recordingProxy>>;
    let extensionId: string;
    const workerErrors: string[] = [];

    beforeAll(async () => {
      const dir = join(temp, 'chrome');
      await unzipTo(join(REPO, 'release', names.chrome), dir);
      proxy = await recordingProxy();
      context = await chromium.launchPersistentContext(join(temp, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: [...chromiumArgs(dir), `--proxy-server=${proxy.url}`],
      });
      const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
      worker.on('console', (msg) => {
        if (msg.type() === 'error') workerErrors.push(msg.text());
      });
      extensionId = new URL(worker.url()).host;
    });
    afterAll(async () => {
      await context?.close();
      await proxy?.close();
    });

    it('starts, and the popup reaches the background and the network host', async () => {
      const popup = await context.newPage();
      await popup.goto(`chrome-extension://${extensionId}/popup/index.html#/about`);
      await expect
        .poll(() => popup.textContent('#background-status'), { timeout: 15_000 })
        .toBe('running');
      await expect
        .poll(() => popup.textContent('#network-status'), { timeout: 10_000 })
        .toBe('running');
      expect(await popup.textContent('#version')).toBe(version);
      await popup.close();
    });

    it('answers window.lotus from a page', async () => {
      const page = await context.newPage();
      await page.goto(site.url);
      const reply = await page.evaluate(() =>
        (window as unknown as Lotus).lotus.request({
          method: 'lotus_ping',
          params: { echo: 'zip' },
        }),
      );
      expect(reply).toMatchObject({ pong: true, echo: 'zip', version });
      await page.close();
    });

    it('contacted nothing beyond this machine while starting (no remote checks, no remote code)', async () => {
      // Give a start-up fetch or a delayed update check time to happen.
      await new Promise((done) => setTimeout(done, 3000));
      const hosts = proxy.seen.map((request) => {
        const target = request.split(' ')[1]!;
        return target.startsWith('http') ? new URL(target).hostname : target.split(':')[0]!;
      });
      expect(hosts.filter((host) => !CHROMIUM_OWN_HOSTS.has(host))).toEqual([]);
      expect(workerErrors).toEqual([]);
    });
  });

  describe('Firefox package in Firefox ESR', () => {
    let ff: LaunchedFirefox;
    beforeAll(async () => {
      ff = await launchFirefox(join(REPO, 'release', names.firefox));
    });
    afterAll(async () => {
      await ff?.close();
    });

    it('round-trips window.lotus to the background page', async () => {
      const page = await ff.context.newPage();
      await page.goto(site.url);
      await page.waitForFunction(() => 'lotus' in window);
      const reply = await page.evaluate(() =>
        (window as unknown as Lotus).lotus.request({
          method: 'lotus_ping',
          params: { echo: 'xpi' },
        }),
      );
      expect(reply).toMatchObject({ pong: true, echo: 'xpi', answeredBy: 'background', version });
    });
  });
});
