import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HdAccount } from '../../src/core/wallet/account.ts';
import { regtest } from '../../src/core/chain/index.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import {
  EXTENSION_DIR,
  type LaunchedExtension,
  launchExtension,
  screenshotPath,
} from './harness.ts';
import { shooter } from './popup-shots.ts';

const PASSWORD = 'petal history password';
const PHRASE =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const OTHER_PHRASE = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

const shot = shooter('history');

describe('transaction history: dates, detail view, labels', () => {
  let devnet: Devnet;
  let browser: LaunchedExtension;
  let popup: Page;
  let txid = '';

  beforeAll(async () => {
    if (!existsSync(join(EXTENSION_DIR, 'manifest.json')))
      throw new Error('Run `npm run build` first');
    devnet = await startDevnet();
    browser = await launchExtension();
  });

  afterAll(async () => {
    await browser?.close();
    await devnet?.close();
  });

  it('imports a wallet on the devnet, saying the network was saved', async () => {
    popup = await browser.context.newPage();
    await popup.setViewportSize({ width: 360, height: 600 });
    await popup.goto(`chrome-extension://${browser.extensionId}/popup/index.html#/settings`);
    await popup.selectOption('#settings-network', 'regtest');
    await popup.click('#settings-save');
    await expect.poll(() => popup.inputValue('#settings-chronik')).toBe('http://127.0.0.1:7321');
    await popup.fill('#settings-chronik', devnet.url);
    await popup.click('#settings-save');
    await expect.poll(() => popup.textContent('#toast')).toBe('Network saved');
    await popup.goto(`chrome-extension://${browser.extensionId}/popup/index.html#/import`);
    await popup.fill('#import-phrase', PHRASE);
    await popup.fill('#import-password', PASSWORD);
    await popup.fill('#import-repeat', PASSWORD);
    await popup.click('#import-submit');
    await popup.waitForSelector('#home');
  });

  it('after a send, Activity shows a dated entry that opens its detail view', async () => {
    const own = HdAccount.fromSecrets({ mnemonic: PHRASE, passphrase: '' }, regtest).receiveAddress
      .address;
    const res = await fetch(`${devnet.url}/faucet`, {
      method: 'POST',
      body: JSON.stringify({ address: own, sats: '100000000' }),
    });
    expect(res.status).toBe(200);
    devnet.mine(1);
    await expect.poll(() => popup.textContent('#balance')).toBe('100 XPI');

    const to = HdAccount.fromSecrets({ mnemonic: OTHER_PHRASE, passphrase: '' }, regtest)
      .receiveAddress.address;
    await popup.click('#go-send');
    await popup.fill('#send-to', to);
    await popup.fill('#send-amount', '7.25');
    await popup.click('#send-review');
    await popup.click('#send-confirm-button');
    await popup.waitForSelector('#sent-txid');
    txid = (await popup.textContent('#sent-txid')) as string;
    await shot(popup, '01-sent');

    // Unconfirmed: the entry says so instead of a date.
    await popup.click('nav >> text=Activity');
    const row = popup.locator(`#activity-list li[data-txid="${txid}"]`);
    await expect.poll(() => row.locator('.when').textContent()).toBe('Pending');
    devnet.mine(1);
    await expect.poll(() => row.locator('.confirmations').textContent()).toBe('1 confirmation');
    const when = (await row.locator('.when').textContent()) as string;
    expect(when).toMatch(/\d{4}/);
    expect(when).not.toMatch(/Pending/);
    await shot(popup, '02-activity');

    await row.locator('a').click();
    await popup.waitForSelector('#tx-detail #tx-txid');
    expect(await popup.textContent('#tx-txid')).toBe(txid);
    expect(await popup.textContent('#tx-net')).toMatch(/^-7\.25\d* XPI$/);
    expect(await popup.textContent('#tx-time')).toBe(when);
    expect(await popup.textContent('#tx-confirmations')).toMatch(/^1 confirmation \(block \d+\)$/);
    expect(await popup.textContent('#tx-fee')).toMatch(/^0\.000\d+ XPI \(\d+ bytes\)$/);
    const inputs = await popup.$$eval('#tx-inputs li', (els) => els.map((e) => e.textContent));
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toContain(own);
    expect(inputs[0]).toContain('yours');
    expect(inputs[0]).toContain('100 XPI');
    const outputs = await popup.$$eval('#tx-outputs li', (els) => els.map((e) => e.textContent));
    expect(outputs).toHaveLength(2);
    const paid = outputs.find((o) => o?.includes(to));
    expect(paid).toContain('7.25 XPI');
    expect(paid).not.toContain('yours');
    expect(outputs.filter((o) => o?.includes('yours'))).toHaveLength(1);
    // The devnet has no public explorer: no link until the user sets one.
    expect(await popup.$('#tx-explorer')).toBeNull();

    // Copy puts the txid on the clipboard.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await popup.click('#tx-copy');
    await expect.poll(() => popup.textContent('#tx-copy')).toBe('Copied');
    expect(await popup.evaluate(() => navigator.clipboard.readText())).toBe(txid);

    // Label the transaction and the recipient's address.
    await popup.click('#tx-label-edit');
    await popup.fill('#tx-label-input', 'Lunch with Bob');
    await popup.click('#tx-label-save');
    await expect.poll(() => popup.textContent('#tx-label-text')).toBe('Lunch with Bob');
    const paidIndex = outputs.findIndex((o) => o?.includes(to));
    await popup.click(`#tx-outputs-${paidIndex}-label-edit`);
    await popup.fill(`#tx-outputs-${paidIndex}-label-input`, 'Bob');
    await popup.click(`#tx-outputs-${paidIndex}-label-save`);
    await expect
      .poll(() =>
        popup.locator(`#tx-outputs li >> nth=${paidIndex}`).locator('.addr-label').textContent(),
      )
      .toBe('Bob');
    await shot(popup, '03-detail');
    await popup.screenshot({
      path: await screenshotPath('history-03-detail-full'),
      fullPage: true,
    });

    await popup.click('a.back');
    await expect.poll(() => row.locator('strong').textContent()).toBe('Lunch with Bob');
  });

  it('the Sent screen links to the detail view', async () => {
    await popup.goto(`chrome-extension://${browser.extensionId}/popup/index.html#/send`);
    const to = HdAccount.fromSecrets({ mnemonic: OTHER_PHRASE, passphrase: '' }, regtest)
      .receiveAddress.address;
    await popup.fill('#send-to', to);
    await popup.fill('#send-amount', '1');
    await popup.click('#send-review');
    await popup.click('#send-confirm-button');
    await popup.waitForSelector('#sent-details');
    const sent = (await popup.textContent('#sent-txid')) as string;
    await popup.click('#sent-details');
    await popup.waitForSelector('#tx-detail #tx-txid');
    expect(await popup.textContent('#tx-txid')).toBe(sent);
    expect(await popup.textContent('#tx-time')).toBe('Pending');
  });

  it('sets an explorer link for the network, refusing a template without {txid}', async () => {
    await popup.goto(`chrome-extension://${browser.extensionId}/popup/index.html#/settings`);
    await popup.fill('#settings-explorer', 'https://explorer.example/tx/');
    await popup.click('#explorer-save');
    await expect.poll(() => popup.textContent('#explorer-error')).toMatch(/\{txid\}/);
    await popup.fill('#settings-explorer', 'https://explorer.example/tx/{txid}');
    await popup.click('#explorer-save');
    await expect.poll(() => popup.textContent('#toast')).toBe('Explorer link saved');
    await popup.goto(`chrome-extension://${browser.extensionId}/popup/index.html#/tx/${txid}`);
    await expect
      .poll(() => popup.getAttribute('#tx-explorer', 'href'))
      .toBe(`https://explorer.example/tx/${txid}`);
  });

  it('exports labels as BIP-329 and imports them, refusing a malformed line', async () => {
    await popup.goto(`chrome-extension://${browser.extensionId}/popup/index.html#/settings`);
    const download = popup.waitForEvent('download');
    await popup.click('#labels-export');
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^petal-labels-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const { readFile } = await import('node:fs/promises');
    const text = await readFile((await file.path()) as string, 'utf8');
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toContainEqual({ type: 'tx', ref: txid, label: 'Lunch with Bob' });
    expect(lines).toContainEqual(expect.objectContaining({ type: 'addr', label: 'Bob' }));

    await popup.click('#labels-import-open');
    await popup.fill('#labels-text', `{"type":"tx","ref":"${txid}","label":"Lunch"}\nnot json`);
    await popup.click('#labels-import');
    await expect
      .poll(() => popup.textContent('#labels-import-error'))
      .toBe('Line 2: not a JSON object');
    await shot(popup, '04-labels-import-error');
    await popup.fill('#labels-text', `{"type":"tx","ref":"${txid}","label":"Lunch"}\n`);
    await popup.click('#labels-import');
    await expect.poll(() => popup.textContent('#toast')).toBe('Imported 1 label');
    await popup.goto(`chrome-extension://${browser.extensionId}/popup/index.html#/activity`);
    await expect
      .poll(() => popup.locator(`#activity-list li[data-txid="${txid}"] strong`).textContent())
      .toBe('Lunch');
  });
});
