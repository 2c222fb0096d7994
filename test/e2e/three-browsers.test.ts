import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import type { NetworkStatus, SessionInfo, VaultInfo } from '../../src/core/rpc/index.ts';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import { createVault, encodeVaultDescriptor } from '../../src/core/wallet/vault.ts';
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
} from './harness.ts';

// A 3-of-3 treasury in three browsers: one proposes, the other two approve in their popups,
// and the members end up talking over direct WebRTC links, not only through the relay.
describe('a 3-of-3 vault spend between three browsers', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  let exts: LaunchedExtension[];
  let pages: Page[];
  let vault: VaultInfo;
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  beforeAll(async () => {
    [devnet, relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    exts = await Promise.all([0, 1, 2].map(() => launchExtension()));
    pages = await Promise.all(exts.map((e) => extensionPage(e)));
    for (const page of pages) {
      await callExtension(page, 'petal_walletSettings', {
        network: 'regtest',
        chronikUrl: devnet.url,
      });
      await callExtension(page, 'petal_walletImport', {
        password: 'three browsers password',
        mnemonic: createMnemonic(12),
      });
      await callExtension(page, 'petal_connectNetwork', { relays: relay.multiaddrs });
    }
    const keys = await Promise.all(
      pages.map(async (p) =>
        hexToBytes(
          (await callExtension<{ memberKey: string }>(p, 'petal_vaultMemberKey')).memberKey,
        ),
      ),
    );
    const descriptor = encodeVaultDescriptor(createVault(keys, regtest, 'Treasury'));
    const infos = await Promise.all(
      pages.map((p) => callExtension<VaultInfo>(p, 'petal_vaultAdd', { descriptor })),
    );
    expect(new Set(infos.map((v) => v.address)).size).toBe(1);
    vault = infos[0] as VaultInfo;
    devnet.fund(vault.address, 90_000_000n);
    devnet.mine(1);
  }, 180_000);

  afterAll(async () => {
    await Promise.all((exts ?? []).map((e) => e.close()));
    await relay?.stop();
    await devnet?.close();
  });

  it('completes with two popup approvals, over direct WebRTC links', async () => {
    const [alice] = pages as [Page];
    const proposed = await callExtension<SessionInfo>(alice, 'petal_vaultPropose', {
      vaultId: vault.id,
      to: payee,
      sats: '33000000',
      memo: 'Three of three',
    });
    for (const [i, ext] of exts.slice(1).entries()) {
      const popup = await ext.context.newPage();
      await popup.setViewportSize({ width: 360, height: 600 });
      await popup.goto(`chrome-extension://${ext.extensionId}/popup/index.html#/sessions`);
      const card = popup.locator(`[data-session="${proposed.id}"]`);
      await card.waitFor({ timeout: 30_000 });
      await expect.poll(() => card.textContent()).toContain('33 XPI');
      await popup.screenshot({ path: await screenshotPath(`three-browsers-approve-${i + 1}`) });
      await card.getByRole('button', { name: 'Approve' }).click();
    }
    const done = await until(async () => {
      const all = await Promise.all(
        pages.map((p) => callExtension<SessionInfo[]>(p, 'petal_sessionList')),
      );
      const views = all.map((list) => list.find((s) => s.id === proposed.id));
      return views.every((v) => v?.phase === 'completed') ? views[0] : undefined;
    }, 90_000);
    const indexer = new ChronikIndexer({ url: devnet.url });
    try {
      const tx = await indexer.tx(done?.txid as string);
      expect(tx.outputs.some((o) => o.value === 33_000_000n)).toBe(true);
    } finally {
      indexer.close();
    }
    // Each browser holds a direct WebRTC connection to at least one other member.
    const ids = await Promise.all(
      pages.map(
        async (p) => (await callExtension<NetworkStatus>(p, 'petal_getNetworkStatus')).peerId,
      ),
    );
    for (const page of pages)
      await until(async () => {
        const status = await callExtension<NetworkStatus>(page, 'petal_getNetworkStatus');
        return status.connections.some(
          (c) => ids.includes(c.peerId) && c.kind === 'webrtc' && !c.limited,
        );
      }, 30_000);
  });
});
