import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLibp2pGroup } from '../support/libp2p-group.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import { TestLedger } from '../support/signing-group.ts';
import { until } from '../support/until.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function relayOnDisk(): Promise<{ relay: RunningRelay; keyFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'petal-relay-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key');
  return { relay: await startLocalRelay({ keyFile }), keyFile };
}

describe('signing over real libp2p under faults', () => {
  it('10 headless members complete a session', { timeout: 120_000 }, async () => {
    const relay = await startLocalRelay();
    cleanups.push(() => relay.stop());
    const ledger = new TestLedger();
    const group = await startLibp2pGroup(10, relay, ledger);
    cleanups.push(() => group.stop());
    const [first] = group.members;
    const view = await first!.service.propose(
      group.vault.id,
      ledger.spend(group.vault, [9e7].map(BigInt)),
    );
    await until(() => group.members.every((m) => m.service.session(view.id)), 30_000);
    const results = await Promise.all(group.members.map((m) => m.service.settled(view.id)));
    expect(results.every((r) => r.phase === 'completed')).toBe(true);
    expect(ledger.chain.broadcasts).toHaveLength(1);
  });

  it(
    'a session recovers when the relay dies mid-session and comes back',
    { timeout: 60_000 },
    async () => {
      const { relay, keyFile } = await relayOnDisk();
      const port = Number(relay.multiaddrs[0]?.split('/tcp/')[1]?.split('/')[0]);
      const stunPort = Number(relay.stunUrl?.split(':').at(-1));
      const ledger = new TestLedger();
      const group = await startLibp2pGroup(3, relay, ledger, { autoApprove: false });
      cleanups.push(() => group.stop());
      const [a, b, c] = group.members as [
        (typeof group.members)[0],
        (typeof group.members)[0],
        (typeof group.members)[0],
      ];
      const view = await a.service.propose(group.vault.id, ledger.spend(group.vault, [5_000_000n]));
      await until(() =>
        b.service.session(view.id) && c.service.session(view.id) ? true : undefined,
      );
      // b saw a's approval (a proposed): a is a protected, high-value peer for the session.
      const tagOf = (m: typeof b, peer: typeof a) =>
        m.node.peerStore
          .get(peer.node.peerId)
          .then((p) => p.tags.get(`petal-session-${view.id}`)?.value)
          .catch(() => undefined);
      await until(async () => ((await tagOf(b, a)) === 100 ? true : undefined));
      await relay.stop();
      const restarted = await startLocalRelay({ keyFile, port, stunPort });
      cleanups.push(() => restarted.stop());
      // Members approve after the relay came back; links heal by themselves (redialer), and gossip
      // lost while the mesh re-forms is recovered from the republished DHT mailboxes.
      await Promise.all([b.service.approve(view.id), c.service.approve(view.id)]);
      const results = await Promise.all(group.members.map((m) => m.service.settled(view.id)));
      expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
      // The session is over: its protection is released everywhere.
      await until(async () =>
        group.members.every((m) => m.messaging.protectedSessions === 0) &&
        (await tagOf(b, a)) === undefined
          ? true
          : undefined,
      );
    },
  );

  it(
    'when the coordinator’s node dies before broadcasting, the next member broadcasts',
    { timeout: 60_000 },
    async () => {
      const relay = await startLocalRelay();
      cleanups.push(() => relay.stop());
      const ledger = new TestLedger();
      const group = await startLibp2pGroup(3, relay, ledger, {
        timeouts: { failoverMs: 1_500 },
        // Whoever broadcasts first (normally the elected coordinator) dies at that moment.
        crashOnBroadcast: () => group.crashed.size === 0,
      });
      cleanups.push(() => group.stop());
      const view = await group.members[0]!.service.propose(
        group.vault.id,
        ledger.spend(group.vault, [6_000_000n]),
      );
      await until(() => (ledger.chain.broadcasts.length === 1 ? true : undefined), 30_000);
      expect(group.crashed.size).toBe(1);
      const survivors = group.members.filter((m) => !group.crashed.has(m.index));
      const results = await Promise.all(survivors.map((m) => m.service.settled(view.id)));
      expect(results.every((r) => r.phase === 'completed')).toBe(true);
      const [dead] = [...group.crashed];
      expect(ledger.chain.broadcasts[0]?.by).not.toBe(`member-${dead}`);
    },
  );
});
