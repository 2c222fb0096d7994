import { afterEach, describe, expect, it } from 'vitest';
import { parseScript } from '../../src/core/chain/script.ts';
import { parseTx } from '../../src/core/chain/transaction.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { leafFor, memberIndex } from '../../src/core/wallet/vault.ts';
import { startLibp2pGroup } from '../support/libp2p-group.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import { TestLedger } from '../support/signing-group.ts';
import { until } from '../support/until.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

// Threshold vaults over real libp2p nodes: the members who are online sign through their leaf.
describe('threshold vaults over real libp2p nodes', () => {
  it('3-of-5 with two members offline completes through the leaf of the three', async () => {
    const relay = await startLocalRelay();
    cleanups.push(() => relay.stop());
    const ledger = new TestLedger();
    const group = await startLibp2pGroup(5, relay, ledger, { threshold: 3, autoApprove: false });
    cleanups.push(() => group.stop());
    // Members 1 and 3 are gone: their nodes stop before anything is proposed.
    const online = group.members.filter((m) => m.index !== 1 && m.index !== 3);
    for (const gone of [1, 3]) {
      await group.members[gone]!.service.stop();
      await group.members[gone]!.node.stop();
    }
    for (const { service } of online.slice(1))
      service.on('proposal', (view) => void service.approve(view.id).catch(() => undefined));
    const view = await online[0]!.service.propose(
      group.vault.id,
      ledger.spend(group.vault, [80_000_000n]),
      { leafAfterMs: 1_000 },
    );
    await until(() => online.every((m) => m.service.session(view.id)), 30_000);
    const results = await Promise.all(online.map((m) => m.service.settled(view.id)));
    // Vault indices are positions among the sorted keys, not the order the nodes started in.
    const signers = online
      .map((m) => memberIndex(group.vault, getPublicKey(m.secret)))
      .sort((a, b) => a - b);
    for (const r of results) {
      expect(r.phase).toBe('completed');
      expect(r.pathSigners).toEqual(signers);
    }
    expect(ledger.chain.broadcasts).toHaveLength(1);
    const raw = ledger.chain.transaction(results[0]!.txid as string) as Uint8Array;
    const pushes = parseScript(parseTx(raw).inputs[0]!.scriptSig).map((c) => c.data);
    expect(pushes[1]).toEqual(leafFor(group.vault, signers)!.script);
  });
});
