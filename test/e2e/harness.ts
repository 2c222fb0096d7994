import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type BrowserContext,
  type ConsoleMessage,
  type Page,
  type Worker,
  chromium,
} from 'playwright-core';

export const CHROMIUM = process.env.PETAL_CHROMIUM ?? '/usr/lib/chromium/chromium';
export const EXTENSION_DIR = resolve(import.meta.dirname, '../../extension');
export const RESULTS_DIR = resolve(import.meta.dirname, '../../test-results');

/** Flags for Debian Chromium on a closed network (see DEVELOPERS.md). */
export function chromiumArgs(extensionDir: string): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // WebRTC skips loopback interfaces; on a machine with no other one, peers could not meet.
    '--allow-loopback-in-peer-connection',
    `--disable-extensions-except=${extensionDir}`,
    `--load-extension=${extensionDir}`,
  ];
}

export interface LaunchedExtension {
  context: BrowserContext;
  serviceWorker: Worker;
  extensionId: string;
  /** Console errors the service worker printed since launch. */
  workerErrors: string[];
  close(): Promise<void>;
}

/** One Chromium with the built extension, in a fresh profile that is deleted on close. */
export async function launchExtension(
  extensionDir = EXTENSION_DIR,
  options: {
    headless?: boolean;
    /** More Chromium flags (e.g. `--host-resolver-rules` for fixed host names). */
    args?: string[];
    /** Pinned so dates render the same on every machine (screens.test.ts). */
    timezoneId?: string;
    locale?: string;
    /** Another executable that wraps Chromium (nat.test.ts runs it in a network namespace). */
    executablePath?: string;
  } = {},
): Promise<LaunchedExtension> {
  const profile = await mkdtemp(join(tmpdir(), 'petal-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: options.executablePath ?? CHROMIUM,
    headless: options.headless ?? true,
    args: [...chromiumArgs(extensionDir), ...(options.args ?? [])],
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
  });
  const workerErrors: string[] = [];
  const watch = (worker: Worker) =>
    worker.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error') workerErrors.push(msg.text());
    });
  context.on('serviceworker', watch);
  const serviceWorker =
    context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  watch(serviceWorker);
  // The id derives from the unpacked folder's path, so read it rather than hard-coding it.
  const extensionId = new URL(serviceWorker.url()).host;
  return {
    context,
    serviceWorker,
    extensionId,
    workerErrors,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A tiny HTTP server on 127.0.0.1 standing in for a dApp: `/` serves the given HTML, other paths
 * serve the extra routes (path → [content type, body]).
 */
export async function servePage(
  html: string,
  routes: Record<string, [string, string]> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const [type, body] = routes[req.url ?? '/'] ?? ['text/html; charset=utf-8', html];
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    // The browser keeps its connection alive: cut it, or close() waits for its timeout.
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

export async function screenshotPath(name: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  return join(RESULTS_DIR, `${name}.png`);
}

/** Opens an extension page (the popup) to send router requests from an extension context. */
export async function extensionPage(ext: LaunchedExtension): Promise<Page> {
  const page = await ext.context.newPage();
  await page.goto(`chrome-extension://${ext.extensionId}/popup/index.html`);
  return page;
}

/** The popup's address at a hash route (`/vaults`, `/vault/<id>`). */
export const popupUrl = (ext: LaunchedExtension, route: string): string =>
  `chrome-extension://${ext.extensionId}/popup/index.html#${route}`;

/** Opens the popup at `route` in a new tab of the popup's size (360×600), for the user's view. */
export async function popupAt(ext: LaunchedExtension, route: string): Promise<Page> {
  const page = await ext.context.newPage();
  await page.setViewportSize({ width: 360, height: 600 });
  await page.goto(popupUrl(ext, route));
  return page;
}

/**
 * Sends one router request from an extension page to the background (or straight to the
 * offscreen network host) and returns the result, or throws the error with its name and code.
 */
export async function callExtension<T>(
  page: Page,
  method: string,
  params?: unknown,
  target: 'background' | 'offscreen' = 'background',
): Promise<T> {
  const reply = await page.evaluate(
    ({ method, params, target }) =>
      chrome.runtime.sendMessage({
        tag: 'petal/1',
        kind: 'request',
        id: crypto.randomUUID(),
        target,
        method,
        params,
      }),
    { method, params, target },
  );
  if (reply && typeof reply === 'object' && 'error' in reply) {
    const { name, message, code } = (
      reply as { error: { name: string; message: string; code: number } }
    ).error;
    throw Object.assign(new Error(message), { name, code });
  }
  return (reply as { result: T }).result;
}

/** Stops every service worker of the context, as Chrome does when it idles one out. */
export async function stopServiceWorkers(ext: LaunchedExtension, page: Page): Promise<void> {
  const cdp = await ext.context.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.detach();
}
