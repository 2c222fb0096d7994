import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormationInfo, VaultDetails } from '../../src/core/rpc/index.ts';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import {
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
  popupAt,
} from './harness.ts';
import { overflowing, shooter } from './popup-shots.ts';

/** Full page (everything the popup scrolls to) and the first 360×600 the user sees. */
const shot = shooter('vault-formation', 'both');

const wordsOn = (page: Page, list: string) => page.locator(`${list} li`).allTextContents();

// Three people form a 3-member vault in three browsers from one invite: the creator shares one
// code (Bob opens it as a link, Carol pastes it), no other code is passed by hand, and each
// member confirms the same fingerprint words before the vault is kept.
describe('one-code vault formation in three browsers', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  let exts: LaunchedExtension[];

  beforeAll(async () => {
    [devnet, relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    exts = await Promise.all([0, 1, 2].map(() => launchExtension()));
    for (const ext of exts) {
      const page = await extensionPage(ext);
      await callExtension(page, 'petal_walletSettings', {
        network: 'regtest',
        chronikUrl: devnet.url,
      });
      await callExtension(page, 'petal_walletImport', {
        password: 'vault formation password',
        mnemonic: createMnemonic(12),
      });
      await callExtension(page, 'petal_connectNetwork', { relays: relay.multiaddrs });
      await page.close();
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all((exts ?? []).map((e) => e.close()));
    await relay?.stop();
    await devnet?.close();
  });

  it('forms the vault from one invite; every member confirms the same words and address', async () => {
    const [alice, bob, carol] = exts as [LaunchedExtension, LaunchedExtension, LaunchedExtension];
    const a = await popupAt(alice, '/vault-new');
    await a.fill('#new-vault-my-name', 'Alice');
    await a.fill('#new-vault-label', 'Council');
    await a.fill('#new-vault-members', '3');
    await a.fill('#new-vault-threshold', '3');
    await expect
      .poll(() => a.textContent('#new-vault-policy'))
      .toContain('All 3 of you, Member 2 and Member 3');
    await shot(a, '01-new-vault');
    await a.click('#create-invite');
    await a.waitForSelector('#formation-invite');
    const invite = await a.locator('#invite-code').inputValue();
    expect(invite).toMatch(/^petalinvite1/);
    expect(await a.locator('#formation-members li').allTextContents()).toEqual([
      expect.stringContaining('Alice'),
    ]);
    expect(await overflowing(a)).toEqual([]);
    await shot(a, '02-invite');

    // Bob opens the invite link (the extension's own join screen, the invite filled in).
    const link = (await a.getAttribute('#invite-link', 'href')) as string;
    expect(link).toMatch(/#\/vault-join\/petalinvite1/);
    const b = await bob.context.newPage();
    await b.setViewportSize({ width: 360, height: 600 });
    await b.goto(link.replace(alice.extensionId, bob.extensionId));
    expect(await b.locator('#join-invite').inputValue()).toBe(invite);
    await b.fill('#join-name', 'Bob');
    await shot(b, '03-join');
    await b.click('#join-answer');
    await b.waitForSelector('#formation-wait');
    // The creator's wallet hears Bob and says so on both screens, by name.
    await expect
      .poll(() => a.locator('#formation-members li').allTextContents(), { timeout: 60_000 })
      .toEqual([expect.stringContaining('Alice'), expect.stringContaining('Bob')]);
    await expect
      .poll(() => b.locator('#formation-members li strong').allTextContents(), {
        timeout: 30_000,
      })
      .toEqual(['Alice', 'Bob']);
    // Bob's rule numbers the members as his list does: he joined second.
    expect(await b.textContent('#join-policy')).toBe(
      'Who can spend: All 3 of Member 1, you and Member 3.',
    );
    await shot(a, '04-invite-one-joined');
    await shot(b, '05-waiting');

    // Carol pastes the invite text.
    const c = await popupAt(carol, '/vault-join');
    await c.fill('#join-invite', invite);
    await c.fill('#join-name', 'Carol');
    await c.click('#join-answer');

    // All three are in: each wallet shows the words to read aloud, and nothing is saved yet.
    const pages = [a, b, c];
    for (const page of pages)
      await page.waitForSelector('#formation-confirm-screen', { timeout: 60_000 });
    const words = await Promise.all(pages.map((p) => wordsOn(p, '#formation-words')));
    expect(words[0]).toHaveLength(5);
    expect(words[1]).toEqual(words[0]);
    expect(words[2]).toEqual(words[0]);
    for (const page of pages) {
      expect((await page.locator('#formation-members li strong').allTextContents()).sort()).toEqual(
        ['Alice', 'Bob', 'Carol'],
      );
      expect(await callExtension(page, 'petal_vaultList')).toEqual([]);
      expect(await overflowing(page)).toEqual([]);
    }
    await shot(a, '06-confirm-creator');
    await shot(c, '07-confirm-joiner');

    // Each confirms; the vault is kept and has the same address and words on every member.
    const addresses: string[] = [];
    for (const page of pages) {
      await page.click('#formation-confirm');
      await page.waitForSelector('#vault-address');
      addresses.push((await page.textContent('#vault-address')) as string);
      expect(await wordsOn(page, '#vault-words')).toEqual(words[0]);
    }
    expect(addresses[0]).toMatch(/^lotusR/);
    expect(new Set(addresses).size).toBe(1);
    await shot(b, '08-vault-page');

    const id = b.url().split('#/vault/')[1] as string;
    const details = await Promise.all(
      pages.map((p) => callExtension<VaultDetails>(p, 'petal_vaultDetails', { id })),
    );
    expect(new Set(details.map((d) => d.descriptor)).size).toBe(1);
    expect(details[0]?.members).toBe(3);
    // The formation says it is saved; the other members' names went to the contacts.
    const formation = (await callExtension<FormationInfo[]>(a, 'petal_formationList'))[0];
    expect(formation?.phase).toBe('saved');
    const { contacts } = await callExtension<{ contacts: { pubkey: string; name: string }[] }>(
      c,
      'petal_contactList',
    );
    expect(contacts.map((x) => x.name).sort()).toEqual(['Alice', 'Bob']);
  }, 240_000);
});
