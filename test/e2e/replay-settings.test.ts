import { randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import type { WalletSettings, WalletView } from '../../src/core/wallet/wallet-service.ts';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import {
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
  screenshotPath,
} from './harness.ts';

// The chain's clock stands still before lotusd's regtest switch (24 Dec 2026, 01:03 UTC), and
// the node is one whose release moved the switch to 2025: the user must tell the wallet so.
const CHAIN_NOW = Date.UTC(2026, 11, 1) / 1000;
const NODE_SWITCH = Date.UTC(2025, 0, 1) / 1000;
const LOTUSD_TIME = '24 Dec 2026, 01:03 UTC';

const text = async (page: Page, selector: string) =>
  ((await page.locator(selector).textContent()) ?? '').trim();

const shot = async (page: Page, name: string, selector: string) => {
  await page.locator(selector).scrollIntoViewIfNeeded();
  await page.screenshot({ path: await screenshotPath(`replay-${name}`) });
};

describe('replay protection in Settings and About', () => {
  let devnet: Devnet;
  let ext: LaunchedExtension;
  let popup: Page;
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  /** Sends 1 XPI and mines it, as a user would from the Send screen. */
  const pay = async () => {
    const preview = await callExtension<{ id: string }>(popup, 'petal_walletPrepareSend', {
      to: payee,
      amount: '1',
    });
    await callExtension(popup, 'petal_walletConfirmSend', { id: preview.id });
    devnet.mine(1);
  };

  const open = async (route: string, ready: string) => {
    await popup.goto(`chrome-extension://${ext.extensionId}/popup/index.html#${route}`);
    await popup.waitForSelector(ready);
  };

  beforeAll(async () => {
    [devnet, ext] = await Promise.all([
      startDevnet({ port: 0, now: () => CHAIN_NOW, replayProtectionTime: NODE_SWITCH }),
      launchExtension(),
    ]);
    popup = await extensionPage(ext);
    await popup.setViewportSize({ width: 360, height: 600 });
    await callExtension(popup, 'petal_walletSettings', {
      network: 'regtest',
      chronikUrl: devnet.url,
    });
    await callExtension(popup, 'petal_walletImport', {
      password: 'replay settings password',
      mnemonic: createMnemonic(12),
    });
    const { address } = await callExtension<{ address: string }>(popup, 'petal_walletReceive');
    devnet.fund(address, 50_000_000n);
    devnet.mine(1);
    // expect.poll only runs inside a test: wait for the funding to sync by hand.
    for (let i = 0; ; i++) {
      const view = await callExtension<WalletView>(popup, 'petal_walletRefresh');
      if (view.balance?.total === '50000000') break;
      if (i === 40) throw new Error('the funding never reached the wallet');
      await new Promise((done) => setTimeout(done, 500));
    }
  }, 120_000);

  afterAll(async () => {
    await ext?.close();
    await devnet?.close();
  });

  it('sets the time in Settings, with an inline error until the input is fixed', async () => {
    await open('/settings', '#replay-settings');
    expect(await text(popup, '#replay-lotusd-time')).toBe(LOTUSD_TIME);
    expect(await popup.locator('#replay-clear').isDisabled()).toBe(true);

    await popup.fill('#replay-time', '2025-02-30 00:00');
    await popup.click('#replay-save');
    expect(await text(popup, '#replay-time-error')).toMatch(/no 2025-02-30 00:00 in the calendar/);
    expect(await popup.getAttribute('#replay-time', 'aria-invalid')).toBe('true');
    await shot(popup, 'settings-error', '#replay-settings');

    await popup.fill('#replay-time', '2025-01-01 00:00');
    expect(await popup.locator('#replay-time-error').count()).toBe(0);
    expect(await popup.getAttribute('#replay-time', 'aria-invalid')).toBeNull();
    expect(await text(popup, '#replay-time-preview')).toBe(
      `1 Jan 2025, 00:00 UTC = ${NODE_SWITCH} seconds`,
    );
    await popup.click('#replay-save');
    await expect
      .poll(() => text(popup, '#replay-saved'))
      .toBe('Saved: regtest signs replay-protected from 1 Jan 2025, 00:00 UTC.');
    expect(await popup.locator('#replay-clear').isEnabled()).toBe(true);
    await shot(popup, 'settings-saved', '#replay-settings');
    const settings = await callExtension<WalletSettings>(popup, 'petal_walletSettings');
    expect(settings.replayActivation).toEqual({ regtest: NODE_SWITCH });
  });

  it('About shows signatures on since the user’s time, then confirmed by a payment', async () => {
    await open('/about', '#replay-status');
    await expect
      .poll(() => text(popup, '#replay-side'))
      .toMatch(/^On since 1 Jan 2025, 00:00 UTC\s*Signatures use replay protection\.$/);
    expect(await text(popup, '#replay-source')).toBe(`Your setting (lotusd's is ${LOTUSD_TIME})`);
    expect(await text(popup, '#replay-confirmation')).toMatch(/^Not confirmed by the network yet/);

    await pay();
    await expect
      .poll(() => text(popup, '#replay-confirmation'))
      .toMatch(/^Confirmed by the network: it accepted a replay-protected payment at chain time /);
    await shot(popup, 'about-override', '#replay-status');
  });

  it('"Use lotusd\'s time" clears it; About says off until lotusd\'s time, until a payment shows otherwise', async () => {
    await open('/settings', '#replay-settings');
    await popup.click('#replay-clear');
    await expect
      .poll(() => text(popup, '#replay-saved'))
      .toBe(`Using lotusd's time again: ${LOTUSD_TIME}.`);
    expect(await popup.inputValue('#replay-time')).toBe('');
    expect(await popup.locator('#replay-clear').isDisabled()).toBe(true);
    await shot(popup, 'settings-cleared', '#replay-settings');
    const settings = await callExtension<WalletSettings>(popup, 'petal_walletSettings');
    expect(settings.replayActivation).toEqual({});

    await open('/about', '#replay-status');
    await expect
      .poll(() => text(popup, '#replay-side'))
      .toMatch(new RegExp(`^Off until ${LOTUSD_TIME}\\s*Signatures are made without`));
    expect(await text(popup, '#replay-source')).toBe("lotusd's default");
    // Clearing the time also forgot what the network had confirmed for the old one.
    expect(await text(popup, '#replay-confirmation')).toMatch(/^Not confirmed by the network yet/);
    await shot(popup, 'about-default', '#replay-status');

    // The node is on already: the payment is signed off, rejected, re-signed on and accepted.
    await pay();
    await expect
      .poll(() => text(popup, '#replay-side'))
      .toMatch(/^On since \d+ \w+ 2026, [\d:]+ UTC or earlier\s*Signatures use replay protection/);
    expect(await text(popup, '#replay-confirmation')).toMatch(/^Confirmed by the network/);
    await shot(popup, 'about-learned', '#replay-status');
  });

  it('while the wallet is locked, About says to unlock it to see the side', async () => {
    await callExtension(popup, 'petal_walletLock', {});
    await open('/about', '#replay-status');
    expect(await text(popup, '#replay-side')).toBe(
      'Unlock the wallet to see which side signatures use.',
    );
  });
});
