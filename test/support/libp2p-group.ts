import { randomBytes } from '@noble/hashes/utils.js';
import { regtest } from '../../src/core/chain/index.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { MemorySessionStore } from '../../src/core/p2p/session-store.ts';
import { SigningService, type SigningTimeouts } from '../../src/core/p2p/signing-service.ts';
import { type Vault, createVault, memberIndex } from '../../src/core/wallet/vault.ts';
import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { type PeerNode, createPeerNode } from '../../src/network/peer-node.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions } from './local-relay.ts';
import { type Tamper, type TestLedger, withTamper } from './signing-group.ts';
import { deriveVaultKeys } from '../../src/core/p2p/vault-keys.ts';
import { hexToBytes } from '@noble/hashes/utils.js';

export interface Libp2pMember {
  index: number;
  node: PeerNode;
  messaging: Libp2pMessaging;
  service: SigningService;
  secret: Uint8Array;
}

/** n headless members on real libp2p nodes behind `relay`, serving one n-of-n vault. */
export async function startLibp2pGroup(
  n: number,
  relay: RunningRelay,
  ledger: TestLedger,
  options: {
    timeouts?: Partial<SigningTimeouts>;
    /** Asked before member i broadcasts; true = its node dies instead (a crashed coordinator). */
    crashOnBroadcast?: (index: number) => boolean;
    autoApprove?: boolean;
    /** A threshold vault: any `threshold` members can sign through their leaf. */
    threshold?: number;
    /** Rewrites what a member sends (by vault member index), as a hostile member would. */
    tamper?: Tamper;
  } = {},
) {
  const secrets = Array.from({ length: n }, () => randomBytes(32));
  const vault: Vault = createVault(
    secrets.map((s) => getPublicKey(s)),
    regtest,
    `council of ${n}`,
    options.threshold ? { threshold: options.threshold } : {},
  );
  const members: Libp2pMember[] = [];
  const crashed = new Set<number>();
  for (let index = 0; index < n; index++) {
    const node = await createPeerNode(memberOptions(relay));
    const messaging = new Libp2pMessaging(node);
    await messaging.start();
    const chain = ledger.chain.as(`member-${index}`);
    const secret = secrets[index] as Uint8Array;
    const transport = options.tamper
      ? withTamper(
          messaging,
          deriveVaultKeys(hexToBytes(vault.id)),
          memberIndex(vault, getPublicKey(secret)),
          () => secret,
          options.tamper,
        )
      : messaging;
    const service = new SigningService({
      transport,
      store: new MemorySessionStore(),
      chain: {
        ...chain,
        broadcast: async (tx: Uint8Array) => {
          if (options.crashOnBroadcast?.(index)) {
            crashed.add(index);
            // It dies after its own messages left (else nobody could finish without it).
            while (service.stats().pendingDeliveries > 0)
              await new Promise((r) => setTimeout(r, 5));
            void service.stop();
            void node.stop();
            throw new Error('crashed');
          }
          return chain.broadcast(tx);
        },
      },
      timeouts: { failoverMs: 2_000, syncMs: 1_000, ...options.timeouts },
    });
    service.start();
    members.push({ index, node, messaging, service, secret: secrets[index] as Uint8Array });
  }
  await Promise.all(members.map((m) => m.service.addVault(vault, m.secret)));
  if (options.autoApprove !== false)
    for (const { service } of members)
      service.on('proposal', (view) => void service.approve(view.id).catch(() => undefined));
  return {
    vault,
    members,
    crashed: crashed as ReadonlySet<number>,
    async stop() {
      await Promise.all(members.map((m) => m.service.stop()));
      await Promise.all(members.map((m) => m.messaging.stop().catch(() => undefined)));
      await Promise.all(members.map((m) => m.node.stop()));
    },
  };
}
