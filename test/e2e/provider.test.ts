import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import { verifyMessage } from '../../src/core/chain/signed-message.ts';
import type { ApprovalView } from '../../src/core/provider/dapp-methods.ts';
import type { VaultInfo } from '../../src/core/rpc/index.ts';
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
  servePage,
  stopServiceWorkers,
} from './harness.ts';

const PASSWORD = 'provider e2e password';
const DAPP_DIR = resolve(import.meta.dirname, '../../examples/dapp');

/** The approval window the background opens (`#/approve`), once it shows `showing`. */
async function approvalWindow(ext: LaunchedExtension, showing: string): Promise<Page> {
  return until(async () => {
    // Newest first: a window that is closing (its queue just emptied) may still be listed.
    const candidates = ext.context
      .pages()
      .filter((p) => !p.isClosed() && p.url().includes('/popup/index.html#/approve'))
      .reverse();
    for (const page of candidates) {
      const ready = await page
        .locator(showing)
        .waitFor({ timeout: 2_000 })
        .then(() => true)
        .catch(() => false);
      if (!ready) continue;
      await new Promise((r) => setTimeout(r, 300));
      // Buttons and keys arm 500 ms after a request appears (docs/PROVIDER.md, arming delay).
      await page
        .locator('#approve-accept:enabled')
        .waitFor({ timeout: 5_000 })
        .catch(() => undefined);
      if (!page.isClosed()) return page;
    }
    return undefined;
  }, 20_000);
}

/**
 * Acts in the approval window, which the wallet may close the moment it has nothing left to show
 * (while the click is still completing): that closing is success, not an error.
 */
async function inWindow(approval: Page, act: (p: Page) => Promise<unknown>): Promise<void> {
  await act(approval).catch((err: unknown) => {
    if (!approval.isClosed() && !/closed/.test((err as Error).message)) throw err;
  });
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? '';
}

/** Calls window.lotus.request in the page; returns the result or the error's code and message. */
async function lotus(page: Page, method: string, params?: unknown) {
  return page.evaluate(
    async ({ method, params }) => {
      try {
        const provider = (window as unknown as { lotus: { request(a: unknown): unknown } }).lotus;
        return { result: await provider.request({ method, params }) };
      } catch (err) {
        const { code, message } = err as { code: number; message: string };
        return { error: { code, message } };
      }
    },
    { method, params },
  );
}

describe('the example dApp with Petal in Chromium', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  let alice: LaunchedExtension;
  let bob: LaunchedExtension;
  let aliceWallet: Page;
  let bobWallet: Page;
  let dapp: { url: string; close(): Promise<void> };
  let other: { url: string; close(): Promise<void> };
  let page: Page;
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  beforeAll(async () => {
    const [html, js] = await Promise.all([
      readFile(resolve(DAPP_DIR, 'index.html'), 'utf8'),
      readFile(resolve(DAPP_DIR, 'app.js'), 'utf8'),
    ]);
    [dapp, other] = await Promise.all([
      servePage(html, { '/app.js': ['text/javascript', js] }),
      servePage('<!doctype html><title>another site</title><p>another site</p>'),
    ]);
    [devnet, relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    [alice, bob] = await Promise.all([launchExtension(), launchExtension()]);
    [aliceWallet, bobWallet] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
    for (const wallet of [aliceWallet, bobWallet]) {
      await callExtension(wallet, 'petal_walletSettings', {
        network: 'regtest',
        chronikUrl: devnet.url,
      });
      await callExtension(wallet, 'petal_walletImport', {
        password: PASSWORD,
        mnemonic: createMnemonic(12),
      });
      await callExtension(wallet, 'petal_connectNetwork', { relays: relay.multiaddrs });
    }
    page = await alice.context.newPage();
    await page.goto(dapp.url);
    await page.locator('body[data-ready="true"]').waitFor();
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await Promise.all([relay?.stop(), devnet?.close(), dapp?.close(), other?.close()]);
  });

  it('finds Petal by EIP-6963 and refuses data to a site that has not connected (4100)', async () => {
    expect(await text(page, '#wallet')).toBe('Petal (org.petal-wallet)');
    expect(await text(page, '#network')).toBe('regtest');
    expect(await lotus(page, 'lotus_getBalance')).toEqual({
      error: expect.objectContaining({ code: 4100 }),
    });
    expect(await lotus(page, 'lotus_accounts')).toEqual({ result: [] });
    // window.lotus cannot be replaced by the page.
    const replaced = await page.evaluate(() => {
      try {
        (window as unknown as { lotus: unknown }).lotus = {};
      } catch {
        // strict-mode pages throw; sloppy ones ignore the write
      }
      return (window as unknown as { lotus: { isPetal?: boolean } }).lotus.isPetal;
    });
    expect(replaced).toBe(true);
  });

  it('connects after the user approves in the approval window', async () => {
    await page.click('#connect');
    const approval = await approvalWindow(alice, '#approve-duration');
    expect(await text(approval, '#approve-origin')).toContain(new URL(dapp.url).origin);
    await approval.screenshot({ path: await screenshotPath('provider-approve-connect') });
    await inWindow(approval, (w) => w.click('#approve-accept'));
    await expect.poll(() => text(page, '#account')).toMatch(/^lotusR/);
    const account = await text(page, '#account');
    const addresses = await lotus(page, 'lotus_requestAccounts');
    expect(addresses).toEqual({ result: [account] });
    devnet.fund(account, 40_000_000n);
    devnet.mine(1);
    await expect
      .poll(
        async () => {
          await page.click('#balance');
          return text(page, '#balance-out');
        },
        { timeout: 20_000 },
      )
      .toBe('40000000');
  });

  it('signs a message the user saw; the signature verifies for the account', async () => {
    await page.click('#sign');
    const approval = await approvalWindow(alice, '#approve-message');
    expect(await text(approval, '#approve-message')).toBe('Log in to the Petal example dApp');
    await approval.screenshot({ path: await screenshotPath('provider-approve-message') });
    await inWindow(approval, (w) => w.keyboard.press('Enter'));
    await expect.poll(() => text(page, '#signature')).toMatch(/^[A-Za-z0-9+/]{87}=$/);
    expect(
      verifyMessage(
        'Log in to the Petal example dApp',
        await text(page, '#signature'),
        await text(page, '#account'),
        regtest,
      ),
    ).toBe(true);
  });

  it('a bad address is invalid params (-32602); too much is refused with the shortfall', async () => {
    const bad = await lotus(page, 'lotus_sendTransfer', {
      to: `lotusR${'q'.repeat(40)}`,
      sats: '1000',
    });
    expect(bad).toEqual({ error: expect.objectContaining({ code: -32602 }) });
    const tooMuch = await lotus(page, 'lotus_sendTransfer', { to: payee, sats: '900000000' });
    expect(tooMuch).toEqual({
      error: expect.objectContaining({ code: -32603, message: expect.stringMatching(/short/) }),
    });
  });

  it('rejecting a transfer gives 4001; approving one broadcasts what was shown', async () => {
    await page.fill('#to', payee);
    await page.fill('#sats', '2500000');
    await page.click('#send');
    let approval = await approvalWindow(alice, '#approve-transfer');
    await inWindow(approval, (w) => w.keyboard.press('Escape'));
    await expect.poll(() => text(page, '#error')).toMatch(/^4001: /);

    await page.click('#send');
    approval = await approvalWindow(alice, '#approve-transfer');
    const shown = await text(approval, '#approve-transfer');
    expect(shown).toContain(payee);
    expect(shown).toContain('2.5 XPI');
    await approval.screenshot({ path: await screenshotPath('provider-approve-transfer') });
    await inWindow(approval, (w) => w.click('#approve-accept'));
    await expect.poll(() => text(page, '#send-out'), { timeout: 20_000 }).toMatch(/^[0-9a-f]{64}$/);
    const indexer = new ChronikIndexer({ url: devnet.url });
    try {
      const tx = await indexer.tx(await text(page, '#send-out'));
      expect(tx.outputs.some((o) => o.value === 2_500_000n)).toBe(true);
    } finally {
      indexer.close();
    }
  });

  it('a request waiting for approval survives a service-worker restart', async () => {
    const previous = await text(page, '#signature');
    await page.fill('#message', 'Still here after a restart');
    await page.click('#sign');
    let approval = await approvalWindow(alice, '#approve-message');
    await stopServiceWorkers(alice, aliceWallet);
    // The page's link drops; its content script reconnects (waking the worker) and re-sends.
    await approval.reload();
    approval = await approvalWindow(alice, '#approve-message');
    await expect.poll(() => text(approval, '#approve-message')).toBe('Still here after a restart');
    await inWindow(approval, (w) => w.click('#approve-accept'));
    await expect.poll(() => text(page, '#signature')).not.toBe(previous);
    expect(
      verifyMessage(
        'Still here after a restart',
        await text(page, '#signature'),
        await text(page, '#account'),
        regtest,
      ),
    ).toBe(true);
  });

  it('closing the approval window rejects with 4001', async () => {
    await page.click('#send');
    const approval = await approvalWindow(alice, '#approve-transfer');
    await approval.close();
    await expect.poll(() => text(page, '#error')).toMatch(/^4001: /);
  });

  it('a hostile page flooding requests is bounded and the wallet keeps answering', async () => {
    const hostile = await alice.context.newPage();
    await hostile.goto(other.url);
    const outcome = await hostile.evaluate(async () => {
      const provider = (window as unknown as { lotus: { request(a: unknown): Promise<unknown> } })
        .lotus;
      const codes: number[] = [];
      const calls = Array.from({ length: 200 }, () =>
        provider
          .request({ method: 'lotus_requestAccounts' })
          .catch((err: { code: number }) => codes.push(err.code)),
      );
      await new Promise((r) => setTimeout(r, 3000));
      void calls;
      const ping = (await provider.request({ method: 'lotus_ping' })) as { pong: boolean };
      return { codes, pong: ping.pong };
    });
    expect(outcome.pong).toBe(true);
    expect(outcome.codes.length).toBeGreaterThanOrEqual(195);
    expect(new Set(outcome.codes)).toEqual(new Set([-32005]));
    const pending = await callExtension<ApprovalView[]>(aliceWallet, 'petal_approvalList');
    expect(pending.filter((p) => p.origin === new URL(other.url).origin).length).toBe(5);
    // The page reloads: its waiting requests are dropped, nothing is left for the user.
    await hostile.reload();
    await until(async () => {
      const left = await callExtension<ApprovalView[]>(aliceWallet, 'petal_approvalList');
      return left.length === 0;
    });
    expect(alice.workerErrors).toEqual([]);
    await hostile.close();
  });

  it('a page cannot read another origin’s permissions', async () => {
    const stranger = await alice.context.newPage();
    await stranger.goto(other.url);
    expect(await lotus(stranger, 'wallet_getPermissions')).toEqual({ result: [] });
    expect(
      await lotus(stranger, 'wallet_getPermissions', { origin: new URL(dapp.url).origin }),
    ).toEqual({ error: expect.objectContaining({ code: -32602 }) });
    const mine = await lotus(page, 'wallet_getPermissions');
    expect(mine.result).toEqual([
      expect.objectContaining({
        invoker: new URL(dapp.url).origin,
        parentCapability: 'lotus_accounts',
      }),
    ]);
    await stranger.close();
  });

  it('a 2-of-2 vault spend requested by the dApp completes after both members approve', async () => {
    const keys = await Promise.all(
      [aliceWallet, bobWallet].map(async (wallet) =>
        hexToBytes(
          (await callExtension<{ memberKey: string }>(wallet, 'petal_vaultMemberKey')).memberKey,
        ),
      ),
    );
    const descriptor = encodeVaultDescriptor(createVault(keys, regtest, 'Shared'));
    const [vault] = await Promise.all(
      [aliceWallet, bobWallet].map((wallet) =>
        callExtension<VaultInfo>(wallet, 'petal_vaultAdd', { descriptor }),
      ),
    );
    devnet.fund(vault!.address, 30_000_000n);
    devnet.mine(1);

    await page.click('#vaults');
    await expect.poll(() => page.locator('#vault option').count()).toBe(1);
    await page.fill('#vault-to', payee);
    await page.fill('#vault-sats', '7000000');
    await page.click('#vault-send');
    const approval = await approvalWindow(alice, '#approve-vault-spend');
    expect(await text(approval, '#approve-vault')).toContain('2 members');
    // Each label and its amount are one row: read them back as the page lays them out.
    const rows = await approval.$$eval('#approve-vault-spend [data-role]', (els) =>
      els.map((e) => ({
        role: e.getAttribute('data-role'),
        label: e.querySelector('dt')?.textContent,
        amount: e.querySelector('.spend-amount')?.textContent,
        address: e.querySelector('.spend-address')?.textContent ?? undefined,
        // The amount is drawn on the label's line, never on another row's.
        sameLine:
          Math.abs(
            (e.querySelector('dt')?.getBoundingClientRect().top ?? 0) -
              (e.querySelector('.spend-amount')?.getBoundingClientRect().top ?? 1e9),
          ) < 4,
      })),
    );
    expect(rows).toEqual([
      { role: 'payment', label: 'To', amount: '7 XPI', address: payee, sameLine: true },
      {
        role: 'change',
        label: 'Change back to the vault',
        amount: expect.stringMatching(/^22\.99\d+ XPI$/),
        sameLine: true,
      },
      {
        role: 'fee',
        label: 'Network fee',
        amount: expect.stringMatching(/^0\.00\d+ XPI$/),
        sameLine: true,
      },
      {
        role: 'total',
        label: 'Leaves the vault',
        amount: expect.stringMatching(/^-7\.00\d+ XPI$/),
        sameLine: true,
      },
    ]);
    await approval.screenshot({ path: await screenshotPath('provider-approve-vault-spend') });
    await inWindow(approval, (w) => w.click('#approve-accept'));

    // Bob's toolbar badge counts the proposal waiting for him.
    const badge = () => bob.serviceWorker.evaluate(() => chrome.action.getBadgeText({}));
    await expect.poll(badge, { timeout: 30_000 }).toBe('1');
    const popup = await bob.context.newPage();
    await popup.goto(`chrome-extension://${bob.extensionId}/popup/index.html#/sessions`);
    const card = popup.locator('[data-session]').first();
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => card.textContent()).toContain(payee);
    await card.getByRole('button', { name: 'Approve' }).click();

    await expect
      .poll(() => text(page, '#vault-out'), { timeout: 60_000 })
      .toMatch(/^[0-9a-f]{64}$/);
    const indexer = new ChronikIndexer({ url: devnet.url });
    try {
      const tx = await indexer.tx(await text(page, '#vault-out'));
      expect(tx.outputs.some((o) => o.value === 7_000_000n)).toBe(true);
    } finally {
      indexer.close();
    }
    await expect.poll(badge).toBe('');
    // The dApp followed the session through sessionUpdate events, and can read it back.
    await expect.poll(() => text(page, '#vault-phase')).toMatch(/^completed/);
    const vaults = (await lotus(page, 'lotus_getVaults')).result as { id: string }[];
    expect(vaults.map((v) => v.id)).toEqual([vault!.id]);
    const spendTxid = await text(page, '#vault-out');
    const sessions = await callExtension<{ id: string; txid?: string }[]>(
      aliceWallet,
      'petal_sessionList',
    );
    const sessionId = sessions.find((s) => s.txid === spendTxid)?.id;
    const session = await lotus(page, 'lotus_getSession', { id: sessionId });
    expect(session.result).toMatchObject({ phase: 'completed', txid: spendTxid });
    await page.screenshot({ path: await screenshotPath('provider-dapp-done') });
  });

  it('creates a vault invite for the dApp after the user approves it', async () => {
    const pending = lotus(page, 'lotus_createVaultInvite', { members: 3, label: 'Club' });
    const approval = await approvalWindow(alice, '#approve');
    expect(await text(approval, '#approve')).toContain('3-member vault “Club”');
    await approval.screenshot({ path: await screenshotPath('provider-approve-vault-invite') });
    await inWindow(approval, (w) => w.click('#approve-accept'));
    const { result } = (await pending) as { result: { code: string; expiresAt: number } };
    expect(result.code).toMatch(/^petalinvite1/);
    expect(result.expiresAt).toBeGreaterThan(Date.now());
  });

  it('lists the connected site in Settings, where disconnecting it takes effect at once', async () => {
    const settings = await alice.context.newPage();
    await settings.setViewportSize({ width: 360, height: 600 });
    await settings.goto(`chrome-extension://${alice.extensionId}/popup/index.html#/settings`);
    const site = settings.locator(`#connected-sites [data-origin="${new URL(dapp.url).origin}"]`);
    await site.waitFor();
    await expect.poll(() => site.textContent()).toContain('until disconnected');
    await settings.screenshot({
      path: await screenshotPath('settings-connected-sites'),
      fullPage: true,
    });
    // Every field on the screen has an accessible name.
    const unnamed = await settings.$$eval(
      'input, select, textarea, button',
      (els) =>
        els.filter((el) => {
          const e = el as HTMLInputElement;
          const labelled =
            e.labels?.length || e.getAttribute('aria-label') || e.textContent?.trim();
          return !labelled && e.type !== 'hidden';
        }).length,
    );
    expect(unnamed).toBe(0);
    // The same screen in dark mode.
    await settings.emulateMedia({ colorScheme: 'dark' });
    await settings.screenshot({ path: await screenshotPath('settings-dark'), fullPage: true });
    await settings.emulateMedia({ colorScheme: 'light' });

    await site.getByRole('button', { name: /Disconnect/ }).click();
    await expect.poll(() => text(page, '#account')).toBe('(not connected)');
    expect(await lotus(page, 'lotus_getBalance')).toEqual({
      error: expect.objectContaining({ code: 4100 }),
    });
    await settings.close();
  });

  it('locking the wallet tells connected pages their accounts are gone', async () => {
    // Connect again first (the previous test disconnected the site).
    await page.click('#connect');
    const approval = await approvalWindow(alice, '#approve-duration');
    await approval.selectOption('#approve-duration', '1h');
    await inWindow(approval, (w) => w.click('#approve-accept'));
    await expect.poll(() => text(page, '#account')).toMatch(/^lotusR/);
    const [grant] = ((await lotus(page, 'wallet_getPermissions')).result ?? []) as {
      caveats: { type: string; value: number }[];
    }[];
    expect(grant?.caveats[0]?.type).toBe('expiresAt');
    await callExtension(aliceWallet, 'petal_walletLock');
    await expect.poll(() => text(page, '#account')).toBe('(not connected)');
    expect(await lotus(page, 'lotus_accounts')).toEqual({ result: [] });
  });
});
