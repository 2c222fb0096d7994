/**
 * The fixed world the screen baselines are taken in: a devnet whose clock never moves, wallets
 * from fixed phrases, vaults from fixed keys, a dApp and the devnet under fixed host names. Every
 * run builds the same chain, so every screen shows the same addresses, amounts, dates and txids.
 *
 * The wallets' background reads the world's time too (worldClockExtension): times it makes up
 * itself (an invite's expiry, a threshold spend's fallback) are then the same on every run.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { Page } from 'playwright-core';
import { encodeAddress, p2pkhScript, regtest } from '../../../src/core/chain/index.ts';
import { getPublicKey } from '../../../src/core/crypto/index.ts';
import type { SendPreview, WalletView } from '../../../src/core/wallet/wallet-service.ts';
import type { SessionInfo, VaultInfo } from '../../../src/core/rpc/index.ts';
import { createVault, encodeVaultDescriptor } from '../../../src/core/wallet/vault.ts';
import { type Devnet, startDevnet } from '../../../src/devnet/server.ts';
import type { RunningRelay } from '../../../src/relay/start.ts';
import { startLocalRelay } from '../../support/local-relay.ts';
import { until } from '../../support/until.ts';
import {
  EXTENSION_DIR,
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
} from '../harness.ts';

/** 14 March 2026, 12:00 UTC: the devnet's clock and the popup's. */
export const FROZEN_NOW_S = Date.UTC(2026, 2, 14, 12, 0, 0) / 1000;
/** How far the world's time is behind the machine's: it starts at FROZEN_NOW_S with the world. */
const WORLD_OFFSET_MS = Date.now() - FROZEN_NOW_S * 1000;
/** The wallets' background clock (ms): FROZEN_NOW_S when the world starts, then ticking. */
export const worldNow = () => Date.now() - WORLD_OFFSET_MS;
export const PASSWORD = 'screens e2e password';
/** The dApp and the devnet's Chronik API as the screens name them (mapped to 127.0.0.1). */
export const DAPP_ORIGIN = 'http://shop.petal.test';
export const CHRONIK_URL = 'http://chronik.petal.test';

const seeded = (name: string) => sha256(new TextEncoder().encode(`petal screens ${name}`));
export const phrase = (name: string) => entropyToMnemonic(seeded(name).slice(0, 16), wordlist);
const publicKey = (name: string) => getPublicKey(seeded(name));
/** A key typed into the new-vault form as its recovery key. */
export const SPARE_KEY_HEX = bytesToHex(publicKey('gina'));
/** The secret of a member without a browser (Gina answers invites with join codes from here). */
export const secretOf = (name: string) => seeded(name);
export const PAYEE = encodeAddress(p2pkhScript(seeded('payee').slice(0, 20)), regtest);

export interface World {
  devnet: Devnet;
  relay: RunningRelay;
  /** The wallet most screens show: funded, in three vaults, connected to the dApp. */
  alice: LaunchedExtension;
  /** Alice's fellow member of "Household", who proposes a spend for her to approve. */
  bob: LaunchedExtension;
  /** A browser whose wallet does not exist yet (onboarding, then unlock). */
  newcomer: LaunchedExtension;
  aliceRpc: Page;
  bobRpc: Page;
  /** A page of the dApp at DAPP_ORIGIN in Alice's browser. */
  dapp: Page;
  household: VaultInfo;
  /** 2 of Alice, Bob and Carol (who has no browser), with Dana's recovery key. */
  club: VaultInfo;
  inheritance: VaultInfo;
  /** Alice's labelled rent payment (Activity, transaction detail). */
  rentTxid: string;
  /** The payment that funded Household (its history, the vault transaction view). */
  householdFundTxid: string;
  /** Bob's proposal from Household, waiting for Alice. */
  proposal: SessionInfo;
  /** Bob's proposal from the threshold vault: Carol is offline, so it falls back at 13:00. */
  thresholdProposal: SessionInfo;
  close(): Promise<void>;
}

function serveDapp(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>Garden shop</title><h1>Garden shop</h1>');
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({ server, port: (server.address() as AddressInfo).port }),
    ),
  );
}

async function view(page: Page): Promise<WalletView> {
  return callExtension<WalletView>(page, 'petal_walletState', {});
}

export async function useRegtest(page: Page): Promise<void> {
  await callExtension(page, 'petal_walletSettings', {
    network: 'regtest',
    chronikUrl: CHRONIK_URL,
  });
}

async function setUpWallet(page: Page, name: string, relay: RunningRelay): Promise<void> {
  await useRegtest(page);
  await callExtension(page, 'petal_walletImport', { password: PASSWORD, mnemonic: phrase(name) });
  await callExtension(page, 'petal_connectNetwork', { relays: relay.multiaddrs });
}

/**
 * A copy of the built extension whose service worker and offscreen document read the world's
 * time: a module evaluated before their own shifts Date by WORLD_OFFSET_MS (a constant, so a
 * worker that restarts keeps the same time). The offscreen document runs the signing protocol
 * (a session's times are the world's) beside the libp2p node. The node's timers then see the
 * relay's reservation expiry (machine time) months away: delays past setTimeout's 2^31 ms limit,
 * which browsers would fire at once, wait the limit instead. Record expiries the protocol sets
 * are in the world's past for the relay, which refuses those records: no screen shows them. The
 * copy also keeps the run safe from a rebuild of extension/ while it lasts.
 */
async function worldClockExtension(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'petal-screens-ext-'));
  await cp(EXTENSION_DIR, dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    background: { service_worker: string };
  };
  const clock = [
    '// Written by test/e2e/screens/world.ts: this context reads the screens world’s time.',
    `const offset = ${WORLD_OFFSET_MS};`,
    'const RealDate = Date;',
    'const realNow = RealDate.now.bind(RealDate);',
    'class WorldDate extends RealDate {',
    '  constructor(...args) { super(...(args.length === 0 ? [realNow() - offset] : args)); }',
    '  static now() { return realNow() - offset; }',
    '}',
    'globalThis.Date = WorldDate;',
    'const realSetTimeout = globalThis.setTimeout;',
    'globalThis.setTimeout = (run, ms, ...args) =>',
    '  realSetTimeout(run, Math.min(Number(ms) || 0, 2 ** 31 - 1), ...args);',
    '',
  ].join('\n');
  await writeFile(join(dir, 'world-clock.js'), clock);
  await writeFile(
    join(dir, 'world-background.js'),
    `import './world-clock.js';\nimport './${manifest.background.service_worker}';\n`,
  );
  manifest.background.service_worker = 'world-background.js';
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  const offscreenPath = join(dir, OFFSCREEN_HTML);
  const offscreen = await readFile(offscreenPath, 'utf8');
  const world = '<script type="module" src="/world-clock.js"></script>\n    ';
  if (!offscreen.includes('<script type="module"'))
    throw new Error(`${OFFSCREEN_HTML} no longer loads a module script`);
  await writeFile(
    offscreenPath,
    offscreen.replace('<script type="module"', `${world}<script type="module"`),
  );
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The offscreen document in the built extension (it loads the node and the protocol). */
const OFFSCREEN_HTML = 'offscreen/index.html';

export async function buildWorld(): Promise<World> {
  const [devnet, relay, site, extension] = await Promise.all([
    startDevnet({ port: 0, now: () => FROZEN_NOW_S }),
    startLocalRelay(),
    serveDapp(),
    worldClockExtension(),
  ]);
  const devnetPort = new URL(devnet.url).port;
  const options = {
    timezoneId: 'UTC',
    locale: 'en-US',
    args: [
      `--host-resolver-rules=MAP chronik.petal.test:80 127.0.0.1:${devnetPort}, MAP shop.petal.test:80 127.0.0.1:${site.port}`,
      // The dApp's page is plain http on a made-up name: let it be a secure context like https.
      `--unsafely-treat-insecure-origin-as-secure=${DAPP_ORIGIN}`,
    ],
  };
  const [alice, bob, newcomer] = await Promise.all([
    launchExtension(extension.dir, options),
    launchExtension(extension.dir, options),
    launchExtension(extension.dir, options),
  ]);
  const [aliceRpc, bobRpc] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
  await Promise.all([setUpWallet(aliceRpc, 'alice', relay), setUpWallet(bobRpc, 'bob', relay)]);

  const memberKey = async (page: Page) =>
    hexToBytes(
      (await callExtension<{ memberKey: string }>(page, 'petal_vaultMemberKey')).memberKey,
    );
  const [aliceKey, bobKey] = await Promise.all([memberKey(aliceRpc), memberKey(bobRpc)]);
  const add = (page: Page, vault: ReturnType<typeof createVault>) =>
    callExtension<VaultInfo>(page, 'petal_vaultAdd', { descriptor: encodeVaultDescriptor(vault) });

  const householdVault = createVault([aliceKey, bobKey], regtest, 'Household');
  const [household] = await Promise.all([
    add(aliceRpc, householdVault),
    add(bobRpc, householdVault),
  ]);
  const clubVault = createVault(
    [aliceKey, bobKey, publicKey('carol')],
    regtest,
    'Garden club treasury',
    { threshold: 2, recovery: { afterBlocks: 21_600, keys: [publicKey('dana')], threshold: 1 } },
  );
  const [club] = await Promise.all([add(aliceRpc, clubVault), add(bobRpc, clubVault)]);
  // Alice holds the recovery key of her parents' vault.
  const inheritance = await add(
    aliceRpc,
    createVault([publicKey('erin'), publicKey('frank')], regtest, 'Parents’ savings', {
      recovery: { afterBlocks: 720, keys: [aliceKey], threshold: 1 },
    }),
  );

  // Alice's names for the people she shares vaults with; Carol and Dana stay unnamed.
  for (const [name, key] of [
    ['Bob', bobKey],
    ['Mum', publicKey('erin')],
    ['Dad', publicKey('frank')],
  ] as const)
    await callExtension(aliceRpc, 'petal_contactSet', { pubkey: bytesToHex(key), name });

  const aliceAddress = (await view(aliceRpc)).receiveAddress as string;
  devnet.fund(aliceAddress, 120_000_000n);
  const householdFundTxid = devnet.fund(household.address, 30_000_000n);
  devnet.fund(club.address, 12_000_000n);
  devnet.fund(inheritance.address, 5_000_000n);
  devnet.mine(1);
  await until(async () => (await view(aliceRpc)).balance?.confirmed === '120000000', 30_000);

  const preview = await callExtension<SendPreview>(aliceRpc, 'petal_walletPrepareSend', {
    to: PAYEE,
    amount: '8.5',
  });
  const { txid: rentTxid } = await callExtension<{ txid: string }>(
    aliceRpc,
    'petal_walletConfirmSend',
    { id: preview.id },
  );
  await callExtension(aliceRpc, 'petal_walletSetLabel', {
    type: 'tx',
    ref: rentTxid,
    label: 'Rent for March',
  });
  devnet.mine(1);
  devnet.fund(aliceAddress, 1_250_000n);
  devnet.mine(2);
  // One payment still waiting for a block: Home shows it as pending.
  devnet.fund((await view(aliceRpc)).receiveAddress as string, 2_345_000n);
  await until(async () => {
    const v = await view(aliceRpc);
    return (
      v.activity?.length === 4 &&
      v.balance?.pending === '2345000' &&
      v.chain?.connection === 'online'
    );
  }, 30_000);

  const proposal = await callExtension<SessionInfo>(bobRpc, 'petal_vaultPropose', {
    vaultId: household.id,
    to: PAYEE,
    sats: '4000000',
    memo: 'Groceries for the week',
  });
  // Carol is offline: after the fallback time the members who approved sign without her. Bob
  // asks for it at 13:00:30 world time, so every run shows "by 13:00".
  const thresholdProposal = await callExtension<SessionInfo>(bobRpc, 'petal_vaultPropose', {
    vaultId: club.id,
    to: PAYEE,
    sats: '3000000',
    memo: 'Seeds and compost',
    leafAfterMs: FROZEN_NOW_S * 1000 + 3_630_000 - worldNow(),
  });
  await until(async () => {
    const list = await callExtension<SessionInfo[]>(aliceRpc, 'petal_sessionList');
    return [proposal.id, thresholdProposal.id].every((id) => list.some((s) => s.id === id));
  }, 30_000);

  const dapp = await alice.context.newPage();
  await dapp.goto(`${DAPP_ORIGIN}/`);
  await dapp.waitForFunction(() => 'lotus' in window);

  return {
    devnet,
    relay,
    alice,
    bob,
    newcomer,
    aliceRpc,
    bobRpc,
    dapp,
    household,
    club,
    inheritance,
    rentTxid,
    householdFundTxid,
    proposal,
    thresholdProposal,
    async close() {
      await Promise.all([alice, bob, newcomer].map((b) => b.close().catch(() => undefined)));
      await Promise.all([relay.stop().catch(() => undefined), devnet.close()]);
      await new Promise<void>((done) => site.server.close(() => done()));
      await extension.remove();
    },
  };
}

/** Starts a dApp request in the page; it settles in the background while the window shows it. */
export function dappRequest(world: World, method: string, params?: unknown): Promise<void> {
  return world.dapp.evaluate(
    ({ method, params }) => {
      const lotus = (window as unknown as { lotus: { request(a: unknown): Promise<unknown> } })
        .lotus;
      lotus.request({ method, params }).catch(() => undefined);
    },
    { method, params },
  );
}
