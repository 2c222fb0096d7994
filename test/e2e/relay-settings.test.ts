import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { NetworkStatus, VaultInfo } from '../../src/core/rpc/index.ts';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import {
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
  screenshotPath,
  stopServiceWorkers,
} from './harness.ts';

describe('relays in Settings', () => {
  let relay: RunningRelay;
  let second: RunningRelay | undefined;
  let ext: LaunchedExtension;
  let popup: Page;

  beforeAll(async () => {
    [relay, ext] = await Promise.all([startLocalRelay(), launchExtension()]);
    popup = await extensionPage(ext);
    await popup.setViewportSize({ width: 360, height: 600 });
    await callExtension(popup, 'petal_walletImport', {
      password: 'relay settings password',
      mnemonic: createMnemonic(12),
    });
  }, 60_000);

  afterAll(async () => {
    await ext?.close();
    await Promise.all([relay?.stop(), second?.stop()]);
  });

  it('joins the relays the user enters and shows the node online', async () => {
    await popup.goto(`chrome-extension://${ext.extensionId}/popup/index.html#/settings`);
    await popup.fill('#relays', relay.multiaddrs.join('\n'));
    await popup.click('#relays-save');
    await expect
      .poll(() => popup.locator('#network-status').textContent(), { timeout: 30_000 })
      .toMatch(/^Online: 1 relay/);
    await popup.screenshot({ path: await screenshotPath('settings-relays'), fullPage: true });
    const settings = await callExtension<{ relays: string[] }>(popup, 'petal_walletSettings');
    expect(settings.relays).toEqual(relay.multiaddrs);
  });

  it('after the node went down (browser restart), vault signing brings it back on those relays', async () => {
    await callExtension(popup, 'petal_networkStop', {}, 'offscreen');
    await stopServiceWorkers(ext, popup);
    expect((await callExtension<NetworkStatus>(popup, 'petal_getNetworkStatus')).running).toBe(
      false,
    );
    expect(await callExtension<VaultInfo[]>(popup, 'petal_vaultList')).toEqual([]);
    const status = await callExtension<NetworkStatus>(popup, 'petal_getNetworkStatus');
    expect(status.running).toBe(true);
    expect(status.connections.some((c) => relay.multiaddrs[0]?.includes(c.peerId))).toBe(true);
  });

  it('reserves on a second relay of the network by itself, and the status line says how many', async () => {
    await callExtension(popup, 'petal_connectNetwork', { relays: relay.multiaddrs });
    // A relay joins the saved one's network; the wallet was never told its address.
    second = await startLocalRelay({
      bootstrap: relay.multiaddrs,
      federation: { intervalMs: 1_000 },
    });
    // The line is read once per visit to the screen: open it afresh each time.
    const statusLine = async () => {
      await popup.goto(`chrome-extension://${ext.extensionId}/popup/index.html#/settings`);
      await popup.reload();
      await popup.waitForSelector('#network-status');
      return popup.locator('#network-status').textContent();
    };
    await expect
      .poll(statusLine, { timeout: 60_000, interval: 1_000 })
      .toMatch(/reserved on 2 relays/);
    const status = await callExtension<NetworkStatus>(popup, 'petal_getNetworkStatus');
    expect(status.reservedRelays?.toSorted()).toEqual([relay.peerId, second.peerId].toSorted());
    await popup.screenshot({
      path: await screenshotPath('settings-two-reservations'),
      fullPage: true,
    });

    // The second relay goes away: the line drops to the one reservation really held.
    await second.stop();
    second = undefined;
    await expect
      .poll(statusLine, { timeout: 30_000, interval: 1_000 })
      .toMatch(/reserved on 1 relay,/);
    const after = await callExtension<NetworkStatus>(popup, 'petal_getNetworkStatus');
    expect(after.reservedRelays).toEqual([relay.peerId]);
  });
});
