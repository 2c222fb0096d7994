/**
 * `npm run demo [-- --headed] [-- --browsers N] [-- --replay-protection past|future]
 * [-- --policy K-of-N]`: the live demo. Builds the extension if needed,
 * starts a local relay and devnet, launches Chromium instances with Petal, connects their P2P
 * nodes directly over WebRTC, gives each a wallet, forms an n-of-n vault from one invite code
 * (the others answer it over the relay and every wallet shows the same fingerprint words),
 * funds it from the devnet faucet, and runs a real signing round: the first member proposes a
 * spend, every other member approves it in its popup, and the wallets sign and broadcast it.
 * Every step is printed with its timing. `--headed` shows the browsers and leaves them open.
 * `--replay-protection` puts the devnet's replay-protection switch a day in the past or the
 * future (default: lotusd's own time); where the wallets' table disagrees, the round shows the
 * retry on the other side. `--policy 2-of-3` forms a threshold vault instead, closes the browsers
 * of the members who are away, and the online K sign through their script leaf once the
 * proposer's deadline passes.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { encodeAddress, p2pkhScript, regtest } from '../src/core/chain/index.ts';
import { startRelay } from '../src/relay/start.ts';
import { startDevnet } from '../src/devnet/server.ts';
import { OTHER_SIDE_ATTEMPT } from '../src/core/p2p/replay-attempts.ts';
import type {
  ConnectionInfo,
  FormationInfo,
  NetworkStatus,
  SessionInfo,
  VaultInfo,
} from '../src/core/rpc/index.ts';
import { createMnemonic } from '../src/core/wallet/keys.ts';
import { formatXpi } from '../src/core/wallet/amount.ts';
import { callExtension, extensionPage, launchExtension } from '../test/e2e/harness.ts';

const { values } = parseArgs({
  options: {
    headed: { type: 'boolean', default: false },
    browsers: { type: 'string', default: '3' },
    'replay-protection': { type: 'string' },
    policy: { type: 'string' },
  },
});
const side = values['replay-protection'];
if (side !== undefined && side !== 'past' && side !== 'future')
  throw new Error('--replay-protection must be past or future');
const replayProtectionTime =
  side === undefined
    ? undefined
    : Math.floor(Date.now() / 1000) + (side === 'past' ? -1 : 1) * 86_400;
const policy = values.policy ? /^(\d+)-of-(\d+)$/.exec(values.policy) : undefined;
if (values.policy && !policy) throw new Error('--policy must look like 2-of-3');
const count = policy ? Number(policy[2]) : Number(values.browsers);
if (!Number.isInteger(count) || count < 2 || count > 10)
  throw new Error('--browsers must be 2..10');
const threshold = policy ? Number(policy[1]) : count;
if (threshold < 2 || threshold > count) throw new Error('--policy needs 2 ≤ K ≤ N');
/** How long the proposer waits for every member before the online K sign through their leaf. */
const LEAF_AFTER_MS = 5_000;

const t0 = performance.now();
const step = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await work();
  const ms = Math.round(performance.now() - started);
  console.log(`${`[${Math.round(performance.now() - t0)} ms]`.padEnd(11)} ${label} (${ms} ms)`);
  return result;
};

if (!existsSync(resolve('extension/manifest.json'))) {
  await step('build extension', async () =>
    execFileSync('npm', ['run', 'build'], { stdio: 'ignore' }),
  );
}
const relay = await step('start local relay', () =>
  startRelay({ host: '127.0.0.1', port: 0, healthPort: 0, stunPort: 0 }),
);
console.log(`           relay ${relay.multiaddrs[0]}`);
const devnet = await step('start the devnet (regtest chain with a Chronik API and a faucet)', () =>
  startDevnet({ port: 0, ...(replayProtectionTime ? { replayProtectionTime } : {}) }),
);
console.log(`           devnet ${devnet.url}`);
console.log(
  `           replay protection ${devnet.chain.replayProtectionActive() ? 'on' : 'off'} ` +
    `(the node's switch: ${new Date(devnet.chain.replayProtectionTime * 1000).toISOString()})`,
);

const names = [
  'Alice',
  'Bob',
  'Carol',
  'Dave',
  'Erin',
  'Frank',
  'Grace',
  'Heidi',
  'Ivan',
  'Judy',
].slice(0, count);
const browsers = await step(`launch ${count} Chromium instances with Petal`, () =>
  Promise.all(names.map(() => launchExtension(undefined, { headless: !values.headed }))),
);
const pages = await Promise.all(browsers.map((b) => extensionPage(b)));

const statuses = await step(
  'start each P2P node in its offscreen document and reserve on the relay',
  () =>
    Promise.all(
      pages.map((page) =>
        callExtension<NetworkStatus>(page, 'petal_connectNetwork', { relays: relay.multiaddrs }),
      ),
    ),
);
const webrtcAddr = async (i: number) => {
  for (;;) {
    const s = await callExtension<NetworkStatus>(pages[i]!, 'petal_getNetworkStatus', {});
    const addr = s.multiaddrs.find((m) => m.includes('/p2p-circuit/webrtc'));
    if (addr) return addr;
    await new Promise((done) => setTimeout(done, 50));
  }
};
const addrs = await step('wait for WebRTC-dialable addresses', () =>
  Promise.all(names.map((_, i) => webrtcAddr(i))),
);

await step('connect every pair of browsers', async () => {
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      const link = await callExtension<ConnectionInfo>(
        pages[i]!,
        'petal_networkDial',
        { multiaddr: addrs[j] },
        'offscreen',
      );
      console.log(
        `           ${names[i]} → ${names[j]}: ${link.kind}${link.limited ? ' (limited, relayed)' : ' (direct)'}`,
      );
    }
  }
});
statuses.forEach((s, i) => console.log(`           ${names[i]} is ${s.peerId}`));

await step('create a wallet in each browser (regtest, pointed at the devnet)', () =>
  Promise.all(
    pages.map(async (page) => {
      await callExtension(page, 'petal_walletSettings', {
        network: 'regtest',
        chronikUrl: devnet.url,
      });
      await callExtension(page, 'petal_walletImport', {
        password: 'demo password, not a real one',
        mnemonic: createMnemonic(12),
      });
    }),
  ),
);
// One-code formation (docs/PROTOCOL.md §2.6): the first member shares one invite, the others
// answer it over the relay under their names, and every wallet shows the same fingerprint words.
const [creatorPage, ...joinerPages] = pages as [Page, ...Page[]];
const started = await step(
  `${names[0]} creates one invite for a ${threshold}-of-${count} vault`,
  () =>
    callExtension<FormationInfo>(creatorPage, 'petal_formationStart', {
      members: count,
      threshold,
      label: 'Demo treasury',
      name: names[0],
    }),
);
console.log(`           invite ${started.code?.slice(0, 40)}… (the only code shared)`);
const joined = await step(`${names.slice(1).join(', ')} answer the invite over the relay`, () =>
  Promise.all(
    joinerPages.map((page, i) =>
      callExtension<FormationInfo>(page, 'petal_formationJoin', {
        invite: started.code,
        name: names[i + 1],
      }),
    ),
  ),
);
const delivered = await step("every wallet receives the creator's vault and its words", () =>
  Promise.all(
    [started, ...joined].map(async (formation, i) => {
      for (;;) {
        const now = await callExtension<FormationInfo>(pages[i]!, 'petal_formationStatus', {
          id: formation.id,
        });
        if (now.vault) return now;
        await new Promise((done) => setTimeout(done, 250));
      }
    }),
  ),
);
const words = delivered.map((f) => f.vault?.words.join(' '));
if (new Set(words).size !== 1) throw new Error('fingerprint words differ');
console.log(`           every member reads: ${words[0]}`);
if (threshold < count) console.log(`           policy: ${delivered[0]?.vault?.policyText}`);
const vault = await step('each member confirms the words; the vault is kept', async () => {
  const infos = await Promise.all(
    delivered.map((f, i) =>
      callExtension<VaultInfo>(pages[i]!, 'petal_formationConfirm', { id: f.id }),
    ),
  );
  if (new Set(infos.map((i) => i.address)).size !== 1) throw new Error('addresses differ');
  return infos[0] as VaultInfo;
});
console.log(`           every wallet computed ${vault.address}`);
await step('fund the vault with 100 XPI from the devnet faucet, mine a block', async () => {
  devnet.fund(vault.address, 100_000_000n);
  devnet.mine(1);
});

// A threshold demo: the members beyond the first K are away (their browsers close).
const online = browsers.slice(0, threshold);
if (threshold < count)
  await step(
    `${names.slice(threshold, count).join(' and ')} ${count - threshold === 1 ? 'closes a browser' : 'close their browsers'}`,
    () => Promise.all(browsers.slice(threshold).map((b) => b.close())),
  );
const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);
const proposal = await step(`${names[0]} proposes paying 25 XPI from the vault`, () =>
  callExtension<SessionInfo>(pages[0]!, 'petal_vaultPropose', {
    vaultId: vault.id,
    to: payee,
    sats: '25000000',
    memo: 'Demo payment',
    ...(threshold < count ? { leafAfterMs: LEAF_AFTER_MS } : {}),
  }),
);
console.log(
  `           fee ${formatXpi(BigInt(proposal.summary.feeSats))} XPI, ` +
    `${formatXpi(BigInt(proposal.summary.change))} XPI back to the vault`,
);
const popups = await step('each other member opens Petal and sees the session', () =>
  Promise.all(
    online.slice(1).map(async (browser) => {
      const popup = await browser.context.newPage();
      await popup.setViewportSize({ width: 360, height: 600 });
      await popup.goto(`chrome-extension://${browser.extensionId}/popup/index.html#/sessions`);
      await popup.locator(`[data-session="${proposal.id}"]`).waitFor({ timeout: 60_000 });
      return popup;
    }),
  ),
);
await step('each of them clicks Approve (the wallets run nonces, partials, aggregation)', () =>
  Promise.all(
    popups.map((popup) =>
      popup
        .locator(`[data-session="${proposal.id}"]`)
        .getByRole('button', { name: 'Approve' })
        .click(),
    ),
  ),
);
const done = await step('the elected coordinator broadcasts the signed transaction', async () => {
  for (;;) {
    const list = await callExtension<SessionInfo[]>(pages[0]!, 'petal_sessionList');
    const session = list.find((x) => x.id === proposal.id);
    if (session?.phase === 'completed') return session;
    if (session?.end) throw new Error(`session ended: ${session.end.detail}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});
const coordinator = done.coordinators?.[0];
if (done.pathSigners)
  console.log(
    `           signed through the leaf of members ${done.pathSigners.map((i) => i + 1).join(' and ')} ` +
      `(the others were away past the ${LEAF_AFTER_MS / 1000} s deadline)`,
  );
console.log(
  `           txid ${done.txid}` +
    (coordinator === undefined ? '' : ` (coordinator: member ${coordinator})`),
);
if (done.attempt >= OTHER_SIDE_ATTEMPT)
  console.log(
    '           the node refused the first replay-protection side; the next attempt signed for the other',
  );
await step('mine a block: the vault spend confirms', async () => {
  devnet.mine(1);
});

console.log(
  `Done in ${Math.round(performance.now() - t0)} ms.${values.headed ? ' Close the browsers to exit.' : ''}`,
);
if (values.headed)
  await Promise.all(online.map((b) => new Promise((done) => b.context.on('close', done))));
await Promise.all(online.map((b) => b.close()));
await devnet.close();
await relay.stop();
