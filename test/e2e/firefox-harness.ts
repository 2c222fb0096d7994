import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// Playwright 1.62 is the newest that drives Firefox ESR 153 over WebDriver BiDi; later versions
// send a command ESR does not know. It is installed under an alias next to the Chromium one.
import { type BrowserContext, firefox } from 'playwright-firefox';
import { GECKO_ID } from '../../scripts/manifest.ts';

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

/**
 * Firefox ESR with Petal sideloaded into a fresh profile. ESR honours
 * `xpinstall.signatures.required=false`, so the unsigned build loads as a normal add-on.
 */
export async function launchFirefox(xpi: string): Promise<LaunchedFirefox> {
  const profile = await mkdtemp(join(tmpdir(), 'petal-ff-'));
  await mkdir(join(profile, 'extensions'), { recursive: true });
  await copyFile(xpi, join(profile, 'extensions', `${GECKO_ID}.xpi`));
  const context = await firefox.launchPersistentContext(profile, {
    // Stock Firefox (not Playwright's patched build) is driven over WebDriver BiDi.
    channel: 'moz-firefox',
    executablePath: FIREFOX,
    headless: true,
    firefoxUserPrefs: {
      'xpinstall.signatures.required': false,
      'extensions.autoDisableScopes': 0,
      'extensions.enabledScopes': 15,
    },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
