import { readFile } from 'node:fs/promises';
import { randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import type { VaultInfo } from '../../src/core/rpc/index.ts';
import { until } from '../support/until.ts';
import {
  type LaunchedExtension,
  callExtension,
  popupAt,
  popupUrl,
  screenshotPath,
  servePage,
} from './harness.ts';
import { twoWalletsOnRelay } from './vault-steps.ts';
import { shooter } from './popup-shots.ts';

const PASSWORD = 'member names e2e password';

const go = (page: Page, ext: LaunchedExtension, route: string) => page.goto(popupUrl(ext, route));

/** Elements wider than the 360-pixel popup, or poking out of the screen's content column. */
const overflowing = (page: Page) =>
  page.evaluate(() => {
    const column = document.querySelector('main .screen')?.getBoundingClientRect().right ?? 360;
    return [...document.querySelectorAll('main .screen *')]
      .filter((el) => el.getBoundingClientRect().right > Math.min(360, column) + 0.5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
  });

const shot = shooter('member-names', 'page');

/** The dApp approval window the background opened, once it shows `showing` and is armed. */
const approvalWindow = (ext: LaunchedExtension, showing: string) =>
  until(async () => {
    const windows = ext.context
      .pages()
      .filter((p) => !p.isClosed() && p.url().includes('#/approve'));
    for (const page of windows.reverse()) {
      const shown = await page
        .locator(showing)
        .isVisible()
        .catch(() => false);
      if (!shown) continue;
      // Buttons arm 500 ms after a request appears (docs/PROVIDER.md).
      await page.locator('#approve-accept:enabled').waitFor({ timeout: 5_000 });
      return page;
    }
    return undefined;
  }, 30_000);

/** A click that may close its window (the queue just emptied): closing is success. */
const clickClosing = (page: Page, selector: string) =>
  page.click(selector).catch((err: unknown) => {
    if (!page.isClosed() && !/closed/.test((err as Error).message)) throw err;
  });

/** The vault's rule as the vault page words it: members in key order, this wallet "you". */
const policyOf = (me: number, other: string) =>
  `Who can spend: Both ${me === 1 ? `you and ${other}` : `${other} and you`}.`;

// Two people share a vault and name each other: Alice names Bob on the vault page, Bob names
// Alice from his contacts screen. Every place a member appears then says who, with the same
// member number: the approval card, the live view, a decline, and the vault's history.
describe('members by name', () => {
  const world = twoWalletsOnRelay(PASSWORD);
  let a: Page;
  let b: Page;
  let vault: VaultInfo;
  /** Member numbers (1-based) as the vault page shows them. */
  let aliceNumber = 0;
  let bobNumber = 0;
  let spendSession = '';
  let spendTxid = '';
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  beforeAll(async () => {
    // The vault forms by invite and join code (vault-ui.test.ts drives those screens).
    a = await popupAt(world.alice, '/vaults');
    b = await popupAt(world.bob, '/vaults');
    const { code } = await callExtension<{ code: string }>(a, 'petal_vaultInviteCreate', {
      members: 2,
      label: 'Household',
    });
    const { join } = await callExtension<{ join: string }>(b, 'petal_vaultInviteJoin', {
      invite: code,
    });
    vault = await callExtension<VaultInfo>(a, 'petal_vaultInviteAssemble', {
      invite: code,
      joins: [join],
    });
    await callExtension(b, 'petal_vaultAdd', { descriptor: vault.descriptor });
  }, 120_000);

  it('names a member on the vault page and from the contacts screen', async () => {
    await go(a, world.alice, `/vault/${vault.id}`);
    await a.waitForSelector('#vault-members li');
    const mine = a.locator('#vault-members li', { hasText: 'You' });
    aliceNumber = Number(await mine.getAttribute('data-member')) + 1;
    bobNumber = 3 - aliceNumber;
    const bobRow = a.locator(`#vault-members li[data-member="${bobNumber - 1}"]`);
    // Unnamed: "Member n" and the start of the key.
    expect(await bobRow.locator('.member-name').textContent()).toBe(`Member ${bobNumber}`);
    expect(await bobRow.locator('.member-detail').textContent()).toMatch(/^0[23][0-9a-f]{6}…/);
    await bobRow.locator('[data-edit-name]').click();
    // Refused, not cut: 65 bytes.
    await bobRow.locator('[data-name-input]').fill('B'.repeat(65));
    await bobRow.locator('[data-save-name]').click();
    await expect.poll(() => bobRow.locator('.error').textContent()).toMatch(/at most 64 bytes/);
    await bobRow.locator('[data-name-input]').fill('  Bob  ');
    await bobRow.locator('[data-save-name]').click();
    await expect.poll(() => bobRow.getAttribute('data-name')).toBe('Bob');
    expect(await bobRow.locator('.member-detail').textContent()).toMatch(
      new RegExp(`^member ${bobNumber} · 0[23]`),
    );
    // The rule says who can spend by the same names and numbers.
    await expect
      .poll(() => a.textContent('#vault-policy'), { timeout: 10_000 })
      .toBe(policyOf(aliceNumber, `Bob (member ${bobNumber})`));
    expect(await overflowing(a)).toEqual([]);
    await shot(a, '01-vault-members-named');

    // Bob picks Alice from his vault's members on the contacts screen.
    await go(b, world.bob, '/settings');
    await b.click('#go-contacts');
    await b.waitForSelector('#contact-add');
    await b.waitForSelector('#contact-pick option[value^="0"]', { state: 'attached' });
    await b.selectOption('#contact-pick', { index: 1 });
    expect(await b.inputValue('#contact-pubkey')).toMatch(/^0[23][0-9a-f]{64}$/);
    await b.fill('#contact-name', 'Alice');
    await b.click('#contact-save');
    await b.waitForSelector('#contact-list li');
    expect(await b.locator('#contact-list .member-name').allTextContents()).toEqual(['Alice']);
    await shot(b, '02-contacts');
    await go(b, world.bob, `/vault/${vault.id}`);
    await expect
      .poll(() =>
        b.locator(`#vault-members li[data-member="${aliceNumber - 1}"] .member-name`).textContent(),
      )
      .toBe('Alice');
    await expect
      .poll(() => b.textContent('#vault-policy'), { timeout: 10_000 })
      .toBe(policyOf(bobNumber, `Alice (member ${aliceNumber})`));
  });

  it('lists a receipt in the vault history', async () => {
    world.devnet.fund(vault.address, 40_000_000n);
    world.devnet.mine(1);
    await go(a, world.alice, `/vault/${vault.id}`);
    const receipt = a.locator('#vault-history li[data-kind="received"]');
    await receipt.waitFor({ timeout: 30_000 });
    expect(await receipt.textContent()).toContain('+40 XPI');
    await expect.poll(() => receipt.locator('.confirmations').textContent()).toBe('1 confirmation');
  });

  it('shows who proposed on the approval card and in the live view, by name', async () => {
    await a.fill('#vault-to', payee);
    await a.fill('#vault-amount', '12.5');
    await a.fill('#vault-memo', 'New fridge');
    await a.click('#vault-propose button[type=submit]');
    await a.waitForSelector('#session');
    spendSession = a.url().split('#/session/')[1] as string;

    await go(b, world.bob, '/sessions');
    const card = b.locator(`[data-session="${spendSession}"]`);
    await card.waitFor({ timeout: 30_000 });
    // Names arrive with the contact list, just after the session itself.
    await expect
      .poll(() => card.locator('[data-proposer]').textContent())
      .toBe(`Proposed by Alice (member ${aliceNumber})`);
    await shot(b, '03-approval-card');

    await card.getByRole('link', { name: 'Live view' }).click();
    await b.waitForSelector('#session-members');
    await expect
      .poll(() => b.textContent('#session-proposer'))
      .toBe(`Proposed by Alice (member ${aliceNumber})`);
    const expected = ['', ''];
    expected[aliceNumber - 1] = `Alicemember ${aliceNumber}`;
    expected[bobNumber - 1] = `Youmember ${bobNumber}`;
    await expect
      .poll(() => b.$$eval('#session-members tbody th', (ths) => ths.map((th) => th.textContent)))
      .toEqual(expected);
    expect(await overflowing(b)).toEqual([]);
    await shot(b, '04-session-details');
    await b.getByRole('button', { name: 'Approve' }).click();

    await go(a, world.alice, `/session/${spendSession}`);
    await expect
      .poll(() => a.getAttribute('#session-phase', 'data-phase'), { timeout: 90_000 })
      .toBe('completed');
    // Alice's table names Bob the same way, under the same number.
    expect(await a.textContent(`#session-members tr[data-member="${bobNumber - 1}"] th`)).toBe(
      `Bobmember ${bobNumber}`,
    );
    spendTxid = (await a.textContent('#session-txid')) as string;
    await shot(a, '05-session-completed');
  });

  it('lists the spend with its session in the vault history and opens its detail', async () => {
    world.devnet.mine(1);
    await go(b, world.bob, `/vault/${vault.id}`);
    const spend = b.locator(`#vault-history li[data-txid="${spendTxid}"]`);
    await spend.waitFor({ timeout: 30_000 });
    expect(await spend.getAttribute('data-kind')).toBe('sent');
    await expect.poll(() => spend.locator('.confirmations').textContent()).toBe('1 confirmation');
    expect(await spend.locator('.memo').textContent()).toBe('“New fridge”');
    await expect
      .poll(() => spend.locator('.history-session').textContent())
      .toBe(`Signed in a session proposed by Alice (member ${aliceNumber}) · session`);
    expect(await spend.locator('.history-session').getAttribute('data-session')).toBe(spendSession);
    // The receipt is there too, below the newer spend.
    expect(await b.locator('#vault-history li').count()).toBe(2);
    await b.locator('#vault-history').scrollIntoViewIfNeeded();
    expect(await overflowing(b)).toEqual([]);
    await shot(b, '06-vault-history');

    await spend.locator('a.activity-entry').click();
    await b.waitForSelector('#tx-txid');
    expect(await b.textContent('#tx-txid')).toBe(spendTxid);
    // From the vault's side: 12.5 XPI out plus the fee, the change output marked as the vault's.
    expect(await b.textContent('#tx-net')).toMatch(/^-12\.5\d* XPI$/);
    expect(await b.locator('#tx-outputs .tag').allTextContents()).toEqual(['vault']);
    expect(await b.getAttribute('#tx-detail .back', 'href')).toBe(`#/vault/${vault.id}`);
    await shot(b, '07-vault-transaction');
  });

  it('says which member declined, by name', async () => {
    await go(a, world.alice, `/vault/${vault.id}`);
    await a.fill('#vault-to', payee);
    await a.fill('#vault-amount', '1');
    await a.fill('#vault-memo', 'Second fridge');
    await a.click('#vault-propose button[type=submit]');
    await a.waitForSelector('#session');
    const declined = a.url().split('#/session/')[1] as string;

    await go(b, world.bob, '/sessions');
    const card = b.locator(`[data-session="${declined}"]`);
    await card.waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: 'Decline' }).click();

    await expect
      .poll(() => a.textContent('#session-end').catch(() => ''), { timeout: 30_000 })
      .toMatch(new RegExp(`^Bob \\(member ${bobNumber}\\) declined the spend`));
    expect(await overflowing(a)).toEqual([]);
    await shot(a, '08-declined-by-name');
    await go(a, world.alice, `/vault/${vault.id}`);
    const aliceCard = a.locator(`[data-session="${declined}"]`);
    await aliceCard.waitFor();
    await expect
      .poll(() => aliceCard.locator('[data-end]').textContent())
      .toMatch(new RegExp(`^Bob \\(member ${bobNumber}\\) declined the spend`));
    expect(await aliceCard.locator('[data-proposer]').textContent()).toBe('Proposed by you');
  });

  it('shows a dApp’s vault spend with the rule by name, proposed by you', async () => {
    const site = await servePage('<!doctype html><title>shop</title><p>A shop</p>');
    try {
      const page = await world.alice.context.newPage();
      await page.goto(site.url);
      await page.waitForFunction(() => 'lotus' in window);
      type Lotus = { request(a: { method: string; params?: unknown }): Promise<unknown> };
      const connecting = page.evaluate(() =>
        (window as unknown as { lotus: Lotus }).lotus.request({ method: 'lotus_requestAccounts' }),
      );
      await clickClosing(await approvalWindow(world.alice, '#approve-duration'), '#approve-accept');
      expect(await connecting).toHaveLength(1);

      const spending = page.evaluate(
        (params) =>
          (window as unknown as { lotus: Lotus }).lotus
            .request({ method: 'lotus_requestVaultSpend', params })
            .catch((err: { code: number }) => err.code),
        { vaultId: vault.id, to: payee, sats: '2000000' },
      );
      const approval = await approvalWindow(world.alice, '#approve-vault-spend');
      await approval.setViewportSize({ width: 360, height: 600 });
      expect(await approval.textContent('#approve-proposer')).toBe(
        'You, at this site’s request: the other members see it as your proposal',
      );
      expect(await approval.textContent('#approve-vault-policy')).toBe(
        policyOf(aliceNumber, `Bob (member ${bobNumber})`),
      );
      expect(await approval.textContent('#approve-vault [data-role="from"] .spend-note')).toBe(
        'Household (2 members)',
      );
      expect(await overflowing(approval)).toEqual([]);
      await shot(approval, '09-dapp-vault-spend');
      await clickClosing(approval, '#approve-reject');
      expect(await spending).toBe(4001);
      await page.close();
    } finally {
      await site.close();
    }
  });

  it('exports the contacts as BIP-329, and importing them back restores every name', async () => {
    await go(b, world.bob, '/contacts');
    await b.waitForSelector('#contact-list li');
    const download = b.waitForEvent('download');
    await b.click('#contacts-export');
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^petal-contacts-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const path = (await file.path()) as string;
    const aliceKey = (await b.getAttribute('#contact-list li', 'data-pubkey')) as string;
    expect(await readFile(path, 'utf8')).toBe(
      `${JSON.stringify({ type: 'pubkey', ref: aliceKey, label: 'Alice' })}\n`,
    );

    // Forgotten: the vault page is back to the member number.
    await b.locator('#contact-list li [data-delete]').click();
    await b.waitForSelector('#contact-list li', { state: 'detached' });
    await go(b, world.bob, `/vault/${vault.id}`);
    const aliceRow = b.locator(`#vault-members li[data-member="${aliceNumber - 1}"]`);
    await expect
      .poll(() => aliceRow.locator('.member-name').textContent())
      .toBe(`Member ${aliceNumber}`);

    await go(b, world.bob, '/contacts');
    await b.click('#contacts-import-open');
    await b.setInputFiles('#contacts-file', path);
    await expect.poll(() => b.inputValue('#contacts-text')).toContain(aliceKey);
    await b.click('#contacts-import');
    await expect.poll(() => b.textContent('#toast')).toBe('Imported 1 contact');
    expect(await b.locator('#contact-list .member-name').allTextContents()).toEqual(['Alice']);
    await shot(b, '10-contacts-imported');
    await go(b, world.bob, `/vault/${vault.id}`);
    await expect.poll(() => aliceRow.locator('.member-name').textContent()).toBe('Alice');
    await expect
      .poll(() => b.textContent('#vault-policy'), { timeout: 10_000 })
      .toBe(policyOf(bobNumber, `Alice (member ${aliceNumber})`));
  });

  it('pages through a long vault history with "Show more"', async () => {
    // 50 more payments: with the first receipt and the spend, 52 in all, one page is 50.
    const paid = Array.from({ length: 50 }, (_, i) =>
      world.devnet.fund(vault.address, 100_000n + BigInt(i)),
    );
    world.devnet.mine(1);
    await go(a, world.alice, `/vault/${vault.id}`);
    const rows = a.locator('#vault-history > li');
    await expect
      .poll(() => rows.first().getAttribute('data-txid'), { timeout: 30_000 })
      .toBe(paid.at(-1));
    expect(await rows.count()).toBe(50);
    const more = a.locator('#vault-history-more');
    await more.scrollIntoViewIfNeeded();
    // The popup as it is seen there (a full-page shot of 50 entries is too tall to read).
    await a.screenshot({ path: await screenshotPath('member-names-11-vault-history-more') });
    await more.click();
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(52);
    // The oldest two now close the list, each once; nothing older is left to show.
    expect(await rows.nth(50).getAttribute('data-txid')).toBe(spendTxid);
    expect(await rows.nth(51).getAttribute('data-kind')).toBe('received');
    const txids = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-txid')));
    expect(new Set(txids).size).toBe(52);
    await expect.poll(() => more.count(), { timeout: 10_000 }).toBe(0);
    expect(await overflowing(a)).toEqual([]);
  });
});
