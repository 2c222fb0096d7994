import { afterAll, beforeAll } from 'vitest';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import {
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
} from './harness.ts';

/**
 * Gives a launched extension a fresh regtest wallet on the devnet's Chronik and connects it to
 * the relays: the common start of every vault e2e test.
 */
export async function freshWalletOnRelay(
  ext: LaunchedExtension,
  { chronikUrl, relays, password }: { chronikUrl: string; relays: string[]; password: string },
): Promise<void> {
  const page = await extensionPage(ext);
  await callExtension(page, 'petal_walletSettings', { network: 'regtest', chronikUrl });
  await callExtension(page, 'petal_walletImport', { password, mnemonic: createMnemonic(12) });
  await callExtension(page, 'petal_connectNetwork', { relays });
  await page.close();
}

/** A devnet, a relay on loopback, and Alice's and Bob's browsers with fresh wallets on both. */
export interface TwoWallets {
  devnet: Devnet;
  relay: RunningRelay;
  alice: LaunchedExtension;
  bob: LaunchedExtension;
}

/**
 * The start of a two-member vault test: call it at the top of a describe. Its fields are filled
 * before the describe's first test and everything is closed after its last.
 */
export function twoWalletsOnRelay(password: string): TwoWallets {
  const world = {} as TwoWallets;
  beforeAll(async () => {
    [world.devnet, world.relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    [world.alice, world.bob] = await Promise.all([launchExtension(), launchExtension()]);
    for (const ext of [world.alice, world.bob]) {
      await freshWalletOnRelay(ext, {
        chronikUrl: world.devnet.url,
        relays: world.relay.multiaddrs,
        password,
      });
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all([world.alice?.close(), world.bob?.close()]);
    await world.relay?.stop();
    await world.devnet?.close();
  });
  return world;
}
