import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type RefreshWatchComponents,
  createRefreshWatch,
  proposalOutpoints,
} from '../../src/background/refresh-watch.ts';
import type { IndexedUtxo } from '../../src/core/chain/chronik.ts';
import { regtest } from '../../src/core/chain/network.ts';
import { serializeUnsignedSpend } from '../../src/core/chain/unsigned-spend.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { MessageType, sealEnvelope } from '../../src/core/p2p/envelope.ts';
import { encodeProposal } from '../../src/core/p2p/messages.ts';
import type { RefreshMemory } from '../../src/core/wallet/refresh-plan.ts';
import { buildRefreshSpend } from '../../src/core/wallet/vault-recovery.ts';
import { type Vault, createVault } from '../../src/core/wallet/vault.ts';

const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));
const vault = createVault(
  [1, 2, 3].map((n) => getPublicKey(secret(n))),
  regtest,
  'home',
  {
    threshold: 2,
    recovery: { afterBlocks: 800, keys: [getPublicKey(secret(41))], threshold: 1 },
  },
);
const utxo = (n: number, blockHeight: number): IndexedUtxo => ({
  txid: n.toString(16).padStart(64, '0'),
  vout: 1,
  value: 5_000_000n,
  script: vault.script,
  blockHeight,
  isCoinbase: false,
});

/** A watch over one vault whose coins and tip the test moves; proposals are recorded. */
function harness(me: number, options: { busy?: Set<string> } = {}) {
  const chain = { tip: 1_000, coins: [utxo(1, 1_000)] };
  let stored: unknown;
  const proposed: { memo: string; inputs: number }[] = [];
  const components: RefreshWatchComponents = {
    vaults: () => [{ vault, me }],
    coins: async () => chain.coins,
    tipHeight: async () => chain.tip,
    busy: async () => options.busy ?? new Set(),
    propose: async (_v: Vault, spend, memo) => {
      proposed.push({ memo, inputs: spend.tx.inputs.length });
    },
    load: async () => stored,
    save: async (memory: Record<string, RefreshMemory>) => {
      stored = structuredClone(memory);
    },
  };
  return { chain, proposed, components, stored: () => stored };
}

describe('refresh watch', () => {
  afterEach(() => vi.useRealTimers());

  it('member 0 proposes once the coins are due, and never the same coins twice', async () => {
    const h = harness(0);
    const watch = createRefreshWatch(h.components);
    await watch.check();
    expect(h.proposed).toEqual([]);
    h.chain.tip = 1_080;
    await watch.check();
    await watch.check();
    // A new watch (a restarted worker) reads what was proposed from storage.
    await createRefreshWatch(h.components).check();
    expect(h.proposed).toEqual([
      { memo: 'Refresh: the recovery path opens in 719 blocks, about 24 hours', inputs: 1 },
    ]);
  });

  it('a later member proposes at its turn without a new block, unless a session took the coins', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const h = harness(1);
    h.chain.tip = 1_080;
    const watch = createRefreshWatch(h.components);
    await watch.check();
    expect(h.proposed).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(h.proposed).toHaveLength(1);
    watch.stop();

    const busy = new Set<string>();
    const other = harness(2, { busy });
    other.chain.tip = 1_080;
    const second = createRefreshWatch(other.components);
    await second.check();
    busy.add(`${utxo(1, 1_000).txid}:1`);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(other.proposed).toEqual([]);
    second.stop();
  });

  it('a burst of scheduled checks makes one check', async () => {
    vi.useFakeTimers();
    const h = harness(0);
    let reads = 0;
    const coins = h.components.coins;
    h.components.coins = async (v) => (reads++, coins(v));
    const watch = createRefreshWatch(h.components);
    for (let i = 0; i < 50; i++) watch.schedule(1_000);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(reads).toBe(1);
    watch.stop();
  });

  it('keeps going after a failing vault and stored junk', async () => {
    const h = harness(0);
    h.components.load = async () => ({ [vault.id]: { dueSince: 'junk' } });
    h.components.coins = async () => {
      throw new Error('indexer down');
    };
    const log: string[] = [];
    await createRefreshWatch({ ...h.components, log: (m) => log.push(m) }).check();
    expect(log.join('\n')).toMatch(/indexer down/);
  });
});

describe('proposalOutpoints', () => {
  it('reads the outpoints a stored proposal spends, and nothing from junk', () => {
    const coins = [utxo(7, 900), utxo(8, 901)];
    const spend = buildRefreshSpend(vault, coins);
    const envelope = sealEnvelope(
      {
        type: MessageType.proposal,
        vaultId: hexToBytes(vault.id),
        sessionId: randomBytes(32),
        signerIndex: 0,
        sequence: 0,
        transcriptHash: new Uint8Array(32),
        sentAt: 1,
        payload: encodeProposal({
          createdAt: 1,
          expiresAt: 2,
          replayProtection: false,
          salt: randomBytes(32),
          memo: 'Refresh',
          spend: serializeUnsignedSpend(spend),
        }),
      },
      secret(1),
    );
    expect(proposalOutpoints([envelope])).toEqual(coins.map((c) => `${c.txid}:1`));
    expect(proposalOutpoints([])).toEqual([]);
    expect(proposalOutpoints([randomBytes(100)])).toEqual([]);
  });
});
