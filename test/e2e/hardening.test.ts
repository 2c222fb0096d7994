import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalView } from '../../src/core/provider/dapp-methods.ts';
import type { NetworkStatus } from '../../src/core/rpc/index.ts';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';
import {
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
  screenshotPath,
  servePage,
  stopServiceWorkers,
} from './harness.ts';

const PASSWORD = 'hardening e2e password';
const PAGE = '<!doctype html><title>site</title><p>a site</p>';

/** A site whose `/sandboxed` page is served with a CSP sandbox (an opaque origin, "null"). */
async function serveSandboxed(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
    if (req.url === '/sandboxed') headers['content-security-policy'] = 'sandbox allow-scripts';
    res.writeHead(200, headers);
    res.end(PAGE);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Starts `window.lotus.request` in the page; its outcome lands in `window.__outcome[key]`. */
async function startRequest(page: Page, key: string, method: string, params?: unknown) {
  await page.evaluate(
    ({ key, method, params }) => {
      const w = window as unknown as {
        lotus: { request(a: unknown): Promise<unknown> };
        __outcome?: Record<string, unknown>;
      };
      w.__outcome ??= {};
      w.lotus.request({ method, params }).then(
        (result) => void (w.__outcome![key] = { result }),
        (err: { code: number; name: string; message: string }) =>
          void (w.__outcome![key] = { error: { code: err.code, name: err.name } }),
      );
    },
    { key, method, params },
  );
}

const outcome = (page: Page, key: string) =>
  page.evaluate(
    (key) => (window as unknown as { __outcome?: Record<string, unknown> }).__outcome?.[key],
    key,
  );

/** The approval window, once it shows a request from `origin`. */
async function approvalWindow(ext: LaunchedExtension, origin: string): Promise<Page> {
  return until(async () => {
    for (const page of ext.context.pages().reverse()) {
      if (page.isClosed() || !page.url().includes('#/approve')) continue;
      const shown = await page
        .locator('#approve-origin')
        .textContent({ timeout: 500 })
        .catch(() => '');
      if (shown?.includes(origin)) return page;
    }
    return undefined;
  }, 20_000);
}

describe('hardening: sandboxed pages, the approval race, a stable peer id', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  let ext: LaunchedExtension;
  let wallet: Page;
  let sandboxSite: Awaited<ReturnType<typeof serveSandboxed>>;
  let siteA: Awaited<ReturnType<typeof servePage>>;
  let siteB: Awaited<ReturnType<typeof servePage>>;

  beforeAll(async () => {
    [devnet, relay, sandboxSite, siteA, siteB] = await Promise.all([
      startDevnet({ port: 0 }),
      startLocalRelay(),
      serveSandboxed(),
      servePage(PAGE),
      servePage(PAGE),
    ]);
    ext = await launchExtension();
    wallet = await extensionPage(ext);
    await callExtension(wallet, 'petal_walletSettings', {
      network: 'regtest',
      chronikUrl: devnet.url,
    });
    await callExtension(wallet, 'petal_walletImport', {
      password: PASSWORD,
      mnemonic: createMnemonic(12),
    });
  }, 120_000);

  afterAll(async () => {
    await ext?.close();
    await Promise.all([relay?.stop(), devnet?.close()]);
    await Promise.all([sandboxSite?.close(), siteA?.close(), siteB?.close()]);
  });

  it('answers a sandboxed page (origin "null") with OpaqueOriginError instead of hanging', async () => {
    const page = await ext.context.newPage();
    await page.goto(`${sandboxSite.url}sandboxed`);
    expect(await page.evaluate(() => window.origin)).toBe('null');
    const answer = await page.evaluate(async () => {
      const lotus = (window as unknown as { lotus: { request(a: unknown): Promise<unknown> } })
        .lotus;
      const hung = new Promise((done) => setTimeout(() => done('hung'), 3_000));
      const asked = lotus.request({ method: 'lotus_requestAccounts' }).then(
        () => 'granted',
        (err: { code: number; name: string }) => ({ code: err.code, name: err.name }),
      );
      return Promise.race([asked, hung]);
    });
    expect(answer).toEqual({ code: 4100, name: 'OpaqueOriginError' });

    // A page script that builds its own bridge to the content script gets no further.
    const forged = await page.evaluate(async () => {
      const channel = new MessageChannel();
      const reply = new Promise((done) => {
        channel.port1.onmessage = (e) => done(e.data);
        setTimeout(() => done('hung'), 3_000);
      });
      window.postMessage({ type: 'petal:bridge-hello' }, '*', [channel.port2]);
      channel.port1.postMessage({ id: 'x1', method: 'lotus_requestAccounts' });
      return reply;
    });
    expect(forged).toMatchObject({ id: 'x1', error: { code: 4100, name: 'OpaqueOriginError' } });
    const pending = await callExtension<ApprovalView[]>(wallet, 'petal_approvalList');
    expect(pending).toEqual([]);
    await page.close();
  });

  it('a click or Enter meant for one request does not approve the request that takes its place', async () => {
    const originA = new URL(siteA.url).origin;
    const originB = new URL(siteB.url).origin;
    const [pageA, pageB] = await Promise.all([ext.context.newPage(), ext.context.newPage()]);
    await Promise.all([pageA.goto(siteA.url), pageB.goto(siteB.url)]);

    await startRequest(pageA, 'a', 'lotus_requestAccounts');
    const approval = await approvalWindow(ext, originA);
    await approval.screenshot({ path: await screenshotPath('hardening-connect-prompt') });
    expect(await approval.locator('#approve-connect-sees').textContent()).toContain(
      'the vault spends it asks for',
    );
    // Enter the moment the window shows the request (while it is still disarmed): no effect.
    const pressedEarly = await approval.evaluate(() => {
      if (!document.querySelector('[data-armed="false"]')) return false;
      dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
      return true;
    });
    expect(pressedEarly).toBe(true);
    await startRequest(pageB, 'b', 'lotus_requestAccounts');
    await until(
      async () => (await callExtension<ApprovalView[]>(wallet, 'petal_approvalList')).length === 2,
    );
    expect(await outcome(pageA, 'a')).toBeUndefined();

    // The user aims at site A's request; the moment site B's takes its place under the pointer,
    // the click and an Enter land.
    await approval.evaluate((originB) => {
      const fire = () => {
        (document.querySelector('#approve-accept') as HTMLButtonElement | null)?.click();
        dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
      };
      new MutationObserver((_, observer) => {
        if (!document.querySelector('#approve-origin')?.textContent?.includes(originB)) return;
        observer.disconnect();
        fire();
        (window as unknown as { __firedAt: number }).__firedAt = Date.now();
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, originB);
    await pageA.reload(); // site A's page goes away, and its request with it
    const list = () => callExtension<ApprovalView[]>(wallet, 'petal_approvalList');
    await until(async () => (await list()).every((p) => p.origin !== originA));
    // The window notices within its 1 s poll, shows site B's request, and the click and Enter land.
    await new Promise((done) => setTimeout(done, 1_500));
    expect((await list()).map((p) => p.origin)).toEqual([originB]);
    expect(await outcome(pageB, 'b')).toBeUndefined();
    expect(
      await approval.evaluate(() => (window as unknown as { __firedAt?: number }).__firedAt),
    ).toBeDefined();
    await approval.screenshot({ path: await screenshotPath('hardening-approve-after-swap') });

    // Once armed, the user's own click counts.
    await approval.locator('#approve-accept:enabled').waitFor();
    await approval.click('#approve-accept').catch(() => undefined); // the window may close
    await expect.poll(() => outcome(pageB, 'b')).toMatchObject({ result: [expect.any(String)] });
    await Promise.all([pageA.close(), pageB.close()]);
  });

  it('keeps its peer id when the offscreen document and the worker start again', async () => {
    const before = await callExtension<NetworkStatus>(wallet, 'petal_connectNetwork', {
      relays: relay.multiaddrs,
    });
    expect(before.peerId).toBeDefined();
    await ext.serviceWorker.evaluate(() => chrome.offscreen.closeDocument());
    await stopServiceWorkers(ext, wallet);
    const after = await callExtension<NetworkStatus>(wallet, 'petal_connectNetwork', {
      relays: relay.multiaddrs,
    });
    expect(after.running).toBe(true);
    expect(after.peerId).toBe(before.peerId);
  });
});
