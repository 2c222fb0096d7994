import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
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

const PASSWORD = 'vault signing e2e password';

// Two people, each with Petal in their own browser, hold a 2-of-2 vault. One proposes a spend;
// the other approves it in the popup; the wallets do the rest and the devnet confirms the result.
describe('a 2-of-2 vault spend between two browsers', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  let alice: LaunchedExtension;
  let bob: LaunchedExtension;
  let alicePage: Page;
  let bobPage: Page;
  let vault: VaultInfo;
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  beforeAll(async () => {
    [devnet, relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    [alice, bob] = await Promise.all([launchExtension(), launchExtension()]);
    [alicePage, bobPage] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
    for (const page of [alicePage, bobPage]) {
      await callExtension(page, 'petal_walletSettings', {
        network: 'regtest',
        chronikUrl: devnet.url,
      });
      await callExtension(page, 'petal_walletImport', {
        password: PASSWORD,
        mnemonic: createMnemonic(12),
      });
      await callExtension(page, 'petal_connectNetwork', { relays: relay.multiaddrs });
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await relay?.stop();
    await devnet?.close();
  });

  it('forms the vault from both member keys; both wallets derive the same address', async () => {
    const keys = await Promise.all(
      [alicePage, bobPage].map(async (page) =>
        hexToBytes(
          (await callExtension<{ memberKey: string }>(page, 'petal_vaultMemberKey')).memberKey,
        ),
      ),
    );
    const descriptor = encodeVaultDescriptor(createVault(keys, regtest, 'Household'));
    const [a, b] = await Promise.all(
      [alicePage, bobPage].map((page) =>
        callExtension<VaultInfo>(page, 'petal_vaultAdd', { descriptor }),
      ),
    );
    expect(a?.address).toBe(b?.address);
    expect(a?.me).not.toBe(b?.me);
    vault = a as VaultInfo;
    devnet.fund(vault.address, 50_000_000n);
    devnet.mine(1);
  });

  it('Alice proposes, Bob approves in his popup, and the spend confirms on chain', async () => {
    const proposed = await callExtension<SessionInfo>(alicePage, 'petal_vaultPropose', {
      vaultId: vault.id,
      to: payee,
      sats: '12000000',
      memo: 'Groceries',
    });
    expect(proposed.approvedByMe).toBe(true);

    // Bob's wallet discovers the session and shows what it would sign.
    const popup = await bob.context.newPage();
    await popup.setViewportSize({ width: 360, height: 600 });
    await popup.goto(`chrome-extension://${bob.extensionId}/popup/index.html#/sessions`);
    const card = popup.locator(`[data-session="${proposed.id}"]`);
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => card.textContent()).toContain(payee);
    await expect.poll(() => card.textContent()).toContain('12 XPI');
    await popup.screenshot({ path: await screenshotPath('vault-session-approve') });
    await card.getByRole('button', { name: 'Approve' }).click();

    const done = await until(async () => {
      const list = await callExtension<SessionInfo[]>(alicePage, 'petal_sessionList');
      const s = list.find((x) => x.id === proposed.id);
      return s?.phase === 'completed' ? s : undefined;
    }, 60_000);
    const indexer = new ChronikIndexer({ url: devnet.url });
    try {
      const tx = await indexer.tx(done.txid as string);
      expect(tx.outputs.some((o) => o.value === 12_000_000n)).toBe(true);
    } finally {
      indexer.close();
    }
    await expect.poll(() => card.getAttribute('data-phase'), { timeout: 30_000 }).toBe('completed');
    await popup.screenshot({ path: await screenshotPath('vault-session-completed') });

    // The session's messages moved the pair onto a direct WebRTC link (not only the relay).
    const bobId = (await callExtension<NetworkStatus>(bobPage, 'petal_getNetworkStatus')).peerId;
    await until(async () => {
      const status = await callExtension<NetworkStatus>(alicePage, 'petal_getNetworkStatus');
      return status.connections.some(
        (c) => c.peerId === bobId && c.kind === 'webrtc' && !c.limited,
      );
    }, 30_000);
  });

  it('the protocol runs beside the node in the offscreen document, and locking takes its key back', async () => {
    // The offscreen document answers for the protocol: it knows which peer Bob signed from.
    const peers = async () =>
      (
        await callExtension<{ peers: (string | null)[] }>(
          alicePage,
          'petal_runnerMemberPeers',
          { vaultId: vault.id },
          'offscreen',
        )
      ).peers;
    const bobId = (await callExtension<NetworkStatus>(bobPage, 'petal_getNetworkStatus')).peerId;
    expect(await peers()).toContain(bobId);
    await callExtension(alicePage, 'petal_walletLock');
    await until(
      () =>
        peers().then(
          () => false,
          (err: Error) => err.name === 'SigningNotRunningError',
        ),
      10_000,
    );
    // Unlocked again, the next request hands the key back and the protocol runs again.
    await callExtension(alicePage, 'petal_walletUnlock', { password: PASSWORD });
    await callExtension(alicePage, 'petal_sessionList');
    expect(Array.isArray(await peers())).toBe(true);
  });
});
