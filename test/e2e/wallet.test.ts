import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, type Worker, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HdAccount } from '../../src/core/wallet/account.ts';
import { regtest } from '../../src/core/chain/index.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import { CHROMIUM, EXTENSION_DIR, chromiumArgs } from './harness.ts';
import { shooter } from './popup-shots.ts';

const PASSWORD = 'petal e2e password';
const NEW_PASSWORD = 'a brand new petal password';
const OTHER_PHRASE = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

/** One browser on a profile that outlives it, so a relaunch shows what closing did. */
async function launch(profile: string) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs(EXTENSION_DIR),
    viewport: { width: 360, height: 600 },
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const errors: string[] = [];
  const watch = (w: Worker) =>
    w.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  watch(worker);
  context.on('serviceworker', watch);
  return { context, id: new URL(worker.url()).host, errors };
}

async function openPopup(context: BrowserContext, id: string, route = '/'): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width: 360, height: 600 });
  await page.goto(`chrome-extension://${id}/popup/index.html#${route}`);
  return page;
}

function worker(context: BrowserContext): Worker {
  const w = context.serviceWorkers()[0];
  if (!w) throw new Error('no service worker');
  return w;
}

/** Everything the extension stores: IndexedDB records, storage.local and storage.session. */
async function dumpStorage(context: BrowserContext, page: Page): Promise<string> {
  // A popup page shares the extension's origin, so it reads the same IndexedDB and storage.
  void context;
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('petal-wallet');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const records = await new Promise<unknown[]>((resolve) => {
      const tx = db.transaction('records');
      const req = tx.objectStore('records').getAll();
      req.onsuccess = () => resolve(req.result);
    });
    db.close();
    return JSON.stringify({
      records,
      local: await chrome.storage.local.get(null),
      session: await chrome.storage.session.get(null),
    });
  });
}

function expectNoSecrets(dump: string, mnemonic: string) {
  expect(dump).not.toContain(mnemonic);
  const words = mnemonic.split(' ');
  for (let i = 0; i + 3 <= words.length; i++)
    expect(dump).not.toContain(words.slice(i, i + 3).join(' '));
  expect(dump).not.toContain(PASSWORD);
  expect(dump).not.toContain(NEW_PASSWORD);
}

const shot = shooter('wallet');

describe('wallet in the built extension against the devnet', () => {
  let devnet: Devnet;
  let profile: string;
  let browser: Awaited<ReturnType<typeof launch>>;
  let popup: Page;
  let mnemonic = '';

  beforeAll(async () => {
    if (!existsSync(join(EXTENSION_DIR, 'manifest.json')))
      throw new Error('Run `npm run build` first');
    devnet = await startDevnet();
    profile = await mkdtemp(join(tmpdir(), 'petal-wallet-e2e-'));
    browser = await launch(profile);
  });

  afterAll(async () => {
    await browser?.context.close();
    await devnet?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('a new user points Petal at the devnet and creates a wallet', async () => {
    popup = await openPopup(browser.context, browser.id);
    await popup.waitForSelector('#welcome');
    await shot(popup, '01-welcome');
    await popup.click('text=Network settings');
    await popup.selectOption('#settings-network', 'regtest');
    await popup.click('#settings-save');
    await expect.poll(() => popup.inputValue('#settings-chronik')).toBe('http://127.0.0.1:7321');
    await popup.fill('#settings-chronik', devnet.url);
    await popup.click('#settings-save');
    await shot(popup, '02-network-settings');
    await popup.click('a.back');

    await popup.click('#start-create');
    await popup.fill('#new-password', PASSWORD);
    await popup.fill('#repeat-password', PASSWORD);
    await shot(popup, '03-create-password');
    await popup.click('#create-next');
    await popup.waitForSelector('#phrase-words');
    const words = await popup.$$eval('#phrase-words .w', (els) => els.map((e) => e.textContent));
    expect(words).toHaveLength(12);
    mnemonic = words.join(' ');
    await shot(popup, '04-recovery-phrase');
    await popup.check('#phrase-written');
    await popup.click('#phrase-next');
    for (let i = 0; i < 3; i++) {
      const label = await popup.textContent(`label[for="confirm-word-${i}"]`);
      const index = Number(/#(\d+)/.exec(label ?? '')?.[1]) - 1;
      await popup.fill(`#confirm-word-${i}`, words[index] as string);
    }
    await shot(popup, '05-confirm-phrase');
    await popup.click('#create-finish');
    await popup.waitForSelector('#home');
    await expect.poll(() => popup.textContent('#connection')).toMatch(/Online/);
    await expect.poll(() => popup.textContent('#balance')).toBe('0 XPI');
    await shot(popup, '06-home-empty');
    expectNoSecrets(await dumpStorage(browser.context, popup), mnemonic);
  });

  it('receives from the faucet: pending, then confirmed', async () => {
    await popup.click('#go-receive');
    await popup.waitForSelector('#receive-address');
    const address = (await popup.textContent('#receive-address')) as string;
    expect(address).toMatch(/^lotusR/);
    expect(await popup.locator('svg.qr path').getAttribute('d')).toMatch(/^M/);
    await shot(popup, '07-receive');
    const res = await fetch(`${devnet.url}/faucet`, {
      method: 'POST',
      body: JSON.stringify({ address, sats: '250000000' }),
    });
    expect(res.status).toBe(200);
    await popup.click('a.back');
    await expect.poll(() => popup.textContent('#pending')).toBe('+250 XPI pending');
    await shot(popup, '08-home-pending');
    devnet.mine(1);
    await expect.poll(() => popup.textContent('#balance')).toBe('250 XPI');
    await expect
      .poll(() => popup.textContent('#activity-list li .confirmations'))
      .toBe('1 confirmation');
    await shot(popup, '09-home-received');
  });

  it('sends to a second address with the fee and decoded outputs shown, then sees it confirmed', async () => {
    const to = HdAccount.fromSecrets({ mnemonic: OTHER_PHRASE, passphrase: '' }, regtest)
      .receiveAddress.address;
    await popup.click('#go-send');
    await popup.fill('#send-to', 'lotusRnotanaddress');
    await popup.fill('#send-amount', '12.5');
    await popup.click('#send-review');
    await expect.poll(() => popup.textContent('#send-form-error')).toMatch(/checksum|address/i);
    await popup.fill('#send-to', to);
    await popup.fill('#send-amount', '1000');
    await popup.click('#send-review');
    await expect
      .poll(() => popup.textContent('#send-form-error'))
      .toMatch(/^Insufficient funds: [\d.]+ XPI short/);
    await popup.fill('#send-amount', '12.5');
    // The error was about what was typed: it goes as soon as the input changes.
    expect(await popup.locator('#send-form-error').count()).toBe(0);
    await shot(popup, '10-send-form');
    await popup.click('#send-review');
    await popup.waitForSelector('#send-confirm');
    const inRow = (role: string) => `#confirm-summary [data-role="${role}"]`;
    expect(await popup.textContent(`${inRow('payment')} .spend-address`)).toBe(to);
    expect(await popup.textContent(`${inRow('payment')} .spend-amount`)).toBe('12.5 XPI');
    expect(await popup.textContent(`${inRow('fee')} dd`)).toMatch(/^0\.000\d+ XPI\(\d+ bytes\)$/);
    expect(await popup.textContent(`${inRow('change')} dt`)).toBe('Change back to you');
    expect(await popup.locator('#confirm-summary [data-role]').count()).toBe(4);
    await shot(popup, '11-send-confirm');
    await popup.click('#send-confirm-button');
    await popup.waitForSelector('#sent-txid');
    const txid = (await popup.textContent('#sent-txid')) as string;
    await shot(popup, '12-sent');
    expect(devnet.chain.mempool).toContain(txid);
    await popup.click('#send-finish');
    devnet.mine(1);
    await popup.click('nav >> text=Activity');
    const row = popup.locator(`#activity-list li[data-txid="${txid}"]`);
    await expect.poll(() => row.textContent()).toMatch(/Sent.*-12\.50\d+ XPI.*1 confirmation/);
    await shot(popup, '13-activity');
    expectNoSecrets(await dumpStorage(browser.context, popup), mnemonic);
  });

  it('keeps the wallet unlocked when the service worker is killed', async () => {
    const before = await popup.evaluate(
      () => document.querySelector('#activity-list')?.textContent,
    );
    const cdp = await browser.context.newCDPSession(popup);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await cdp.detach();
    await popup.reload();
    await popup.waitForSelector('#activity-list');
    expect(await popup.$('#unlock')).toBeNull();
    await expect
      .poll(() => popup.evaluate(() => document.querySelector('#activity-list')?.textContent))
      .toBe(before);
    expect(await worker(browser.context).evaluate(() => typeof indexedDB)).toBe('object');
  });

  it('refuses a wrong password without losing anything, then unlocks', async () => {
    await popup.goto(`chrome-extension://${browser.id}/popup/index.html#/settings`);
    await popup.click('#lock-now');
    await popup.waitForSelector('#unlock');
    const session = await popup.evaluate(() => chrome.storage.session.get(null));
    expect(session).toEqual({});
    await popup.fill('#unlock-password', 'not my password');
    await popup.click('#unlock-submit');
    await expect.poll(() => popup.textContent('#unlock-error')).toBe('Wrong password');
    await shot(popup, '14-unlock-wrong-password');
    await popup.fill('#unlock-password', PASSWORD);
    await popup.click('#unlock-submit');
    await popup.goto(`chrome-extension://${browser.id}/popup/index.html#/`);
    await expect.poll(() => popup.textContent('#balance')).toMatch(/^237\.49\d+ XPI$/);
    await popup.goto(`chrome-extension://${browser.id}/popup/index.html#/settings`);
    await shot(popup, '15-settings');
  });

  it('locks when the browser closes, and still opens with the password afterwards', async () => {
    await browser.context.close();
    browser = await launch(profile);
    popup = await openPopup(browser.context, browser.id);
    await popup.waitForSelector('#unlock');
    await shot(popup, '16-locked-after-restart');
    expectNoSecrets(await dumpStorage(browser.context, popup), mnemonic);
    await popup.fill('#unlock-password', PASSWORD);
    await popup.click('#unlock-submit');
    await expect.poll(() => popup.textContent('#balance')).toMatch(/^237\.49\d+ XPI$/);
    expect(browser.errors).toEqual([]);
  });

  let backupFile = '';

  it('changes the password, reveals the phrase only after it, and exports an encrypted backup', async () => {
    await popup.goto(`chrome-extension://${browser.id}/popup/index.html#/settings`);
    await popup.fill('#pw-old', 'not my password');
    await popup.fill('#pw-new', NEW_PASSWORD);
    await popup.click('text=Change password >> nth=-1');
    await expect
      .poll(() => popup.locator('form:has(#pw-old) [role=alert]').textContent())
      .toMatch(/wrong password/i);
    await popup.fill('#pw-old', PASSWORD);
    await popup.fill('#pw-new', NEW_PASSWORD);
    await popup.click('text=Change password >> nth=-1');
    await popup.waitForSelector('text=Password changed.');

    await popup.fill('#reveal-password', PASSWORD); // the old one no longer works
    await popup.click('text=Reveal recovery phrase');
    await expect
      .poll(() => popup.locator('form:has(#reveal-password) [role=alert]').textContent())
      .toMatch(/wrong password/i);
    await popup.fill('#reveal-password', NEW_PASSWORD);
    await popup.click('text=Reveal recovery phrase');
    await expect.poll(() => popup.textContent('#revealed-phrase')).toBe(mnemonic);
    await shot(popup, '17-phrase-revealed');
    await popup.click('text=Hide');

    await popup.fill('#backup-export-password', NEW_PASSWORD);
    const [download] = await Promise.all([
      popup.waitForEvent('download'),
      popup.click('text=Download backup'),
    ]);
    backupFile = join(profile, '..', `petal-backup-${Date.now()}.json`);
    await download.saveAs(backupFile);
    const backup = await readFile(backupFile, 'utf8');
    expect(JSON.parse(backup)).toBeTruthy();
    expectNoSecrets(backup, mnemonic);
    await shot(popup, '18-settings-after-backup');
    expectNoSecrets(await dumpStorage(browser.context, popup), mnemonic);
  });

  it('a damaged keystore record is reported with the ways back; the backup restores it', async () => {
    // Flip bytes in the stored record, then let the worker start from storage again.
    await popup.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open('petal-wallet');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('records', 'readwrite');
        tx.objectStore('records').put({ version: 1, garbage: 'x'.repeat(40) }, 'keystore');
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
      await chrome.storage.session.clear();
    });
    const cdp = await browser.context.newCDPSession(popup);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await cdp.detach();
    await popup.goto(`chrome-extension://${browser.id}/popup/index.html#/`);
    await popup.waitForSelector('#damaged');
    expect(await popup.textContent('#damaged-problem')).toMatch(/backup|recovery phrase/i);
    await shot(popup, '19-damaged-record');

    await popup.click('text=Restore an encrypted backup');
    await popup.waitForSelector('#restore-backup');
    await popup.setInputFiles('#backup-file', backupFile);
    await popup.fill('#backup-password', NEW_PASSWORD);
    await shot(popup, '20-restore-backup');
    await popup.click('#restore-backup button[type=submit]');
    await popup.goto(`chrome-extension://${browser.id}/popup/index.html#/`);
    await expect
      .poll(() => popup.textContent('#balance'), { timeout: 20_000 })
      .toMatch(/^237\.49\d+ XPI$/);
    expectNoSecrets(await dumpStorage(browser.context, popup), mnemonic);
    expect(browser.errors).toEqual([]);
    await rm(backupFile, { force: true });
  });
});
