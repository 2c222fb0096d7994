/**
 * Every popup screen and every approval screen, light and dark, at 360×600: each is compared
 * pixel by pixel with its committed baseline (test/e2e/baselines/<name>-<theme>.png) and checked
 * with axe-core. A screen that shows one label beside another row's amount, loses contrast in one
 * theme, clips an address or loses a field's name fails here, by name.
 *
 * Deterministic by construction (screens/world.ts): fixed phrases and keys, a devnet whose clock
 * never moves, the dApp and Chronik under fixed host names, the time zone and locale pinned, the
 * popup's clock frozen, carets hidden, animations off, and every capture repeated until two in a
 * row are identical.
 *
 * Accept a layout change: `npm run test:screens:update` (PETAL_UPDATE_BASELINES=1), then open the
 * rewritten PNGs and look at them before committing. Failures leave the actual image and a diff in
 * test-results/screens/.
 *
 * ADDING A SCREEN is one entry in POPUP_SCREENS (or APPROVAL_SCREENS for a dApp request), placed
 * where the world already holds what it shows (entries run in order and some change the wallet:
 * `send-sent` broadcasts, so it is last):
 *
 *   { name: 'contacts', browser: 'alice', route: '/contacts', ready: '#contacts li' },
 *
 * - `route` is the popup's hash route (or a function of the world, e.g. a vault's id);
 * - `act` does what a person does before the capture (type, click), through the page;
 * - `ready` is one or more selectors that are visible once the screen shows its data (the capture
 *   then waits for the pixels to settle); `until` a condition for what a selector cannot say;
 * - `mask` covers what is random by design (an invite code) with a grey box; `stub` answers one
 *   popup call with fixed data (a new recovery phrase), never more;
 * - `element` captures one element instead of the page (a card on a long page);
 * then run `npm run test:screens:update` once to write its two baselines, and look at them.
 *
 * Times the background makes up (an invite's expiry, a threshold spend's fallback time) come from
 * its own clock, which the world sets to the world's time (screens/world.ts): nothing is masked
 * for them.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalView } from '../../src/core/provider/dapp-methods.ts';
import type { FormationInfo } from '../../src/core/rpc/index.ts';
import { regtest } from '../../src/core/chain/index.ts';
import { createInvite, createJoin, readInvite } from '../../src/core/wallet/vault-invite.ts';
import { until } from '../support/until.ts';
import { type LaunchedExtension, callExtension, extensionPage } from './harness.ts';
import { axeViolations } from './screens/axe.ts';
import { compareWithBaseline, describeOutcome, settledScreenshot } from './screens/baseline.ts';
import {
  FROZEN_NOW_S,
  PASSWORD,
  PAYEE,
  SPARE_KEY_HEX,
  type World,
  buildWorld,
  dappRequest,
  phrase,
  secretOf,
  useRegtest,
  worldNow,
} from './screens/world.ts';

const VIEWPORT = { width: 360, height: 600 };
const THEMES = ['light', 'dark'] as const;

interface PopupScreen {
  /** Baselines are `<name>-light.png` and `<name>-dark.png`. */
  name: string;
  browser: 'alice' | 'bob' | 'newcomer';
  route: string | ((w: World) => string);
  /** Runs before the popup opens (changes to the world this screen needs). */
  before?: (w: World) => Promise<void>;
  act?: (page: Page, w: World) => Promise<void>;
  ready: string | string[] | ((w: World) => string);
  until?: (page: Page) => Promise<boolean>;
  mask?: string[];
  stub?: Record<string, unknown>;
  element?: string;
}

interface ApprovalScreen {
  name: string;
  /** Starts the dApp's request (from the dApp page in Alice's browser). */
  request: (w: World) => Promise<void>;
  ready: string;
  /** How the request is answered once captured; rejected unless later screens need it. */
  answer?: 'approve' | 'reject';
}

const fillSend = async (page: Page) => {
  await page.fill('#send-to', PAYEE);
  await page.fill('#send-amount', '2.75');
};

const fillPasswords = async (page: Page) => {
  await page.fill('#new-password', PASSWORD);
  await page.fill('#repeat-password', PASSWORD);
};

/** The words a new wallet would show (random by design): one fixed phrase instead. */
const NEW_PHRASE = { mnemonic: phrase('newcomer'), confirm: [2, 6, 10] };

/** Alice's "Book club" formation (vault-invite starts it): the invite id, for its screens. */
let bookClub = '';

/** Runs `job` with an extension page of `ext` to call the background from. */
async function withPage<T>(ext: LaunchedExtension, job: (page: Page) => Promise<T>): Promise<T> {
  const page = await extensionPage(ext);
  try {
    return await job(page);
  } finally {
    await page.close();
  }
}

/** An invite from Carol, who has no browser: its id is random, so its join code is masked. */
const carolsInvite = () =>
  createInvite(secretOf('carol'), {
    network: regtest,
    memberCount: 3,
    threshold: 2,
    label: 'Allotment',
    now: Math.floor(worldNow() / 1000),
  }).code;

const POPUP_SCREENS: PopupScreen[] = [
  // Onboarding, in a browser whose wallet does not exist yet.
  { name: 'welcome', browser: 'newcomer', route: '/', ready: '#welcome' },
  { name: 'create-password', browser: 'newcomer', route: '/create', ready: '#create-password' },
  {
    name: 'create-phrase',
    browser: 'newcomer',
    route: '/create',
    stub: { petal_walletNewMnemonic: NEW_PHRASE },
    act: async (page) => {
      await fillPasswords(page);
      await page.click('#create-next');
    },
    ready: '#phrase-words',
  },
  {
    name: 'create-confirm',
    browser: 'newcomer',
    route: '/create',
    stub: { petal_walletNewMnemonic: NEW_PHRASE },
    act: async (page) => {
      await fillPasswords(page);
      await page.click('#create-next');
      await page.check('#phrase-written');
      await page.click('#phrase-next');
    },
    ready: '#create-confirm',
  },
  { name: 'import', browser: 'newcomer', route: '/import', ready: '#import' },
  {
    name: 'restore-backup',
    browser: 'newcomer',
    route: '/restore-backup',
    ready: '#restore-backup',
  },
  {
    name: 'unlock',
    browser: 'newcomer',
    route: '/',
    act: async (page) => {
      await callExtension(page, 'petal_walletImport', {
        password: PASSWORD,
        mnemonic: phrase('newcomer'),
      });
      await callExtension(page, 'petal_walletLock', {});
    },
    ready: '#unlock',
  },
  {
    name: 'unlock-restore',
    browser: 'newcomer',
    route: '/restore',
    ready: '#screen-title:text("Restore your wallet")',
  },
  { name: 'import-replace', browser: 'newcomer', route: '/import-replace', ready: '#import .warn' },
  // Settings open while locked: only what needs no wallet.
  { name: 'settings-locked', browser: 'newcomer', route: '/settings', ready: '#go-about' },

  // Alice's wallet: funded, three vaults, one proposal waiting for her.
  { name: 'home', browser: 'alice', route: '/', ready: ['#home #pending', '#connection.online'] },
  {
    name: 'home-network-menu',
    browser: 'alice',
    route: '/',
    act: (page) => page.click('#network-name'),
    ready: ['#network-menu', '#connection.online'],
  },
  { name: 'receive', browser: 'alice', route: '/receive', ready: '#receive-address' },
  { name: 'send', browser: 'alice', route: '/send', act: fillSend, ready: '#send' },
  {
    name: 'send-confirm',
    browser: 'alice',
    route: '/send',
    act: async (page) => {
      await fillSend(page);
      await page.click('#send-review');
    },
    ready: '#confirm-summary',
  },
  {
    name: 'activity',
    browser: 'alice',
    route: '/activity',
    ready: '#activity-list >> text=Rent for March',
  },
  {
    name: 'transaction',
    browser: 'alice',
    route: (w) => `/tx/${w.rentTxid}`,
    ready: ['#tx-outputs', '#tx-label-text >> text=Rent for March'],
  },
  { name: 'vaults', browser: 'alice', route: '/vaults', ready: 'ul.vaults li:nth-child(3)' },
  {
    name: 'recovery-vault',
    browser: 'alice',
    route: (w) => `/vault/${w.inheritance.id}`,
    ready: ['#recovery-coins li', '#recovery-summary'],
  },
  { name: 'vault-new', browser: 'alice', route: '/vault-new', ready: '#new-vault-policy' },
  {
    name: 'vault-new-recovery',
    browser: 'alice',
    route: '/vault-new',
    act: async (page) => {
      await page.fill('#new-vault-label', 'Family');
      await page.fill('#new-vault-members', '3');
      await page.check('#new-vault-recovery');
      await page.fill('#new-vault-recovery-key', SPARE_KEY_HEX);
      await page.locator('#new-vault-recovery-key').blur();
    },
    ready: '#new-vault-policy >> text=recovery',
  },
  {
    name: 'vault-invite',
    browser: 'alice',
    route: '/vault-new',
    act: async (page) => {
      await page.fill('#new-vault-my-name', 'Alice');
      await page.fill('#new-vault-label', 'Book club');
      await page.fill('#new-vault-members', '3');
      await page.click('#create-invite');
    },
    ready: ['#invite-code', '#formation-waiting'],
    // The invite carries a fresh random id (its code and QR code).
    mask: ['#invite-code', '.screen .qr'],
  },
  // Bob answers Book club's invite under his name; the creator waits for one more.
  {
    name: 'formation-waiting',
    browser: 'alice',
    before: async (w) => {
      const list = await callExtension<FormationInfo[]>(w.aliceRpc, 'petal_formationList');
      const mine = list.find((f) => f.label === 'Book club' && f.role === 'creator');
      if (!mine?.code) throw new Error('Book club’s formation is not running');
      bookClub = mine.id;
      await callExtension(w.bobRpc, 'petal_formationJoin', { invite: mine.code, name: 'Bob' });
    },
    route: () => `/formation/${bookClub}`,
    ready: ['#formation-members li:nth-child(2)', '#formation-finish'],
    mask: ['#invite-code', '.screen .qr'],
  },
  {
    name: 'formation-joiner',
    browser: 'bob',
    route: () => `/formation/${bookClub}`,
    ready: '#formation-wait #formation-members li:nth-child(2)',
  },
  // Nina (the newcomer's wallet) answers too: the third member makes the vault.
  {
    name: 'formation-confirm',
    browser: 'alice',
    before: (w) =>
      withPage(w.newcomer, async (page) => {
        await callExtension(page, 'petal_walletUnlock', { password: PASSWORD });
        await useRegtest(page);
        await callExtension(page, 'petal_connectNetwork', { relays: w.relay.multiaddrs });
        const [code] = (await callExtension<FormationInfo[]>(w.aliceRpc, 'petal_formationList'))
          .filter((f) => f.id === bookClub)
          .map((f) => f.code);
        await callExtension(page, 'petal_formationJoin', { invite: code, name: 'Nina' });
      }),
    route: () => `/formation/${bookClub}`,
    ready: ['#formation-words', '#formation-confirm'],
  },
  {
    name: 'damaged',
    browser: 'newcomer',
    // The stored keystore record replaced by junk, then the worker started again from storage.
    before: (w) =>
      withPage(w.newcomer, async (page) => {
        await page.evaluate(async () => {
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
        const cdp = await w.newcomer.context.newCDPSession(page);
        await cdp.send('ServiceWorker.enable');
        await cdp.send('ServiceWorker.stopAllWorkers');
        await cdp.detach();
      }),
    route: '/',
    ready: '#damaged-problem',
  },
  { name: 'vault-join', browser: 'alice', route: '/vault-join', ready: '#join-invite' },
  {
    name: 'vault-join-code',
    browser: 'alice',
    route: '/vault-join',
    act: async (page) => {
      await page.fill('#join-invite', carolsInvite());
      await page.click('#join-by-code');
    },
    ready: ['#join-code', '#join-descriptor'],
    // The join code answers a random invite id.
    mask: ['#join-code', '.screen .qr'],
  },
  {
    name: 'contacts',
    browser: 'alice',
    route: '/contacts',
    ready: '#contact-list li:nth-child(3)',
  },
  {
    name: 'sessions',
    browser: 'alice',
    route: '/sessions',
    ready: (w) => `[data-session="${w.proposal.id}"] button:text("Approve")`,
  },
  {
    name: 'session',
    browser: 'alice',
    route: (w) => `/session/${w.proposal.id}`,
    ready: ['#session-members', '#session button:text("Approve")'],
  },
  // The threshold vault: Carol is offline, so the spend falls back to its leaf at 13:00.
  {
    name: 'session-threshold',
    browser: 'alice',
    route: (w) => `/session/${w.thresholdProposal.id}`,
    ready: ['#session-fallback', '#session button:text("Approve")'],
  },
  {
    name: 'session-threshold-approved',
    browser: 'alice',
    route: (w) => `/session/${w.thresholdProposal.id}`,
    act: (page) => page.click('#session button:text("Approve")'),
    ready: '#session-fallback >> text=has not approved',
  },
  {
    name: 'vault-tx',
    browser: 'alice',
    route: (w) => `/vault-tx/${w.household.id}/${w.householdFundTxid}`,
    ready: ['#tx-outputs li', '#tx-txid'],
  },
  {
    name: 'vault',
    browser: 'alice',
    route: (w) => `/vault/${w.household.id}`,
    // Whether Bob shows online depends on how fast his browser found Alice's: he leaves first.
    before: (w) => w.bob.close(),
    ready: [
      '#vault-balance .xpi',
      '#vault-members [data-online="false"]',
      '#vault [data-session]',
      '#vault-history li',
    ],
  },
  {
    name: 'vault-threshold',
    browser: 'alice',
    route: (w) => `/vault/${w.club.id}`,
    ready: [
      '#vault-balance .xpi',
      // Bob left at `vault`; Carol was never seen.
      '#vault-members [data-member="1"] [data-online]:not([data-online="true"])',
      '#vault [data-session]',
      '#vault-history li',
      '#vault-recovery-clock',
    ],
  },
  {
    name: 'settings',
    browser: 'alice',
    route: '/settings',
    // Relay addresses carry a random port and peer id: Alice drops the relay, which stops.
    before: async (w) => {
      await callExtension(w.aliceRpc, 'petal_walletSettings', { relays: [] });
      await w.relay.stop();
    },
    ready: ['#connected-sites [data-origin]', '#relays-no-defaults'],
    until: async (page) =>
      /Offline|0 relays, 0 direct peers/.test(
        (await page.textContent('#relay-settings #network-status')) ?? '',
      ),
  },
  {
    name: 'settings-ice',
    browser: 'alice',
    route: '/settings',
    before: (w) =>
      callExtension(w.aliceRpc, 'petal_walletSettings', {
        iceServers: [
          { urls: 'stun:stun.petal.test:3478' },
          { urls: 'turn:turn.petal.test:3478', username: 'alice', credential: 'garden-gate' },
        ],
      }),
    // A line that is not a server: the card says what is wrong with it.
    act: async (page) => {
      const box = page.locator('#ice-servers');
      await box.fill(`${await box.inputValue()}\nturn:turn2.petal.test:3478 bob`);
      await page.click('#ice-save');
    },
    ready: '#ice-error',
    element: '#ice-settings',
  },
  // No relay since Settings: the vault is formed with join codes by hand, then shown.
  {
    name: 'vault-created',
    browser: 'alice',
    route: '/vault-new',
    act: async (page) => {
      await page.fill('#new-vault-my-name', 'Alice');
      await page.fill('#new-vault-label', 'Savings jar');
      await page.click('#create-invite');
      await page.locator('#invite-offline').waitFor();
      const invite = readInvite(await page.inputValue('#invite-code'), {
        now: Math.floor(worldNow() / 1000),
      });
      await page.fill('#join-codes', createJoin(invite, secretOf('gina')));
      await page.click('#assemble');
    },
    ready: '#vault-created',
  },
  {
    name: 'about',
    browser: 'alice',
    route: '/about',
    ready: ['#background-status .ok', '#network-status .ok', '#replay-activation'],
  },
  // Broadcasts: keep last.
  {
    name: 'send-sent',
    browser: 'alice',
    route: '/send',
    act: async (page) => {
      await fillSend(page);
      await page.click('#send-review');
      await page.click('#send-confirm-button');
    },
    ready: '#sent-txid',
  },
];

const APPROVAL_SCREENS: ApprovalScreen[] = [
  {
    name: 'approve-connect',
    request: (w) => dappRequest(w, 'lotus_requestAccounts'),
    ready: '#approve-duration',
    answer: 'approve',
  },
  {
    name: 'approve-message',
    request: (w) =>
      dappRequest(w, 'lotus_signMessage', {
        message: 'Sign in to Garden shop\nNonce: 7f3a9c21e4b05d68',
      }),
    ready: '#approve-message',
  },
  {
    name: 'approve-transfer',
    request: (w) => dappRequest(w, 'lotus_sendTransfer', { to: PAYEE, sats: '1500000' }),
    ready: '#approve-transfer',
  },
  {
    name: 'approve-vault-spend',
    request: (w) =>
      dappRequest(w, 'lotus_requestVaultSpend', {
        vaultId: w.household.id,
        to: PAYEE,
        sats: '2500000',
      }),
    ready: '#approve-vault-spend',
  },
  {
    name: 'approve-vault-invite',
    request: (w) => dappRequest(w, 'lotus_createVaultInvite', { members: 3, label: 'Garden club' }),
    ready: '#approve',
  },
];

/** Light, then dark: each compared with its baseline and checked by axe. Problems, by name. */
async function checkThemes(
  page: Page,
  name: string,
  capture: { mask?: string[]; element?: string } = {},
): Promise<string[]> {
  const problems: string[] = [];
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    const shot = `${name}-${theme}`;
    const outcome = await compareWithBaseline(shot, await settledScreenshot(page, capture));
    const problem = describeOutcome(shot, outcome);
    if (problem) problems.push(problem);
    for (const violation of await axeViolations(page)) problems.push(`${shot} axe ${violation}`);
  }
  return problems;
}

/** Answers the listed popup calls with fixed results, before the popup's scripts run. */
function stubCalls(stubs: Record<string, unknown>) {
  const wrap = (runtime: { sendMessage: (...args: unknown[]) => unknown } | undefined) => {
    if (!runtime) return;
    const send = runtime.sendMessage.bind(runtime);
    runtime.sendMessage = (...args: unknown[]) => {
      const message = args[0] as { id?: string; method?: string } | undefined;
      if (!message?.method || !(message.method in stubs)) return send(...args);
      const reply = {
        tag: 'petal/1',
        kind: 'response',
        id: message.id,
        result: stubs[message.method],
      };
      const callback = args.at(-1);
      if (typeof callback === 'function') return void setTimeout(() => callback(reply));
      return Promise.resolve(reply);
    };
  };
  const g = globalThis as unknown as Record<string, { runtime?: never } | undefined>;
  wrap(g.chrome?.runtime);
  if (g.browser?.runtime !== g.chrome?.runtime) wrap(g.browser?.runtime);
}

async function waitReady(page: Page, screen: PopupScreen, world: World): Promise<void> {
  const ready = typeof screen.ready === 'function' ? screen.ready(world) : screen.ready;
  for (const selector of [ready].flat())
    await page.locator(selector).first().waitFor({ timeout: 30_000 });
  if (screen.until) await until(() => screen.until!(page), 30_000, 200);
}

async function capturePopup(world: World, screen: PopupScreen): Promise<string[]> {
  await screen.before?.(world);
  const ext: LaunchedExtension = world[screen.browser];
  const page = await ext.context.newPage();
  try {
    await page.setViewportSize(VIEWPORT);
    await page.clock.setFixedTime(FROZEN_NOW_S * 1000);
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
    if (screen.stub) await page.addInitScript(stubCalls, screen.stub);
    const route = typeof screen.route === 'function' ? screen.route(world) : screen.route;
    await page.goto(`chrome-extension://${ext.extensionId}/popup/index.html#${route}`);
    await screen.act?.(page, world);
    await waitReady(page, screen, world);
    return await checkThemes(page, screen.name, screen);
  } finally {
    await page.close();
  }
}

/** The approval window the background opened, once it shows `ready` and its buttons are armed. */
async function approvalWindow(ext: LaunchedExtension, ready: string): Promise<Page> {
  return until(async () => {
    for (const page of ext.context.pages().reverse()) {
      if (page.isClosed() || !page.url().includes('#/approve')) continue;
      if (
        await page
          .locator(ready)
          .isVisible()
          .catch(() => false)
      )
        return page;
    }
    return undefined;
  }, 20_000);
}

const pending = (world: World) =>
  callExtension<ApprovalView[]>(world.aliceRpc, 'petal_approvalList');

async function captureApproval(world: World, screen: ApprovalScreen): Promise<string[]> {
  await screen.request(world);
  const window = await approvalWindow(world.alice, screen.ready);
  await window.setViewportSize(VIEWPORT);
  await window.locator('.actions[data-armed="true"]').waitFor();
  const problems = await checkThemes(window, screen.name);
  const button = screen.answer === 'approve' ? '#approve-accept' : '#approve-reject';
  await window.locator(`${button}:enabled`).waitFor();
  // The window closes itself once nothing is left: a click cut short by that is still a click.
  await window.click(button).catch((err: Error) => {
    if (!window.isClosed() && !/closed/.test(err.message)) throw err;
  });
  await until(async () => (await pending(world)).length === 0, 20_000);
  return problems;
}

describe('screens: baselines and accessibility, light and dark', () => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld();
  }, 180_000);

  afterAll(async () => {
    await world?.close();
  });

  // Approval screens go between the vault screens and Settings, which lists the connected dApp.
  const settingsAt = POPUP_SCREENS.findIndex((s) => s.name === 'settings');
  const order: (PopupScreen | ApprovalScreen)[] = [
    ...POPUP_SCREENS.slice(0, settingsAt),
    ...APPROVAL_SCREENS,
    ...POPUP_SCREENS.slice(settingsAt),
  ];
  for (const screen of order) {
    it(screen.name, async () => {
      const problems =
        'request' in screen
          ? await captureApproval(world, screen)
          : await capturePopup(world, screen);
      expect(problems).toEqual([]);
    });
  }

  it('a request arriving while another is shown waits behind it; nothing moves under the pointer', async () => {
    await dappRequest(world, 'lotus_signMessage', { message: 'The request on screen' });
    const window = await approvalWindow(world.alice, '#approve-message');
    await window.setViewportSize(VIEWPORT);
    await window.locator('.actions[data-armed="true"]').waitFor();
    const shown = await window.locator('.actions').getAttribute('data-request');
    const approveAt = await window.locator('#approve-accept').boundingBox();
    const rejectAt = await window.locator('#approve-reject').boundingBox();

    await dappRequest(world, 'lotus_sendTransfer', { to: PAYEE, sats: '1000000' });
    await until(async () => (await pending(world)).length === 2);
    await expect.poll(() => window.textContent('#approve-count')).toBe('1 of 2 requests');
    // Still the first request, its text, and its buttons where the pointer left them.
    expect(await window.locator('.actions').getAttribute('data-request')).toBe(shown);
    expect(await window.textContent('#approve-message')).toBe('The request on screen');
    expect(await window.locator('#approve-transfer').count()).toBe(0);
    expect(await window.locator('#approve-accept').boundingBox()).toEqual(approveAt);
    expect(await window.locator('#approve-reject').boundingBox()).toEqual(rejectAt);

    // Answering it brings the next, whose buttons start disarmed the moment it is drawn.
    await window.locator('#approve-reject:enabled').waitFor();
    await window.click('#approve-reject');
    const armedWhenDrawn = await window.waitForFunction(
      () =>
        document.querySelector('#approve-transfer') &&
        document.querySelector('.actions')?.getAttribute('data-armed'),
      undefined,
      { polling: 'raf' },
    );
    expect(await armedWhenDrawn.jsonValue()).toBe('false');
    expect(await window.textContent('#approve-count')).toBe('No other request waiting');
    await window.locator('#approve-reject:enabled').waitFor();
    await window.click('#approve-reject').catch((err: Error) => {
      if (!window.isClosed() && !/closed/.test(err.message)) throw err;
    });
    await until(async () => (await pending(world)).length === 0);
  });
});
