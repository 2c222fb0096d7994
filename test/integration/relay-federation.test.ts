/**
 * A network of relays instead of one relay: five in-process relays on 127.0.0.1 join through a
 * chain of bootstrap addresses, find each other through the DHT and form one DHT and one
 * GossipSub mesh. Members each start from a different relay and hold reservations on two; a
 * signing session completes while the proposer's relays are stopped under it, and a member that
 * was offline reads its mailbox through a relay that joined while it was away.
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import type { PrivateKey } from '@libp2p/interface';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regtest } from '../../src/core/chain/index.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { openRecord } from '../../src/core/p2p/frames.ts';
import { MemorySessionStore } from '../../src/core/p2p/session-store.ts';
import { SigningService } from '../../src/core/p2p/signing-service.ts';
import { deriveVaultKeys } from '../../src/core/p2p/vault-keys.ts';
import { type Vault, createVault } from '../../src/core/wallet/vault.ts';
import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { type PeerNode, createPeerNode, reservedRelays } from '../../src/network/peer-node.ts';
import { RecordQuota } from '../../src/relay/record-quota.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { startLocalRelay } from '../support/local-relay.ts';
import { TestLedger } from '../support/signing-group.ts';
import { until } from '../support/until.ts';

const RELAYS = 5;
const MEMBERS = 3;
/** Each member starts from one relay only: the second comes from the network. */
const HOME_RELAY = [0, 2, 4];

/** A libp2p node with GossipSub and nothing else, connected to `relay` only. */
async function gossipPeer(relay: RunningRelay) {
  const node = await createLibp2p({
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      identify: identify(),
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }),
    },
  });
  await node.dial(multiaddr(relay.multiaddrs[0] as string));
  return node;
}
type GossipPeer = Awaited<ReturnType<typeof gossipPeer>>;

interface Member {
  key: PrivateKey;
  node: PeerNode;
  messaging: Libp2pMessaging;
  service: SigningService;
}

describe('a federated relay network', () => {
  const relays: RunningRelay[] = [];
  const quotas: RecordQuota[] = [];
  const stopped = new Set<RunningRelay>();
  const members: Member[] = [];
  const ledger = new TestLedger();
  let vault: Vault;
  let secrets: Uint8Array[];
  let openGate!: () => void;
  const gate = new Promise<void>((done) => (openGate = done));

  /** Starts a relay that joins the network through `bootstrap` (none: the first relay). */
  async function addRelay(bootstrap?: RunningRelay): Promise<RunningRelay> {
    const quota = new RecordQuota();
    const relay = await startLocalRelay({
      records: quota,
      ...(bootstrap ? { bootstrap: bootstrap.multiaddrs } : {}),
      federation: { intervalMs: 1_000 },
    });
    relays.push(relay);
    quotas.push(quota);
    return relay;
  }

  /** A member's libp2p node, joined through `relay` only. */
  async function startNode(key: PrivateKey, relay: RunningRelay) {
    const node = await createPeerNode({ relays: relay.multiaddrs, privateKey: key });
    const messaging = new Libp2pMessaging(node);
    await messaging.start();
    return { node, messaging };
  }

  /** A member that approves every proposal once `approval` (default: at once) lets it. */
  async function startMember(
    i: number,
    key: PrivateKey,
    relay: RunningRelay,
    approval: Promise<void> = Promise.resolve(),
    started?: { node: PeerNode; messaging: Libp2pMessaging },
  ): Promise<Member> {
    const { node, messaging } = started ?? (await startNode(key, relay));
    const service = new SigningService({
      transport: messaging,
      store: new MemorySessionStore(),
      chain: ledger.chain.as(`member-${i}`),
      timeouts: { failoverMs: 2_000, syncMs: 500 },
    });
    service.start();
    // Before addVault: its first mailbox read may already find a proposal.
    service.on('proposal', (view) => {
      void approval.then(() => service.approve(view.id)).catch(() => undefined);
    });
    await service.addVault(vault, secrets[i] as Uint8Array);
    return { key, node, messaging, service };
  }

  async function stopMember(member: Member): Promise<void> {
    await member.service.stop();
    await member.messaging.stop();
    await member.node.stop();
  }

  async function stopRelay(relay: RunningRelay): Promise<void> {
    stopped.add(relay);
    await relay.stop();
  }

  const live = () => relays.filter((r) => !stopped.has(r));

  beforeAll(async () => {
    // A chain: each relay knows only the one before it, and finds the rest through the DHT.
    for (let i = 0; i < RELAYS; i++) await addRelay(relays[i - 1]);
    await until(() => relays.every((r) => r.federation.linkedRelays === RELAYS - 1), 20_000);

    secrets = Array.from({ length: MEMBERS }, () => randomBytes(32));
    vault = createVault(
      secrets.map((s) => getPublicKey(s)),
      regtest,
      'federated',
    );
    // The last member holds its first approval until the relays are gone (the session is then
    // mid-way); the gate is opened in that test.
    members.push(
      ...(await Promise.all(
        Array.from({ length: MEMBERS }, async (_, i) => {
          const home = relays[HOME_RELAY[i] as number] as RunningRelay;
          const key = await generateKeyPair('Ed25519');
          return startMember(i, key, home, i === MEMBERS - 1 ? gate : undefined);
        }),
      )),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(members.map((m) => stopMember(m).catch(() => undefined)));
    await Promise.all(live().map((r) => r.stop()));
  });

  it('members starting from different relays each hold reservations on two of them', async () => {
    await until(() => members.every((m) => reservedRelays(m.node).length >= 2), 20_000);
    const relayIds = new Set(relays.map((r) => r.peerId));
    for (const m of members)
      for (const id of reservedRelays(m.node)) expect(relayIds).toContain(id);
    // Members are DHT clients: no relay counts one of them as a relay.
    for (const relay of relays)
      for (const m of members) expect(relay.federation.isRelay(m.node.peerId)).toBe(false);
  });

  it('carries gossip between members on different relays, through those relays only', async () => {
    const topic = 'petal/test/federated-gossip';
    // Gossip-only peers, each connected to its own relay and to nothing else (a full member node
    // would also meet other relays through the DHT).
    const sender = await gossipPeer(relays[1] as RunningRelay);
    const receiver = await gossipPeer(relays[3] as RunningRelay);
    try {
      let received: string | undefined;
      receiver.services.pubsub.addEventListener('message', (event) => {
        if (event.detail.topic === topic) received = new TextDecoder().decode(event.detail.data);
      });
      sender.services.pubsub.subscribe(topic);
      receiver.services.pubsub.subscribe(topic);
      // Published again until it arrives: the relays' mesh on a new topic takes a heartbeat or two.
      await until(
        async () => {
          await sender.services.pubsub.publish(topic, new TextEncoder().encode('hi'));
          return received;
        },
        20_000,
        500,
      );
      expect(received).toBe('hi');
      const peersOf = (n: GossipPeer) =>
        new Set(n.getConnections().map((c) => c.remotePeer.toString()));
      expect(peersOf(sender)).toEqual(new Set([relays[1]!.peerId]));
      expect(peersOf(receiver)).toEqual(new Set([relays[3]!.peerId]));
      // Relays with no member on the topic do not follow it, whatever the other relays do.
      for (const i of [0, 2, 4])
        expect(relays[i]!.node.services.pubsub.getTopics()).not.toContain(topic);
    } finally {
      await Promise.all([sender.stop(), receiver.stop()]);
    }
  });

  it(
    'a 3-of-3 session completes while two relays, the proposer’s among them, stop under it',
    { timeout: 120_000 },
    async () => {
      const [proposer] = members as [Member, Member, Member];

      const view = await proposer.service.propose(vault.id, ledger.spend(vault, [40_000_000n]));
      await until(() => members.every((m) => m.service.session(view.id)), 20_000);
      await until(() => proposer.service.session(view.id)?.approvals.length === 2, 20_000);

      const proposerRelays = reservedRelays(proposer.node);
      expect(proposerRelays).toHaveLength(2);
      for (const id of proposerRelays) await stopRelay(relays.find((r) => r.peerId === id)!);
      openGate();

      const results = await Promise.all(members.map((m) => m.service.settled(view.id)));
      expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
      expect(new Set(results.map((r) => r.txid)).size).toBe(1);
      expect(ledger.chain.broadcasts.at(-1)?.txid).toBe(results[0]?.txid);

      // The proposer reserved again, on relays that are still up.
      const liveIds = new Set(live().map((r) => r.peerId));
      await until(
        () =>
          reservedRelays(proposer.node).filter((id) => liveIds.has(id)).length >= 2 || undefined,
        20_000,
      );
    },
  );

  it(
    'a member that was offline reads its mailbox through a relay it never used',
    { timeout: 120_000 },
    async () => {
      const [proposer, approver, late] = members as [Member, Member, Member];
      await stopMember(late);

      // A relay joins the network while the member is away.
      const newcomer = await addRelay(live()[0]);
      const others = live().length - 1;
      await until(() => newcomer.federation.linkedRelays === others || undefined, 20_000);

      const view = await proposer.service.propose(vault.id, ledger.spend(vault, [30_000_000n]));
      await until(() => approver.service.session(view.id)?.approvals.length === 2, 20_000);
      // The proposer's mailbox reaches the newcomer too: it is among the k relays closest to the
      // record's key, and the proposer puts it there itself.
      const newcomerQuota = quotas.at(-1) as RecordQuota;
      const proposerId = proposer.node.peerId.toString();
      await until(() => newcomerQuota.usage(proposerId).records > 0 || undefined, 20_000);

      // The member comes back with the same identity, knowing only the newcomer, and reads the
      // proposer's mailbox: the proposal and the proposer's approval.
      const started = await startNode(late.key, newcomer);
      const keys = deriveVaultKeys(hexToBytes(vault.id));
      const recordId = keys.recordId(0);
      // Until the proposer's put has reached every relay, a read may find the copy it wrote when
      // the last session ended (no envelopes); the engine reads again every sync, and so do we.
      await until(async () => {
        const sealed = await started.messaging.getRecord(recordId);
        const opened = sealed && openRecord(keys, recordId, sealed);
        return opened && opened.length >= 2 ? opened : undefined;
      }, 20_000);

      const back = await startMember(2, late.key, newcomer, undefined, started);
      members[2] = back;
      await until(() => back.service.session(view.id), 30_000);
      const results = await Promise.all(members.map((m) => m.service.settled(view.id)));
      expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
      expect(ledger.chain.broadcasts.at(-1)?.txid).toBe(results[0]?.txid);
    },
  );

  it('charges every stored record to a member, never to a relay', () => {
    const relayIds = relays.map((r) => r.peerId);
    const memberIds = members.map((m) => m.node.peerId.toString());
    for (const quota of quotas) {
      for (const id of relayIds) expect(quota.usage(id)).toEqual({ records: 0, bytes: 0 });
      const stats = quota.stats();
      const byMembers = memberIds.reduce((n, id) => n + quota.usage(id).records, 0);
      expect(byMembers).toBe(stats.records);
    }
    // Mailbox records did reach several relays: the network holds them, not one process.
    expect(quotas.filter((q) => q.stats().records > 0).length).toBeGreaterThanOrEqual(3);
  });
});
