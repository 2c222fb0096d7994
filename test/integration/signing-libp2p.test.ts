import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regtest } from '../../src/core/chain/index.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { MemorySessionStore } from '../../src/core/p2p/session-store.ts';
import { SigningService } from '../../src/core/p2p/signing-service.ts';
import { type Vault, createVault } from '../../src/core/wallet/vault.ts';
import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { type PeerNode, createPeerNode } from '../../src/network/peer-node.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { TestLedger } from '../support/signing-group.ts';
import { until } from '../support/until.ts';

// The same signing engine the in-memory tests drive, over real libp2p: a relay on loopback,
// GossipSub for proposals and approvals, Noise-authenticated direct streams for the rounds,
// DHT mailbox records for a member who was not listening when the proposal went out.
describe('signing sessions over real libp2p nodes', () => {
  let relay: RunningRelay;
  let nodes: PeerNode[];
  let messaging: Libp2pMessaging[];
  let services: SigningService[];
  let vault: Vault;
  let secrets: Uint8Array[];
  const ledger = new TestLedger();

  beforeAll(async () => {
    relay = await startLocalRelay();
    nodes = await Promise.all([0, 1, 2].map(() => createPeerNode(memberOptions(relay))));
    messaging = nodes.map((node) => new Libp2pMessaging(node));
    await Promise.all(messaging.map((m) => m.start()));
    secrets = [0, 1, 2].map(() => randomBytes(32));
    vault = createVault(
      secrets.map((s) => getPublicKey(s)),
      regtest,
      'treasury',
    );
    services = messaging.map(
      (transport, i) =>
        new SigningService({
          transport,
          store: new MemorySessionStore(),
          chain: ledger.chain.as(`member-${i}`),
          timeouts: { failoverMs: 2_000, syncMs: 500 },
        }),
    );
    for (const service of services) service.start();
    await Promise.all(services.map((s, i) => s.addVault(vault, secrets[i] as Uint8Array)));
    for (const service of services)
      service.on('proposal', (view) => void service.approve(view.id).catch(() => undefined));
  });

  afterAll(async () => {
    await Promise.all((services ?? []).map((s) => s.stop()));
    await Promise.all((messaging ?? []).map((m) => m.stop()));
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    await relay?.stop();
  });

  it('a 3-member vault completes a spend, every member ending with the same txid', async () => {
    const view = await services[0]!.propose(vault.id, ledger.spend(vault, [40_000_000n]), {
      memo: 'integration',
    });
    // Gossip meshes take a few heartbeats to form; the mailbox sync covers whoever missed it.
    await until(() => services.every((s) => s.session(view.id)), 20_000);
    const results = await Promise.all(services.map((s) => s.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(results.map((r) => r.txid)).size).toBe(1);
    expect(ledger.chain.broadcasts).toHaveLength(1);
    expect(ledger.chain.broadcasts[0]?.txid).toBe(results[0]?.txid);
  });

  it('a member who was offline at proposal time finds it in the DHT mailbox records and signs', async () => {
    // Member 2's wallet is closed: no service, nothing subscribed.
    await services[2]!.stop();
    const view = await services[0]!.propose(vault.id, ledger.spend(vault, [30_000_000n]));
    await until(() => (services[1]!.session(view.id)?.approvals.length === 2 ? true : undefined));
    // It opens again: a fresh service reads the other members' records and catches up.
    const reopened = new SigningService({
      transport: messaging[2]!,
      store: new MemorySessionStore(),
      chain: ledger.chain.as('member-2'),
      timeouts: { failoverMs: 2_000, syncMs: 500 },
    });
    services[2] = reopened;
    reopened.start();
    reopened.on('proposal', (v) => void reopened.approve(v.id).catch(() => undefined));
    await reopened.addVault(vault, secrets[2] as Uint8Array);
    await until(() => reopened.session(view.id), 20_000);
    const results = await Promise.all(services.map((s) => s.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(ledger.chain.broadcasts.at(-1)?.txid).toBe(results[0]?.txid);
  });
});
