import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import type { NetworkStatus, SessionInfo, VaultInfo } from '../../src/core/rpc/index.ts';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import { createVault, encodeVaultDescriptor } from '../../src/core/wallet/vault.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import { RecordQuota } from '../../src/relay/record-quota.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';
import { type FirefoxWallet, launchFirefoxWallet, packXpi } from './firefox-harness.ts';
import {
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
} from './harness.ts';

// The same vault in Chromium (MV3: node in the offscreen document) and Firefox ESR (MV2: node
// in the persistent background page): one proposes, the other approves, the spend lands.
describe('a 2-of-2 vault spend between Chromium and Firefox', () => {
  let devnet: Devnet;
  let relay: RunningRelay;
  /** A second relay of the same network, which no wallet is told about. */
  let second: RunningRelay;
  const quotas = [new RecordQuota(), new RecordQuota()];
  let chromium: LaunchedExtension;
  let alice: Page;
  let bob: FirefoxWallet;
  let vault: VaultInfo;
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  beforeAll(async () => {
    [devnet, relay] = await Promise.all([
      startDevnet({ port: 0 }),
      startLocalRelay({ records: quotas[0], federation: { intervalMs: 1_000 } }),
    ]);
    second = await startLocalRelay({
      records: quotas[1],
      bootstrap: relay.multiaddrs,
      federation: { intervalMs: 1_000 },
    });
    [chromium, bob] = await Promise.all([launchExtension(), packXpi().then(launchFirefoxWallet)]);
    alice = await extensionPage(chromium);
    const wallets = [
      <T>(method: string, params?: unknown) => callExtension<T>(alice, method, params),
      <T>(method: string, params?: unknown) => bob.call<T>(method, params),
    ];
    for (const call of wallets) {
      await call('petal_walletSettings', { network: 'regtest', chronikUrl: devnet.url });
      await call('petal_walletImport', {
        password: 'cross browser password',
        mnemonic: createMnemonic(12),
      });
      await call('petal_connectNetwork', { relays: relay.multiaddrs });
    }
    const keys = await Promise.all(
      wallets.map(async (call) =>
        hexToBytes((await call<{ memberKey: string }>('petal_vaultMemberKey')).memberKey),
      ),
    );
    const descriptor = encodeVaultDescriptor(createVault(keys, regtest, 'Two browsers'));
    const infos = await Promise.all(
      wallets.map((call) => call<VaultInfo>('petal_vaultAdd', { descriptor })),
    );
    expect(infos[0]?.address).toBe(infos[1]?.address);
    vault = infos[0] as VaultInfo;
    devnet.fund(vault.address, 50_000_000n);
    devnet.mine(1);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([chromium?.close(), bob?.close()]);
    await Promise.all([relay?.stop(), second?.stop()]);
    await devnet?.close();
  });

  it('completes a spend proposed in Chromium and approved in Firefox', async () => {
    const proposed = await callExtension<SessionInfo>(alice, 'petal_vaultPropose', {
      vaultId: vault.id,
      to: payee,
      sats: '12000000',
      memo: 'Across browsers',
    });
    // Firefox's wallet discovers the session and shows what it would sign.
    const seen = await until(async () => {
      const list = await bob.call<SessionInfo[]>('petal_sessionList');
      return list.find((s) => s.id === proposed.id);
    }, 60_000);
    expect(seen.summary.payments).toEqual([expect.objectContaining({ sats: '12000000' })]);
    await bob.call('petal_sessionApprove', { id: proposed.id });

    const views = await until(async () => {
      const lists = [
        await callExtension<SessionInfo[]>(alice, 'petal_sessionList'),
        await bob.call<SessionInfo[]>('petal_sessionList'),
      ];
      const views = lists.map((list) => list.find((s) => s.id === proposed.id));
      return views.every((v) => v?.phase === 'completed') && (views as SessionInfo[]);
    }, 90_000);
    expect(views[0]?.txid).toBe(views[1]?.txid);
    const indexer = new ChronikIndexer({ url: devnet.url });
    try {
      const tx = await indexer.tx(views[0]?.txid as string);
      expect(tx.outputs.some((o) => o.value === 12_000_000n)).toBe(true);
    } finally {
      indexer.close();
    }
    // Firefox's node and Chromium's hold a direct WebRTC link, not only the relayed circuit:
    // ICE connected, as Firefox's own RTCPeerConnection reports it.
    const chromiumPeer = (await callExtension<NetworkStatus>(alice, 'petal_getNetworkStatus'))
      .peerId;
    const link = await until(async () => {
      const status = await bob.call<NetworkStatus>('petal_getNetworkStatus');
      return status.connections.find(
        (c) => c.peerId === chromiumPeer && c.kind === 'webrtc' && !c.limited && c.direct,
      );
    }, 30_000);
    expect(link.ice).toMatch(/^(connected|completed)$/);
    expect(link.route?.local).toMatch(/^(host|srflx|prflx)$/);
  });

  it('runs the relay network code in Firefox’s background page: STUN, two reservations, mailbox', async () => {
    const status = await until(async () => {
      const s = await bob.call<NetworkStatus>('petal_getNetworkStatus');
      return (s.reservedRelays?.length ?? 0) >= 2 && s;
    }, 60_000);
    // The relay it was given and the one it found through the network.
    expect(status.reservedRelays?.toSorted()).toEqual([relay.peerId, second.peerId].toSorted());
    // Its WebRTC stack uses the relays' STUN service, learnt over the relay link.
    expect(status.iceServers).toContain(relay.stunUrl);
    // Its mailbox record (written through the record republisher) reached the relays.
    const firefoxPeer = status.peerId as string;
    await until(() => quotas.some((q) => q.usage(firefoxPeer).records > 0) || undefined, 30_000);
  });
});
