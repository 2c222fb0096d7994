import { randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import { popupAt, popupUrl } from './harness.ts';
import { twoWalletsOnRelay } from './vault-steps.ts';
import { shooter } from './popup-shots.ts';

const PASSWORD = 'vault ui e2e password';

const shot = shooter('vault-ui', 'page');

// Two people form a vault entirely in their popups (one invite, answered over the relay), see the
// same address, and spend from it: proposed on the vault screen, approved in the live view.
describe('vaults in the popup', () => {
  const world = twoWalletsOnRelay(PASSWORD);
  let a: Page;
  let b: Page;
  let vaultId = '';
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  it('forms a 2-of-2 vault from one invite; both confirm the words and show the same address', async () => {
    a = await popupAt(world.alice, '/vaults');
    await a.waitForSelector('#vaults');
    await shot(a, '01-empty-list');
    await a.click('#vault-new');
    await a.fill('#new-vault-my-name', 'Alice');
    await a.fill('#new-vault-label', 'Household');
    await a.fill('#new-vault-members', '2');
    await shot(a, '02-new-vault');
    await a.click('#create-invite');
    await a.waitForSelector('#formation-invite');
    const invite = await a.locator('#invite-code').inputValue();
    expect(invite).toMatch(/^petalinvite1/);
    await shot(a, '03-invite');

    b = await popupAt(world.bob, '/vault-join');
    await b.fill('#join-invite', invite);
    await b.fill('#join-name', 'Bob');
    await b.click('#join-answer');
    // Bob's answer reaches Alice's wallet over the relay; both see the same words.
    for (const page of [a, b])
      await page.waitForSelector('#formation-confirm-screen', { timeout: 60_000 });
    const words = await a.locator('#formation-words li').allTextContents();
    expect(words).toHaveLength(5);
    expect(await b.locator('#formation-words li').allTextContents()).toEqual(words);
    await shot(b, '04-check-words');
    await a.click('#formation-confirm');
    await b.click('#formation-confirm');
    await b.waitForSelector('#vault-address');
    await a.waitForSelector('#vault-address');
    const address = await a.textContent('#vault-address');
    expect(address).toMatch(/^lotusR/);
    expect(await b.textContent('#vault-address')).toBe(address);
    vaultId = a.url().split('#/vault/')[1] as string;
    expect(await a.locator('#vault-members li').count()).toBe(2);
    world.devnet.fund(address as string, 40_000_000n);
    world.devnet.mine(1);
    await expect.poll(() => a.textContent('#vault-balance'), { timeout: 20_000 }).toBe('40 XPI');
    await shot(a, '06-vault');
  });

  it('proposes from the vault screen; the other member approves in the live view', async () => {
    await a.fill('#vault-to', payee);
    await a.fill('#vault-amount', '12.5');
    await a.fill('#vault-memo', 'New fridge');
    await a.click('#vault-propose button[type=submit]');
    await a.waitForSelector('#session');
    const sessionId = a.url().split('#/session/')[1] as string;
    await shot(a, '07-session-waiting');

    await b.goto(popupUrl(world.bob, `/vault/${vaultId}`));
    const card = b.locator(`[data-session="${sessionId}"]`);
    await card.waitFor({ timeout: 30_000 });
    await card.getByRole('link', { name: 'Live view' }).click();
    await b.waitForSelector('#session-members');
    await expect.poll(() => b.textContent('#session')).toContain('New fridge');
    await shot(b, '08-live-view-undecided');
    await b.getByRole('button', { name: 'Approve' }).click();
    // With the session under way, each wallet sees the other member online.
    await a.goto(popupUrl(world.alice, `/vault/${vaultId}`));
    await expect
      .poll(() => a.locator('#vault-members [data-online]').getAttribute('data-online'), {
        timeout: 30_000,
      })
      .toBe('true');
    await shot(a, '08b-vault-member-online');
    await a.goto(popupUrl(world.alice, `/session/${sessionId}`));

    for (const page of [a, b])
      await expect
        .poll(() => page.getAttribute('#session-phase', 'data-phase'), { timeout: 60_000 })
        .toBe('completed');
    // Every member's nonces and signature are shown as in; the broadcaster and failover order too.
    const rows = await a.$$eval('#session-members tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['✓', '✓', '✓'],
      ['✓', '✓', '✓'],
    ]);
    expect(await a.textContent('#session-failover')).toMatch(/broadcasts?; if silent, then/);
    const txid = (await a.textContent('#session-txid')) as string;
    const indexer = new ChronikIndexer({ url: world.devnet.url });
    try {
      expect((await indexer.tx(txid)).outputs.some((o) => o.value === 12_500_000n)).toBe(true);
    } finally {
      indexer.close();
    }
    await shot(a, '09-live-view-completed');
  });
});
