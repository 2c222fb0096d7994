import { createMnemonic } from '../../src/core/wallet/keys.ts';
import { type LaunchedExtension, callExtension, extensionPage } from './harness.ts';

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
