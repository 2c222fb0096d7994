import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormationInfo, VaultInfo } from '../../src/core/rpc/index.ts';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
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
  stopServiceWorkers,
} from './harness.ts';

const PASSWORD = 'formation restart password';

/** The formation as `page`'s wallet reports it (its worker wakes up for the request). */
const status = (page: Page, id: string) =>
  callExtension<FormationInfo>(page, 'petal_formationStatus', { id });
const names = (f: FormationInfo) => f.members.map((m) => m.name);

// Three browsers form a vault from one invite while their service workers are stopped (as
// Chrome does to idle workers) and a wallet is locked mid-formation: the creator's worker stops
// after the first member answered, the second joiner's wallet is locked and unlocked, and a
// joiner's worker stops after the delivery, before its member confirms. Each comes back to the
// same formation from IndexedDB, and the vault forms with one address on every member.
describe('one-code vault formation across worker restarts and a lock', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  let exts: LaunchedExtension[];
  let pages: Page[];

  beforeAll(async () => {
    [devnet, relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    exts = await Promise.all([0, 1, 2].map(() => launchExtension()));
    pages = [];
    for (const ext of exts) {
      const page = await extensionPage(ext);
      await callExtension(page, 'petal_walletSettings', {
        network: 'regtest',
        chronikUrl: devnet.url,
      });
      await callExtension(page, 'petal_walletImport', {
        password: PASSWORD,
        mnemonic: createMnemonic(12),
      });
      await callExtension(page, 'petal_connectNetwork', { relays: relay.multiaddrs });
      pages.push(page);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all((exts ?? []).map((e) => e.close()));
    await relay?.stop();
    await devnet?.close();
  });

  it('resumes the creator’s and a joiner’s formation after their workers stop, and after a lock', async () => {
    const [alice, bob] = exts as [LaunchedExtension, LaunchedExtension];
    const [a, b, c] = pages as [Page, Page, Page];
    const started = await callExtension<FormationInfo>(a, 'petal_formationStart', {
      members: 3,
      threshold: 2,
      label: 'Restarts',
      name: 'Alice',
    });
    const { id, code } = started as FormationInfo & { code: string };
    await callExtension(b, 'petal_formationJoin', { invite: code, name: 'Bob' });
    await expect
      .poll(async () => names(await status(a, id)), { timeout: 60_000 })
      .toEqual(['Alice', 'Bob']);

    // Alice's worker stops: the next request wakes a new one, which has the formation back with
    // the same invite and Bob in it.
    await stopServiceWorkers(alice, a);
    const resumed = await status(a, id);
    expect(resumed.code).toBe(code);
    expect(resumed.phase).toBe('collecting');
    expect(names(resumed)).toEqual(['Alice', 'Bob']);

    // Carol answers, then her wallet locks: her formation pauses (nothing to show while locked)
    // and resumes at the unlock.
    await callExtension(c, 'petal_formationJoin', { invite: code, name: 'Carol' });
    await callExtension(c, 'petal_walletLock', {});
    await expect(status(c, id)).rejects.toMatchObject({ name: 'WalletLockedError' });
    await callExtension(c, 'petal_walletUnlock', { password: PASSWORD });

    // Alice's popup shows the resumed formation filling up and then the words to confirm.
    const popup = await alice.context.newPage();
    await popup.setViewportSize({ width: 360, height: 600 });
    await popup.goto(`chrome-extension://${alice.extensionId}/popup/index.html#/formation/${id}`);
    for (const page of [a, b, c])
      await until(async () => (await status(page, id)).phase === 'delivered', 90_000);
    await popup.waitForSelector('#formation-confirm-screen', { timeout: 30_000 });
    await popup.screenshot({ path: await screenshotPath('vault-formation-restart-creator') });

    // Bob's worker stops before he confirms: the delivery he had received is still there.
    const words = (await status(a, id)).vault?.words;
    await stopServiceWorkers(bob, b);
    const bobAfter = await status(b, id);
    expect(bobAfter.phase).toBe('delivered');
    expect(bobAfter.vault?.words).toEqual(words);
    expect(names(bobAfter).sort()).toEqual(['Alice', 'Bob', 'Carol']);

    const kept = [];
    for (const page of [a, b, c])
      kept.push(await callExtension<VaultInfo>(page, 'petal_formationConfirm', { id }));
    expect(new Set(kept.map((v) => v.address)).size).toBe(1);
    expect(kept[0]?.fingerprintWords).toEqual(words);

    // Confirmed formations are not kept: after another restart there is nothing to resume.
    await stopServiceWorkers(bob, b);
    expect(await callExtension<FormationInfo[]>(b, 'petal_formationList')).toEqual([]);
    await expect(status(b, id)).rejects.toMatchObject({ name: 'UnknownFormationError' });
  }, 300_000);
});
