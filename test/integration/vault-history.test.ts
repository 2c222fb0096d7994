import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import { VAULT_HISTORY_PAGE, vaultHistory } from '../../src/core/wallet/vault-history.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';

// A vault's history read page by page from a Chronik-protocol server (the devnet's), as the vault
// page's "Show more" does: each read is the latest `limit`, and says whether older ones exist.
describe('a vault’s history through the indexer’s pages', () => {
  let devnet: Devnet;
  let indexer: ChronikIndexer;
  const script = p2pkhScript(randomBytes(20));
  const address = encodeAddress(script, regtest);
  const funded: string[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0 });
    indexer = new ChronikIndexer({ url: devnet.url });
    // 230 payments in 23 blocks: past one page of the vault screen and one page of Chronik.
    for (let block = 0; block < 23; block++) {
      for (let i = 0; i < 10; i++)
        funded.push(devnet.fund(address, 10_000n + BigInt(funded.length)));
      devnet.mine(1);
    }
  });

  afterAll(async () => {
    indexer?.close();
    await devnet?.close();
  });

  it('shows the latest 50 first, then more on request, each transaction once', async () => {
    const first = await vaultHistory(indexer, script, regtest);
    expect(first.entries).toHaveLength(VAULT_HISTORY_PAGE);
    expect(first.more).toBe(true);
    expect(first.entries[0]?.confirmations).toBe(1);

    const next = await vaultHistory(indexer, script, regtest, 2 * VAULT_HISTORY_PAGE);
    expect(next.entries.slice(0, VAULT_HISTORY_PAGE)).toEqual(first.entries);
    expect(next.more).toBe(true);

    // Past Chronik's 200 per page: two reads, every payment exactly once.
    const all = await vaultHistory(indexer, script, regtest, 250);
    expect(all.more).toBe(false);
    expect(new Set(all.entries.map((e) => e.txid))).toEqual(new Set(funded));
    // Newest first: the last payment funded tops the list.
    expect(all.entries.map((e) => e.net)).toEqual(
      funded.map((_, i) => String(10_000 + i)).reverse(),
    );
    expect(all.entries.at(-1)?.confirmations).toBe(23);
  });
});
