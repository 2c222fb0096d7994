import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// Playwright 1.62 is the newest that drives Firefox ESR 153 over WebDriver BiDi; later versions
// send a command ESR does not know. It is installed under an alias next to the Chromium one.
import { type BrowserContext, firefox } from 'playwright-firefox';
import { GECKO_ID } from '../../scripts/manifest.ts';
import { Marionette } from './marionette.ts';

export const FIREFOX = process.env.PETAL_FIREFOX ?? '/usr/bin/firefox-esr';
export const FIREFOX_EXTENSION_DIR = resolve(import.meta.dirname, '../../extension-firefox');

/** Packs the built Firefox extension into an XPI (web-ext build, from npm). */
export async function packXpi(sourceDir = FIREFOX_EXTENSION_DIR): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'petal-xpi-'));
  execFileSync(
    process.execPath,
    [
      resolve('node_modules/web-ext/bin/web-ext.js'),
      'build',
      '--source-dir',
      sourceDir,
      '--artifacts-dir',
      out,
      '--filename',
      'petal.xpi',
      '--overwrite-dest',
    ],
    { stdio: 'ignore' },
  );
  return join(out, 'petal.xpi');
}

export interface LaunchedFirefox {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Lets the unsigned build load from the profile's extensions folder, enabled. */
const SIDELOAD_PREFS = {
  'xpinstall.signatures.required': false,
  'extensions.autoDisableScopes': 0,
  'extensions.enabledScopes': 15,
};

/** A fresh profile with the XPI in its extensions folder, named by Petal's add-on id. */
async function profileWithPetal(xpi: string): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'petal-ff-'));
  await mkdir(join(profile, 'extensions'), { recursive: true });
  await copyFile(xpi, join(profile, 'extensions', `${GECKO_ID}.xpi`));
  return profile;
}

/**
 * Firefox ESR with Petal sideloaded into a fresh profile. ESR honours
 * `xpinstall.signatures.required=false`, so the unsigned build loads as a normal add-on.
 */
export async function launchFirefox(xpi: string): Promise<LaunchedFirefox> {
  const profile = await profileWithPetal(xpi);
  const context = await firefox.launchPersistentContext(profile, {
    // Stock Firefox (not Playwright's patched build) is driven over WebDriver BiDi.
    channel: 'moz-firefox',
    executablePath: FIREFOX,
    headless: true,
    firefoxUserPrefs: SIDELOAD_PREFS,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface FirefoxWallet {
  /** One router request from Petal's own extension page to the background page. */
  call<T>(method: string, params?: unknown): Promise<T>;
  close(): Promise<void>;
}

/**
 * Firefox ESR with Petal, driven through its own extension page, as a user's popup would be:
 * Marionette opens `moz-extension://…/popup/index.html` in a tab (the extension's id is pinned
 * to a known UUID by pref) and runs each request there with `browser.runtime.sendMessage`.
 */
export async function launchFirefoxWallet(xpi: string): Promise<FirefoxWallet> {
  const profile = await profileWithPetal(xpi);
  const uuid = randomUUID();
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const prefs: Record<string, string | number | boolean> = {
    ...SIDELOAD_PREFS,
    'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: uuid }),
    'marionette.port': port,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'browser.aboutwelcome.enabled': false,
    // Tests run on loopback only; Firefox leaves 127.0.0.1 out of its ICE candidates by default.
    'media.peerconnection.ice.loopback': true,
  };
  await writeFile(
    join(profile, 'user.js'),
    Object.entries(prefs)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
      .join('\n'),
  );
  const firefox = spawn(
    FIREFOX,
    [
      '--marionette',
      '-remote-allow-system-access',
      '--headless',
      '--no-remote',
      '--profile',
      profile,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => firefox.once('exit', resolve));
  const close = async () => {
    marionette?.close();
    firefox.kill();
    await exited;
    await rm(profile, { recursive: true, force: true });
  };
  let marionette: Marionette | undefined;
  try {
    marionette = await Marionette.connect(port);
    await marionette.command('WebDriver:NewSession', { capabilities: {} });
    await marionette.command('WebDriver:SetTimeouts', { script: 120_000 });
    const before = await marionette.command<string[]>('WebDriver:GetWindowHandles');
    // Content navigation to moz-extension:// is refused; the browser chrome may open the tab.
    await marionette.command('Marionette:SetContext', { value: 'chrome' });
    await marionette.command('WebDriver:ExecuteScript', {
      script: `const win = Services.wm.getMostRecentWindow('navigator:browser');
        const principal = Services.scriptSecurityManager.getSystemPrincipal();
        win.gBrowser.selectedTab = win.gBrowser.addTab(arguments[0], { triggeringPrincipal: principal });`,
      args: [`moz-extension://${uuid}/popup/index.html`],
    });
    await marionette.command('Marionette:SetContext', { value: 'content' });
    let tab: string | undefined;
    for (let i = 0; i < 100 && !tab; i++) {
      const handles = await marionette.command<string[]>('WebDriver:GetWindowHandles');
      tab = handles.find((h) => !before.includes(h));
      if (!tab) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!tab) throw new Error('The extension page did not open');
    await marionette.command('WebDriver:SwitchToWindow', { handle: tab, focus: true });
  } catch (err) {
    await close();
    throw err;
  }
  const driver = marionette;
  return {
    async call<T>(method: string, params?: unknown): Promise<T> {
      const { value } = await driver.command<{ value: string }>('WebDriver:ExecuteAsyncScript', {
        script: `const [request, done] = arguments;
          browser.runtime.sendMessage(request).then(
            (reply) => done(JSON.stringify(reply ?? null)),
            (err) => done(JSON.stringify({ error: { name: 'SendError', message: String(err), code: -1 } })),
          );`,
        args: [
          {
            tag: 'petal/1',
            kind: 'request',
            id: randomUUID(),
            target: 'background',
            method,
            params,
          },
        ],
      });
      const reply = JSON.parse(value) as {
        result?: T;
        error?: { name: string; message: string; code: number };
      };
      if (reply?.error)
        throw Object.assign(new Error(reply.error.message), {
          name: reply.error.name,
          code: reply.error.code,
        });
      return reply.result as T;
    },
    close,
  };
}
