/**
 * The headless cosigner: the same signing engine as the extension, in a Node process, deciding by
 * a policy file instead of a person. It approves what a rule allows and declines everything else
 * with the reason, so the other members see why at once.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkParams } from '../core/chain/network.ts';
import type { ChainAccess } from '../core/p2p/chain.ts';
import type { SessionView } from '../core/p2p/session.ts';
import { SigningService, type SigningTimeouts } from '../core/p2p/signing-service.ts';
import {
  type CosignPolicyFile,
  type SpendSummary,
  evaluatePolicy,
} from '../core/wallet/cosign-policy.ts';
import { vaultMemberKey } from '../core/wallet/keys.ts';
import type { KeystoreSecrets } from '../core/wallet/keystore.ts';
import type { Vault } from '../core/wallet/vault.ts';
import { Libp2pMessaging } from '../network/libp2p-messaging.ts';
import { createPeerNode } from '../network/peer-node.ts';
import { FileSessionStore } from './file-session-store.ts';

export interface CosignerOptions {
  secrets: KeystoreSecrets;
  network: NetworkParams;
  vaults: Vault[];
  policy: CosignPolicyFile;
  relays: string[];
  iceServers?: string[];
  chain: ChainAccess;
  /** Session state, nonce markers and the daily-spend ledger live here. */
  stateDir: string;
  timeouts?: Partial<SigningTimeouts>;
  log?: (event: Record<string, unknown>) => void;
}

/** The key this wallet contributes to vaults (the extension derives the same one). */
export const memberKeyOf = vaultMemberKey;

const DAY_MS = 24 * 3600_000;

/** Approved amounts per vault, appended before each approval so daily limits survive restarts. */
class SpendLedger {
  readonly #path: string;
  constructor(dir: string) {
    this.#path = join(dir, 'approved.jsonl');
  }

  async spentSince(vaultId: string, since: number): Promise<bigint> {
    const text = await readFile(this.#path, 'utf8').catch(() => '');
    let total = 0n;
    for (const line of text.split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as { at: number; vaultId: string; sats: string };
      if (entry.vaultId === vaultId && entry.at >= since) total += BigInt(entry.sats);
    }
    return total;
  }

  async record(vaultId: string, sats: bigint): Promise<void> {
    const line = JSON.stringify({ at: Date.now(), vaultId, sats: sats.toString() });
    await appendFile(this.#path, `${line}\n`, { mode: 0o600 });
  }
}

function policySummary(view: SessionView): SpendSummary | string {
  const payments: SpendSummary['payments'] = [];
  for (const p of view.summary.payments) {
    if (!p.address) return 'The spend pays a script with no address, which no policy can allow';
    payments.push({ address: p.address, sats: p.sats });
  }
  return { vaultId: view.vaultId, payments, feeSats: view.summary.feeSats };
}

export async function startCosigner(options: CosignerOptions) {
  const log = options.log ?? ((event) => console.log(JSON.stringify(event)));
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const member = memberKeyOf(options.secrets, options.network);
  const node = await createPeerNode({
    relays: options.relays,
    ...(options.iceServers ? { iceServers: options.iceServers } : {}),
  });
  const transport = new Libp2pMessaging(node);
  await transport.start();
  const service = new SigningService({
    transport,
    store: new FileSessionStore(join(options.stateDir, 'sessions')),
    chain: options.chain,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
  });
  const ledger = new SpendLedger(options.stateDir);

  const decide = async (view: SessionView) => {
    const summary = policySummary(view);
    const spentToday =
      typeof summary === 'string' ? 0n : await ledger.spentSince(view.vaultId, Date.now() - DAY_MS);
    const decision =
      typeof summary === 'string'
        ? { approve: false as const, reason: summary }
        : evaluatePolicy(options.policy, summary, spentToday);
    if (!decision.approve) {
      log({ event: 'declined', session: view.id, reason: decision.reason });
      await service.decline(view.id, `Cosigner policy: ${decision.reason}`);
      return;
    }
    const total = view.summary.payments.reduce((sum, p) => sum + p.sats, 0n);
    await ledger.record(view.vaultId, total);
    log({ event: 'approved', session: view.id, rule: decision.rule, sats: total.toString() });
    await service.approve(view.id);
  };

  service.on('proposal', (view) => {
    decide(view).catch((err: unknown) =>
      log({ event: 'error', session: view.id, message: (err as Error).message }),
    );
  });
  service.on('completed', (view) => log({ event: 'completed', session: view.id, txid: view.txid }));
  service.on('ended', (view) =>
    log({ event: 'ended', session: view.id, phase: view.phase, reason: view.end?.reason }),
  );
  service.on('blame', (b) => log({ event: 'blame', ...b }));
  service.on('warning', ({ message }) => log({ event: 'warning', message }));
  service.on('outdated', (o) => log({ event: 'outdated-peer', ...o }));

  service.start();
  for (const vault of options.vaults) await service.addVault(vault, member.secretKey);
  // Sessions resumed from disk that were never decided (a crash mid-decision) are decided now;
  // new ones found while offline arrive as 'proposal' events through the mailbox sync.
  for (const view of service.sessions()) {
    if (!view.approvedByMe && view.phase === 'awaiting-approvals')
      await decide(view).catch(() => undefined);
  }

  return {
    peerId: transport.peerId,
    memberKey: member.publicKey,
    service,
    async stop() {
      await service.stop();
      await transport.stop();
      await node.stop();
    },
  };
}
