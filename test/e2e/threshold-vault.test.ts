import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import type { SessionInfo, VaultInfo, VaultRecoveryStatus } from '../../src/core/rpc/index.ts';
import type { WalletView } from '../../src/core/wallet/wallet-service.ts';
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
  popupAt,
  popupUrl,
} from './harness.ts';
import { overflowing, shooter } from './popup-shots.ts';

const PASSWORD = 'threshold vault e2e password';
/** Short, so the 720-block refresh margin applies from a coin's 80th block (devnet blocks are free). */
const AFTER_BLOCKS = 800;

/** The first 360×600 the user sees, and the whole scrolled page. */
const shot = shooter('threshold-vault', 'both');

// Three members hold a 2-of-3 vault; a fourth wallet holds its recovery key. With one member's
// browser closed, the other two spend through their leaf; when coins near the recovery path a
// member's wallet proposes a refresh by itself; once a coin is old enough, the recovery key's
// wallet takes it alone from its popup.
describe('a 2-of-3 vault with a recovery key, over four browsers', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  let exts: LaunchedExtension[];
  let pages: Page[];
  /** The two members left running, by member index (0, 1), and the recovery key's wallet. */
  let members: { ext: LaunchedExtension; page: Page; info: VaultInfo }[];
  let holder: { ext: LaunchedExtension; page: Page };
  let vault: VaultInfo;
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  beforeAll(async () => {
    [devnet, relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    exts = await Promise.all([0, 1, 2, 3].map(() => launchExtension()));
    pages = await Promise.all(exts.map((e) => extensionPage(e)));
    await Promise.all(
      pages.map(async (page, i) => {
        await callExtension(page, 'petal_walletSettings', {
          network: 'regtest',
          chronikUrl: devnet.url,
        });
        await callExtension(page, 'petal_walletImport', {
          password: PASSWORD,
          mnemonic: createMnemonic(12),
        });
        // The recovery key's wallet is no member: it needs the indexer, not the P2P network.
        if (i < 3) await callExtension(page, 'petal_connectNetwork', { relays: relay.multiaddrs });
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all((exts ?? []).map((e) => e.close().catch(() => undefined)));
    await relay?.stop();
    await devnet?.close();
  });

  it('forms the vault; the recovery key holder adds it in its popup as a recovery vault', async () => {
    const keys = await Promise.all(
      pages.map(
        async (p) =>
          (await callExtension<{ memberKey: string }>(p, 'petal_vaultMemberKey')).memberKey,
      ),
    );
    const descriptor = encodeVaultDescriptor(
      createVault(keys.slice(0, 3).map(hexToBytes), regtest, 'Family', {
        threshold: 2,
        recovery: {
          afterBlocks: AFTER_BLOCKS,
          keys: [hexToBytes(keys[3] as string)],
          threshold: 1,
        },
      }),
    );
    const infos = await Promise.all(
      pages.slice(0, 3).map((p) => callExtension<VaultInfo>(p, 'petal_vaultAdd', { descriptor })),
    );
    expect(infos.map((v) => v.role)).toEqual(['member', 'member', 'member']);
    vault = infos[0] as VaultInfo;

    const h = await popupAt(exts[3] as LaunchedExtension, '/vault-join');
    await h.click('#recovery-holder summary');
    await expect.poll(() => h.locator('#recovery-holder-key').inputValue()).toBe(keys[3]);
    await h.fill('#recovery-holder-descriptor', descriptor);
    expect(await overflowing(h)).toEqual([]);
    await shot(h, 'recovery-holder-join');
    await h.click('#recovery-holder-add');
    await h.waitForSelector('#recovery-vault');
    expect(h.url()).toContain(`#/vault/${vault.id}`);
    expect(await h.textContent('#vault-policy')).toBe(
      'Who can spend: Any 2 of Member 1, Member 2 and Member 3; the recovery key (you) alone after ' +
        '800 blocks (about 27 hours).',
    );
    const listed = await callExtension<VaultInfo[]>(h, 'petal_vaultList');
    expect(listed).toMatchObject([{ id: vault.id, role: 'recovery', me: -1, recoveryKey: 0 }]);
    // A wallet whose key is in neither list is refused.
    const stranger = createVault(
      [keys[0], keys[1]].map((k) => hexToBytes(k as string)),
      regtest,
    );
    await expect(
      callExtension(h, 'petal_vaultAdd', { descriptor: encodeVaultDescriptor(stranger) }),
    ).rejects.toThrow(/neither a member nor a recovery key/);
    holder = { ext: exts[3] as LaunchedExtension, page: h };

    // Member 2's browser goes away for good; members 0 and 1 carry on.
    const byIndex = infos.map((info, i) => ({
      ext: exts[i] as LaunchedExtension,
      page: pages[i] as Page,
      info,
    }));
    byIndex.sort((a, b) => a.info.me - b.info.me);
    await byIndex[2]?.ext.close();
    members = byIndex.slice(0, 2);
  });

  it('two members spend without the third: the devnet confirms their leaf spend', async () => {
    const [first, second] = members as [(typeof members)[0], (typeof members)[0]];
    devnet.fund(vault.address, 50_000_000n);
    devnet.mine(1);
    const proposed = await callExtension<SessionInfo>(first.page, 'petal_vaultPropose', {
      vaultId: vault.id,
      to: payee,
      sats: '12000000',
      memo: 'Two of three',
      leafAfterMs: 2_000,
    });
    const popup = await popupAt(second.ext, '/sessions');
    const card = popup.locator(`[data-session="${proposed.id}"]`);
    await card.getByRole('button', { name: 'Approve' }).click({ timeout: 30_000 });
    const done = await until(async () => {
      const views = await Promise.all(
        members.map(async (m) =>
          (await callExtension<SessionInfo[]>(m.page, 'petal_sessionList')).find(
            (s) => s.id === proposed.id,
          ),
        ),
      );
      return views.every((v) => v?.phase === 'completed') ? views[0] : undefined;
    }, 60_000);
    expect(done.pathSigners).toEqual([0, 1]);
    devnet.mine(1);
    const spent = devnet.chain.txs.get(done.txid as string);
    expect(spent?.block).toBeDefined();
    // A leaf spend: signature, leaf script and control block, not the key path's lone signature.
    expect(spent?.tx.inputs[0]?.scriptSig.length).toBeGreaterThan(66);
    expect(spent?.tx.outputs.some((o) => o.value === 12_000_000n)).toBe(true);
    await popup.close();
  });

  it('a member proposes a refresh by itself once coins near the recovery path', async () => {
    // The change came back at height h1; a second payment arrives ten blocks later.
    devnet.mine(9);
    devnet.fund(vault.address, 30_000_000n);
    devnet.mine(1);
    // From its 80th block a coin is within the 720-block margin of its 800-block wait.
    devnet.mine(79);
    const second = members[1] as (typeof members)[0];
    const popup = await popupAt(second.ext, '/sessions');
    const refresh = popup.locator('[data-session]', { hasText: 'Refresh: the recovery path' });
    await refresh.waitFor({ timeout: 30_000 });
    expect(await refresh.textContent()).toMatch(
      /Refresh: the recovery path opens in 7\d\d blocks, about 2\d hours/,
    );
    // The proposer's approval follows its proposal.
    await expect.poll(() => refresh.textContent()).toContain('Approved by 1 of 3');
    expect(await overflowing(popup)).toEqual([]);
    await shot(popup, 'refresh-proposal');
    // The member's vault page says when the recovery key could first move a coin.
    await popup.goto(popupUrl(second.ext, `/vault/${vault.id}`));
    await expect
      .poll(() => popup.textContent('#vault-recovery-clock'), { timeout: 15_000 })
      .toMatch(
        /^The recovery key can move the oldest coin in 7\d\d blocks, about 2\d hours\. Your wallet proposes a refresh once a coin is 720 blocks from opening\.$/,
      );
    await shot(popup, 'member-vault-page');

    // One proposal, by member 0, of both coins back to the vault; nobody proposes it again.
    await new Promise((done) => setTimeout(done, 3_000));
    const first = members[0] as (typeof members)[0];
    const sessions = await callExtension<SessionInfo[]>(first.page, 'petal_sessionList');
    const refreshes = sessions.filter((s) => s.memo.startsWith('Refresh:'));
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]).toMatchObject({ proposer: 0, summary: { inputCount: 2, payments: [] } });
    await popup.close();
  });

  it('the recovery key waits for maturity, then recovers alone from its popup', async () => {
    const h = holder.page;
    // Not open yet: the wallet says when.
    await expect(callExtension(h, 'petal_vaultRecover', { id: vault.id })).rejects.toMatchObject({
      name: 'RecoveryNotOpenError',
      message: expect.stringMatching(
        /^No coin is open to recovery yet: the first opens in 7\d\d blocks, about 2\d hours \(block [\d,]+\)$/,
      ),
    });
    // The older coin (the change) opens at h1 + 800: mine until the node would take its spend.
    const before = await callExtension<VaultRecoveryStatus>(h, 'petal_vaultRecoveryStatus', {
      id: vault.id,
    });
    expect(before.coins).toHaveLength(2);
    devnet.mine((before.coins[0] as { blocksLeft: number }).blocksLeft);
    await h.reload();
    await h.waitForSelector('#recovery-coins [data-open="true"]', { timeout: 15_000 });
    const later = h.locator('#recovery-coins [data-open="false"] [data-when]');
    expect(await later.textContent()).toBe('Opens in 10 blocks, about 20 minutes');
    await expect.poll(() => h.isDisabled('#recover')).toBe(false);
    expect(await overflowing(h)).toEqual([]);
    await shot(h, 'recovery-page');

    await h.click('#recover');
    const txid = (await h.locator('#recovery-txid').textContent({ timeout: 15_000 })) as string;
    const tx = devnet.chain.txs.get(txid);
    expect(tx).toBeDefined();
    // Through the recovery leaf: version 2, nSequence = the wait, paid to the holder's wallet.
    expect(tx?.tx.version).toBe(2);
    expect(tx?.tx.inputs.map((i) => i.sequence)).toEqual([AFTER_BLOCKS]);
    // The holder's wallet (empty until now) receives it.
    const received = tx?.tx.outputs[0]?.value as bigint;
    await expect
      .poll(async () => (await callExtension<WalletView>(h, 'petal_walletState')).balance?.total, {
        timeout: 15_000,
      })
      .toBe(String(received));
    devnet.mine(1);
    expect(devnet.chain.txs.get(txid)?.block).toBeDefined();
    await h.waitForSelector('#recovery-coins li:only-child', { timeout: 15_000 });
    await shot(h, 'recovered');
  });
});
