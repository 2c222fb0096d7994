import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import { indexerChainAccess } from '../../src/core/p2p/indexer-chain.ts';
import type { SessionInfo, VaultInfo } from '../../src/core/rpc/index.ts';
import { createMnemonic, vaultMemberKey } from '../../src/core/wallet/keys.ts';
import { createVault, encodeVaultDescriptor } from '../../src/core/wallet/vault.ts';
import { startCosigner } from '../../src/cosigner/cosigner.ts';
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
  stopServiceWorkers,
} from './harness.ts';

const PASSWORD = 'mixed session password';

// A 3-of-3 treasury: two people in their browsers and a headless cosigner (Node) that signs by
// policy. Bob's service worker is stopped while the session waits for him; it comes back when he
// opens the popup, resumes the session from IndexedDB and signs.
describe('browsers and a headless cosigner in one vault', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  let alice: LaunchedExtension;
  let bob: LaunchedExtension;
  let alicePage: Page;
  let bobPage: Page;
  let cosigner: Awaited<ReturnType<typeof startCosigner>>;
  let indexer: ChronikIndexer;
  let stateDir: string;
  let vault: VaultInfo;
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'petal-mixed-'));
    [devnet, relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    indexer = new ChronikIndexer({ url: devnet.url });
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
    const browserKeys = await Promise.all(
      [alicePage, bobPage].map(async (page) =>
        hexToBytes(
          (await callExtension<{ memberKey: string }>(page, 'petal_vaultMemberKey')).memberKey,
        ),
      ),
    );
    const secrets = { mnemonic: createMnemonic(12), passphrase: '' };
    const cosignerKey = vaultMemberKey(secrets, regtest).publicKey;
    const created = createVault([...browserKeys, cosignerKey], regtest, 'Treasury');
    cosigner = await startCosigner({
      secrets,
      network: regtest,
      vaults: [created],
      policy: {
        version: 1,
        rules: [{ vault: created.id, allowTo: [payee], maxPerSpendXpi: '20', maxFeeSats: 10_000 }],
      },
      relays: relay.multiaddrs,
      ...(relay.stunUrl ? { iceServers: [relay.stunUrl] } : {}),
      chain: indexerChainAccess(indexer),
      stateDir,
      timeouts: { syncMs: 1_000 },
      log: () => undefined,
    });
    const descriptor = encodeVaultDescriptor(created);
    [vault] = (await Promise.all(
      [alicePage, bobPage].map((page) => callExtension(page, 'petal_vaultAdd', { descriptor })),
    )) as [VaultInfo, VaultInfo];
    expect(vault.address).toBe(created.address);
    devnet.fund(vault.address, 60_000_000n);
    devnet.mine(1);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await cosigner?.stop();
    indexer?.close();
    await relay?.stop();
    await devnet?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('completes after Bob’s worker restarts mid-session and the cosigner signs by policy', async () => {
    // Bob's wallet has seen nothing yet; stop its service worker (Chrome idles workers out).
    await stopServiceWorkers(bob, bobPage);
    const proposed = await callExtension<SessionInfo>(alicePage, 'petal_vaultPropose', {
      vaultId: vault.id,
      to: payee,
      sats: '15000000',
      memo: 'Quarterly grant',
    });
    // The cosigner approves by policy without anyone touching it.
    await until(async () => {
      const list = await callExtension<SessionInfo[]>(alicePage, 'petal_sessionList');
      return list.find((s) => s.id === proposed.id)?.approvals.length === 2 ? true : undefined;
    }, 30_000);

    // Bob opens his popup: the worker wakes, signing resumes, the proposal shows up.
    const popup = await bob.context.newPage();
    await popup.setViewportSize({ width: 360, height: 600 });
    await popup.goto(`chrome-extension://${bob.extensionId}/popup/index.html#/sessions`);
    const card = popup.locator(`[data-session="${proposed.id}"]`);
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => card.textContent()).toContain('15 XPI');
    // Mid-session, with the session open in his wallet, the worker is stopped again.
    await stopServiceWorkers(bob, popup);
    await popup.reload();
    await card.waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: 'Approve' }).click();

    const done = await until(async () => {
      const list = await callExtension<SessionInfo[]>(alicePage, 'petal_sessionList');
      const s = list.find((x) => x.id === proposed.id);
      return s?.phase === 'completed' ? s : undefined;
    }, 60_000);
    const tx = await indexer.tx(done.txid as string);
    expect(tx.outputs.some((o) => o.value === 15_000_000n)).toBe(true);
    // The cosigner learns of the broadcast from the aggregator's notice, a moment later.
    await expect
      .poll(() => cosigner.service.session(proposed.id)?.phase, { timeout: 30_000 })
      .toBe('completed');
    await expect.poll(() => card.getAttribute('data-phase'), { timeout: 30_000 }).toBe('completed');
    await popup.screenshot({ path: await screenshotPath('mixed-session-completed') });
  });
});
