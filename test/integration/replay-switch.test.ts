import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastRejectedError, ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { encodeAddress, p2pkhScript, regtest, txidFromHex } from '../../src/core/chain/index.ts';
import { ReplaySwitch } from '../../src/core/chain/replay-side.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import type { ChainAccess } from '../../src/core/p2p/chain.ts';
import { indexerChainAccess } from '../../src/core/p2p/indexer-chain.ts';
import { OTHER_SIDE_ATTEMPT } from '../../src/core/p2p/replay-attempts.ts';
import { MemorySessionStore } from '../../src/core/p2p/session-store.ts';
import { SigningService } from '../../src/core/p2p/signing-service.ts';
import { type Vault, createVault } from '../../src/core/wallet/vault.ts';
import { buildVaultSpend } from '../../src/core/wallet/vault-spend.ts';
import { LOTUSD_REGTEST_REPLAY_PROTECTION_TIME } from '../../src/devnet/chain.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { type PeerNode, createPeerNode } from '../../src/network/peer-node.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';
import { walletService } from './wallet-support.ts';

const DAY = 86_400;
/** What the wallet's table believes; the devnet keeps lotusd's own value apart from it. */
const TABLE_TIME = regtest.replayProtectionActivationTime;
const NODE_TIME = LOTUSD_REGTEST_REPLAY_PROTECTION_TIME;

/**
 * The devnet judges with its own switch (lotusd's rule, its own time and clock), so these runs can
 * put the wallet on either side of a switch it agrees with, and against one it does not know.
 */
interface Scenario {
  name: string;
  /** The devnet's -replayprotectionactivationtime. */
  switchAt: number;
  /** The devnet's clock (its blocks' timestamps, so its median time past). */
  clockAt: number;
  /** Whether the wallet's table agrees with the node, so the first side tried is right. */
  tableAgrees: boolean;
}

const now = Math.floor(Date.now() / 1000);
// The table's own answer at today's tip; the unknown switch is placed on the other side of now.
const tableSaysOnNow = now - 900 >= TABLE_TIME;
const SCENARIOS: Scenario[] = [
  { name: 'in the past', switchAt: NODE_TIME, clockAt: NODE_TIME + DAY, tableAgrees: true },
  { name: 'in the future', switchAt: NODE_TIME, clockAt: NODE_TIME - DAY, tableAgrees: true },
  {
    name: 'at a time the table does not know',
    switchAt: tableSaysOnNow ? now + DAY : now - DAY,
    clockAt: now,
    tableAgrees: false,
  },
];

/** An indexer that records the node's rejections (what the retry path reacts to). */
function recordingIndexer(url: string, rejections: string[]): ChronikIndexer {
  const indexer = new ChronikIndexer({ url, backoffMs: 20, timeoutMs: 5_000 });
  const broadcast = indexer.broadcast.bind(indexer);
  indexer.broadcast = async (raw) => {
    try {
      return await broadcast(raw);
    } catch (err) {
      if (err instanceof BroadcastRejectedError) rejections.push(err.reason);
      throw err;
    }
  };
  return indexer;
}

describe('sends and vault spends against a devnet on either side of the replay-protection switch', () => {
  let relay: RunningRelay;
  let nodes: PeerNode[];
  let messaging: Libp2pMessaging[];
  let services: SigningService[] = [];
  let vault: Vault;
  let secrets: Uint8Array[];

  beforeAll(async () => {
    relay = await startLocalRelay();
    nodes = await Promise.all([0, 1, 2].map(() => createPeerNode(memberOptions(relay))));
    messaging = nodes.map((node) => new Libp2pMessaging(node));
    await Promise.all(messaging.map((m) => m.start()));
    secrets = [0, 1, 2].map(() => randomBytes(32));
    vault = createVault(
      secrets.map((s) => getPublicKey(s)),
      regtest,
      'household',
    );
  });

  /** Each member's wallet, as it runs against one chain (its own belief in the switch). */
  async function serveVault(chain: Required<ChainAccess>): Promise<SigningService[]> {
    await Promise.all(services.map((s) => s.stop()));
    services = messaging.map(
      (transport) =>
        new SigningService({
          transport,
          store: new MemorySessionStore(),
          chain,
          timeouts: { failoverMs: 2_000, syncMs: 500 },
          replaySwitch: new ReplaySwitch(),
        }),
    );
    for (const service of services) service.start();
    await Promise.all(services.map((s, i) => s.addVault(vault, secrets[i] as Uint8Array)));
    for (const service of services)
      service.on('proposal', (view) => void service.approve(view.id).catch(() => undefined));
    return services;
  }

  afterAll(async () => {
    await Promise.all((services ?? []).map((s) => s.stop()));
    await Promise.all((messaging ?? []).map((m) => m.stop()));
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    await relay?.stop();
  });

  describe.each(SCENARIOS)('a switch $name', (scenario) => {
    let devnet: Devnet;
    let indexer: ChronikIndexer;
    const rejections: string[] = [];

    beforeAll(async () => {
      let clock = scenario.clockAt;
      devnet = await startDevnet({
        replayProtectionTime: scenario.switchAt,
        // The chain's own clock: blocks are two minutes apart from the scenario's time on.
        now: () => (clock += 1),
      });
      indexer = recordingIndexer(devnet.url, rejections);
      await serveVault(indexerChainAccess(indexer));
      const nodeSide = devnet.chain.replayProtectionActive();
      const tableSide = devnet.chain.medianTimePast() >= TABLE_TIME;
      expect(nodeSide === tableSide).toBe(scenario.tableAgrees);
    });

    afterAll(async () => {
      indexer?.close();
      await devnet?.close();
    });

    it('a single-signature send is accepted, and the wallet remembers the side', async () => {
      rejections.length = 0;
      const wallet = walletService(devnet.url, undefined, undefined, {
        indexer: (url) => recordingIndexer(url, rejections),
      });
      await wallet.service.init();
      await wallet.service.updateSettings({ network: 'regtest', chronikUrl: devnet.url });
      const { mnemonic, confirm } = wallet.service.newMnemonic(12);
      const words = mnemonic.split(' ');
      await wallet.service.createFromPending(
        'replay switch password',
        confirm.map((i) => words[i] as string),
      );
      devnet.fund(await wallet.service.receiveAddress(), 20_000_000n);
      devnet.mine(1);
      await until(() => wallet.service.view().balance?.confirmed === '20000000');
      const to = encodeAddress(p2pkhScript(randomBytes(20)), regtest);
      const preview = await wallet.service.prepareSend({ to, amount: '5' });
      const before = devnet.chain.mempool.length;
      const txid = await wallet.service.confirmSend(preview.id);
      expect(devnet.chain.mempool).toHaveLength(before + 1);
      expect(devnet.chain.txs.get(txid)?.block).toBeUndefined();
      if (scenario.tableAgrees) expect(rejections).toEqual([]);
      else
        expect(rejections).toEqual([expect.stringMatching(/mandatory-script-verify-flag-failed/)]);
      const learned = wallet.service.replaySwitch.memory('regtest');
      if (devnet.chain.replayProtectionActive()) expect(learned.onAt).toBeDefined();
      else expect(learned.offAt).toBeDefined();
      await wallet.service.lock();
    });

    it('a 3-of-3 vault session over libp2p is accepted by the node', async () => {
      rejections.length = 0;
      devnet.fund(vault.address, 100_000_000n);
      devnet.mine(1);
      const utxos = (await indexer.utxos(vault.script)).map((u) => ({
        outpoint: { txid: txidFromHex(u.txid), vout: u.vout },
        value: u.value,
        script: u.script,
      }));
      const payee = p2pkhScript(randomBytes(20));
      const spend = buildVaultSpend(vault, utxos, [{ value: 30_000_000n, script: payee }]);
      const view = await services[0]!.propose(vault.id, spend, { memo: 'groceries' });
      // Gossip meshes take a few heartbeats to form; the mailbox sync covers whoever missed it.
      await until(() => services.every((s) => s.session(view.id)), 20_000);
      const results = await Promise.all(services.map((s) => s.settled(view.id)));
      for (const r of results) expect(r.phase).toBe('completed');
      const txid = results[0]?.txid as string;
      expect(devnet.chain.txs.get(txid)).toBeDefined();
      if (scenario.tableAgrees) {
        expect(rejections).toEqual([]);
        expect(results[0]?.attempt).toBe(1);
      } else {
        // The first side was refused by the node's script check; the other side's attempt won.
        expect(rejections[0]).toMatch(/mandatory-script-verify-flag-failed/);
        for (const r of results) expect(r.attempt).toBeGreaterThanOrEqual(OTHER_SIDE_ATTEMPT);
      }
    });
  });
});
