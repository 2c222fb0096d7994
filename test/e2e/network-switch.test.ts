import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import {
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
  screenshotPath,
} from './harness.ts';

/** A relay on a fixed port so its health endpoint sits where the popup derives it: port + 1. */
async function relayWithHealth(): Promise<RunningRelay> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000) * 2;
    try {
      return await startLocalRelay({ port, healthPort: port + 1 });
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

describe('network and relays from the header and Settings', () => {
  let relay: RunningRelay;
  let ext: LaunchedExtension;
  let popup: Page;
  const open = (route: string) =>
    popup.goto(`chrome-extension://${ext.extensionId}/popup/index.html#${route}`);

  beforeAll(async () => {
    [relay, ext] = await Promise.all([relayWithHealth(), launchExtension()]);
    popup = await extensionPage(ext);
    await popup.setViewportSize({ width: 360, height: 600 });
    await callExtension(popup, 'petal_walletImport', {
      password: 'network switch password',
      mnemonic: createMnemonic(12),
    });
  }, 60_000);

  afterAll(async () => {
    await ext?.close();
    await relay?.stop();
  });

  it('switches network from the header badge and says so', async () => {
    await open('/');
    await popup.waitForSelector('#home');
    expect(await popup.textContent('#network-name')).toBe('mainnet ▾');
    await popup.click('#network-name');
    await popup.waitForSelector('#network-menu');
    expect(await popup.getAttribute('#network-mainnet', 'aria-checked')).toBe('true');
    await popup.screenshot({ path: await screenshotPath('network-01-header-menu') });
    await popup.click('#network-testnet');
    await expect.poll(() => popup.textContent('#toast')).toBe('Switched to Testnet');
    await expect.poll(() => popup.textContent('#network-name')).toBe('testnet ▾');
    expect(await popup.$('#network-menu')).toBeNull();
    await popup.screenshot({ path: await screenshotPath('network-02-switched') });
    const settings = await callExtension<{ network: string; chronikUrl: string }>(
      popup,
      'petal_walletSettings',
    );
    expect(settings).toMatchObject({
      network: 'testnet',
      chronikUrl: 'https://testnet.lotusia.org/chronik',
    });
    // Settings follows a switch made elsewhere.
    await popup.click('nav >> text=Settings');
    await expect.poll(() => popup.inputValue('#settings-network')).toBe('testnet');
    // Escape closes the menu without switching.
    await popup.click('#network-name');
    await popup.waitForSelector('#network-menu');
    await popup.keyboard.press('Escape');
    await expect.poll(() => popup.$('#network-menu')).toBeNull();
    expect(await popup.textContent('#network-name')).toBe('testnet ▾');
  });

  it('shows each saved relay’s health and offers the (empty) defaults honestly', async () => {
    await open('/settings');
    expect(await popup.isDisabled('#relays-defaults')).toBe(true);
    expect(await popup.textContent('#relays-no-defaults')).toMatch(/docs\/RELAYS\.md/);
    const dead = '/ip4/127.0.0.1/tcp/9/ws';
    await popup.fill('#relays', relay.multiaddrs[0] as string);
    await popup.click('#relays-save');
    await expect.poll(() => popup.textContent('#toast')).toBe('Saved 1 relay; connecting');
    await expect
      .poll(() => popup.locator('#relay-health li .health').first().textContent(), {
        timeout: 15_000,
      })
      .toMatch(/^(Healthy|Reachable)/);
    await expect
      .poll(() => popup.locator('#network-status').textContent(), { timeout: 30_000 })
      .toMatch(/^Online: 1 relay/);
    // A relay that is not there reads as down, without touching the one that is.
    await callExtension(popup, 'petal_walletSettings', {
      relays: [relay.multiaddrs[0] as string, dead],
    });
    await popup.click('#relays-check');
    await expect
      .poll(() => popup.locator('#relay-health li .health').nth(1).textContent(), {
        timeout: 15_000,
      })
      .toBe('Down');
    await popup.locator('#relay-settings').scrollIntoViewIfNeeded();
    await popup.screenshot({ path: await screenshotPath('network-03-relay-health') });
  });
});
