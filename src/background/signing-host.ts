/**
 * Runs the signing protocol in the background, the only context that holds keys. It starts once
 * the wallet is unlocked and the P2P node is up, serves every vault the wallet keeps, and stops
 * (dropping every in-memory secret nonce) when the wallet locks. After a service-worker restart it
 * comes back on the next request or inbound frame and resumes sessions from IndexedDB.
 */
import { ChronikIndexer } from '../core/chain/chronik.ts';
import { NETWORKS, addressToScript } from '../core/chain/index.ts';
import { indexerChainAccess } from '../core/p2p/indexer-chain.ts';
import { SigningService } from '../core/p2p/signing-service.ts';
import { FINISHED, type SessionView } from '../core/p2p/session.ts';
import { browser } from '../ext/browser.ts';
import { createKeepAlive } from './keep-alive.ts';
import { type RpcClient, type VaultInfo } from '../core/rpc/index.ts';
import { vaultMemberKey } from '../core/wallet/keys.ts';
import type { RecordStore } from '../core/wallet/keystore-service.ts';
import {
  POLICY_MUSIG2_KEYPATH,
  type Vault,
  decodeVaultDescriptor,
  describePolicy,
  encodeVaultDescriptor,
  memberIndex,
} from '../core/wallet/vault.ts';
import { buildVaultSpend } from '../core/wallet/vault-spend.ts';
import type { WalletService } from '../core/wallet/wallet-service.ts';
import { RemoteTransport } from './remote-transport.ts';
import { openSessionDb } from './session-db.ts';
import { txidFromHex } from '../core/chain/transaction.ts';
import { type UnsignedSpend, serializeUnsignedSpend } from '../core/chain/unsigned-spend.ts';
import { checkSpend } from '../core/p2p/spend-check.ts';
import { summaryInfo } from '../core/rpc/signing-methods.ts';
import {
  type InvitePolicy,
  assembleVault,
  checkInvitePolicy,
  createInvite,
  createJoin,
  describeInvitePolicy,
  readInvite,
} from '../core/wallet/vault-invite.ts';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';

/** How long a prepared vault spend waits for the user's approval. */
const DRAFT_TTL_MS = 10 * 60_000;

/** Vault descriptors the wallet keeps (also part of the encrypted backup). */
const VAULTS_KEY = 'vaults';

export class SigningUnavailableError extends Error {
  override name = 'SigningUnavailableError';
}

interface Running {
  service: SigningService;
  transport: RemoteTransport;
  indexer: ChronikIndexer;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  vaults: Map<string, Vault>;
}

export type SigningListener = (
  kind: 'proposal' | 'update' | 'vaults',
  view: SessionView | undefined,
) => void;

/** An invite's policy as the popup sends it: keys in hex, recovery by one key unless said. */
export interface InvitePolicyRequest {
  members: number;
  label?: string;
  threshold?: number;
  recovery?: { afterBlocks: number; keys: string[]; threshold?: number };
}

function invitePolicy(p: InvitePolicyRequest): InvitePolicy {
  return {
    threshold: p.threshold ?? p.members,
    ...(p.recovery
      ? {
          recovery: {
            afterBlocks: p.recovery.afterBlocks,
            keys: p.recovery.keys.map((k) => hexToBytes(k)),
            threshold: p.recovery.threshold ?? 1,
          },
        }
      : {}),
  };
}

/** How the popup numbers members (its member lists are 1-based, in key order), you marked. */
function memberNames(vault: Vault, me: number): string[] {
  const recovery = vault.recovery?.keys ?? [];
  return [
    ...vault.members.map((_, i) => `Member ${i + 1}${i === me ? ' (you)' : ''}`),
    ...recovery.map((_, i) =>
      recovery.length === 1 ? 'the recovery key' : `recovery key ${i + 1}`,
    ),
  ];
}

export interface SigningHostDeps {
  wallet: WalletService;
  records: RecordStore;
  ready: Promise<void>;
  network: { ensure(): Promise<void>; client: RpcClient };
}

export function createSigningHost(deps: SigningHostDeps) {
  const { wallet, records } = deps;
  let running: Running | undefined;
  let starting: Promise<Running> | undefined;
  const listeners = new Set<SigningListener>();
  const emit: SigningListener = (kind, view) => {
    for (const listener of listeners) listener(kind, view);
  };
  // While any session is open, hold the worker awake; let it sleep otherwise.
  const keepAlive = createKeepAlive(() => browser.runtime.getPlatformInfo());
  const holdWhileOpen = () =>
    keepAlive.update(
      (running?.service.sessions() ?? []).filter((s) => !FINISHED.has(s.phase)).map((s) => s.id),
    );
  listeners.add(holdWhileOpen);

  const descriptors = async (): Promise<string[]> => {
    const stored = await records.get(VAULTS_KEY);
    return Array.isArray(stored) ? stored.filter((d): d is string => typeof d === 'string') : [];
  };

  const network = () => NETWORKS[wallet.settings.network];

  async function start(): Promise<Running> {
    await deps.ready;
    const secrets = wallet.keystore.secrets(); // WalletLockedError while locked
    const member = vaultMemberKey(secrets, network());
    await deps.network.ensure();
    let status = await deps.network.client.request('petal_networkStatus', {});
    // After a browser restart the node is down: bring it up on the relays the user configured.
    const { relays } = wallet.settings;
    if (!status.running && relays.length > 0)
      status = await deps.network.client.request(
        'petal_networkStart',
        { relays },
        { timeoutMs: 30_000 },
      );
    if (!status.running || !status.peerId)
      throw new SigningUnavailableError(
        'Add a Petal relay in Settings first (the P2P node is not running)',
      );
    const transport = new RemoteTransport(deps.network.client, status.peerId);
    const indexer = new ChronikIndexer({ url: wallet.settings.chronikUrl });
    const service = new SigningService({
      transport,
      store: openSessionDb(),
      chain: indexerChainAccess(indexer),
      // One belief about the replay-protection side for sends and vault spends alike.
      replaySwitch: wallet.replaySwitch,
    });
    service.start();
    service.on('proposal', (view) => emit('proposal', view));
    service.on('update', (view) => emit('update', view));
    service.on('completed', (view) => emit('update', view));
    service.on('ended', (view) => emit('update', view));
    const vaults = new Map<string, Vault>();
    for (const descriptor of await descriptors()) {
      const vault = decodeVaultDescriptor(descriptor, network());
      if (memberIndex(vault, member.publicKey) < 0) continue;
      vaults.set(vault.id, vault);
      await service.addVault(vault, member.secretKey);
    }
    return { service, transport, indexer, ...member, vaults };
  }

  async function ensure(): Promise<Running> {
    if (running) return running;
    starting ??= start().finally(() => {
      starting = undefined;
    });
    running = await starting;
    holdWhileOpen(); // sessions resumed after a worker restart count too
    return running;
  }

  async function stop(): Promise<void> {
    const current = running;
    running = undefined;
    keepAlive.update([]);
    if (!current) return;
    await current.service.stop();
    current.indexer.close();
  }

  // Locking wipes the secrets; the protocol goes with them (its nonces are memory-only).
  wallet.onChange((view) => {
    if (view.status !== 'unlocked') void stop();
  });

  const drafts = new Map<string, { vaultId: string; spend: UnsignedSpend; expires: number }>();
  const pruneDrafts = () => {
    for (const [id, d] of drafts) if (d.expires < Date.now()) drafts.delete(id);
  };

  async function buildSpend(r: Running, p: { vaultId: string; to: string; sats: string }) {
    const vault = r.vaults.get(p.vaultId);
    if (!vault) throw new SigningUnavailableError(`Unknown vault ${p.vaultId}`);
    const utxos = (await r.indexer.utxos(vault.script)).map((u) => ({
      outpoint: { txid: txidFromHex(u.txid), vout: u.vout },
      value: u.value,
      script: u.script,
    }));
    const spend = buildVaultSpend(vault, utxos, [
      { value: BigInt(p.sats), script: addressToScript(p.to, vault.network) },
    ]);
    return { vault, spend };
  }

  const info = (vault: Vault, me: Uint8Array): VaultInfo => {
    const index = memberIndex(vault, me);
    const recovery = vault.recovery;
    return {
      id: vault.id,
      label: vault.label,
      address: vault.address,
      members: vault.members.length,
      me: index,
      descriptor: encodeVaultDescriptor(vault),
      // Policy 2 with k = n (recovery only) still needs every member's signature.
      policy:
        vault.policy === POLICY_MUSIG2_KEYPATH || vault.threshold === vault.members.length
          ? 'n-of-n'
          : 'threshold',
      threshold: vault.threshold,
      ...(recovery
        ? {
            recovery: {
              afterBlocks: recovery.afterBlocks,
              keys: recovery.keys.map((k) => bytesToHex(k)),
              threshold: recovery.threshold,
            },
          }
        : {}),
      policyText: describePolicy(vault, memberNames(vault, index)),
    };
  };

  return {
    ensure,
    stop,
    /** Session news for the badge, notifications and dApps (`vaults`: the vault list changed). */
    onEvent(listener: SigningListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async memberKey(): Promise<Uint8Array> {
      await deps.ready;
      return vaultMemberKey(wallet.keystore.secrets(), network()).publicKey;
    },
    async addVault(descriptor: string): Promise<VaultInfo> {
      const vault = decodeVaultDescriptor(descriptor, network());
      const r = await ensure();
      if (memberIndex(vault, r.publicKey) < 0)
        throw new SigningUnavailableError('This wallet’s member key is not in that vault');
      const stored = await descriptors();
      const canonical = encodeVaultDescriptor(vault);
      if (!stored.includes(canonical)) await records.put(VAULTS_KEY, [...stored, canonical]);
      if (!r.vaults.has(vault.id)) {
        r.vaults.set(vault.id, vault);
        await r.service.addVault(vault, r.secretKey);
        emit('vaults', undefined);
      }
      return info(vault, r.publicKey);
    },
    async listVaults(): Promise<VaultInfo[]> {
      const r = await ensure();
      return [...r.vaults.values()].map((v) => info(v, r.publicKey));
    },
    async propose(p: {
      vaultId: string;
      to: string;
      sats: string;
      memo?: string;
      leafAfterMs?: number;
    }) {
      const r = await ensure();
      const { vault, spend } = await buildSpend(r, p);
      return r.service.propose(vault.id, spend, {
        ...(p.memo ? { memo: p.memo } : {}),
        ...(p.leafAfterMs !== undefined ? { leafAfterMs: p.leafAfterMs } : {}),
      });
    },
    /**
     * Builds a vault spend for a dApp's approval window and keeps it: what the user approves is
     * exactly what gets proposed (`proposeDraft`), with the summary every member will be shown.
     */
    async prepareSpend(p: { vaultId: string; to: string; sats: string }) {
      const r = await ensure();
      const { vault, spend } = await buildSpend(r, p);
      const { summary } = checkSpend(vault, serializeUnsignedSpend(spend), false);
      const id = bytesToHex(randomBytes(16));
      pruneDrafts();
      drafts.set(id, { vaultId: vault.id, spend, expires: Date.now() + DRAFT_TTL_MS });
      return { id, vault: info(vault, r.publicKey), summary: summaryInfo(summary) };
    },
    async proposeDraft(id: string, memo?: string) {
      const r = await ensure();
      const draft = drafts.get(id);
      drafts.delete(id);
      if (!draft || draft.expires < Date.now())
        throw new SigningUnavailableError('This vault spend has expired; request it again');
      return r.service.propose(draft.vaultId, draft.spend, memo ? { memo } : {});
    },
    async session(id: string) {
      return (await ensure()).service.session(id);
    },
    /** The threshold of a vault this wallet serves (for session wording), if it is running. */
    thresholdOf(vaultId: string): number | undefined {
      return running?.vaults.get(vaultId)?.threshold;
    },
    /** Resolves when the session ends (completed, declined, expired, failed). */
    async settled(id: string) {
      return (await ensure()).service.settled(id);
    },
    /** Answers an invite: the join code (this wallet's member key, signed) to send back. */
    async joinInvite(code: string) {
      const r = await ensure();
      const invite = readInvite(code.trim(), { network: network() });
      if (bytesToHex(invite.creatorKey) === bytesToHex(r.publicKey))
        throw new SigningUnavailableError('This is your own invite: share it with the others');
      return {
        join: createJoin(invite, r.secretKey),
        label: invite.label,
        members: invite.memberCount,
        threshold: invite.threshold,
        policyText: describeInvitePolicy(invite),
      };
    },
    /** The creator turns its invite and the members' join codes into the vault, and keeps it. */
    async assembleInvite(code: string, joins: string[]) {
      const r = await ensure();
      const invite = readInvite(code.trim(), { network: network() });
      if (bytesToHex(invite.creatorKey) !== bytesToHex(r.publicKey))
        throw new SigningUnavailableError(
          'Only the wallet that created the invite can assemble it',
        );
      const vault = assembleVault(
        invite,
        joins.map((j) => j.trim()),
      );
      return this.addVault(encodeVaultDescriptor(vault));
    },
    /** A vault's members (this wallet marked), its balance and its sessions, for its screen. */
    async vaultDetails(id: string) {
      const r = await ensure();
      const vault = r.vaults.get(id);
      if (!vault) throw new SigningUnavailableError(`Unknown vault ${id}`);
      const utxos = await r.indexer.utxos(vault.script).catch(() => undefined);
      // A member is online when its peer (from an open session) has a live connection to us.
      const status = await deps.network.client
        .request('petal_networkStatus', {})
        .catch(() => undefined);
      const connected = new Set(status?.connections.map((c) => c.peerId));
      const peers = r.service.memberPeers(id);
      return {
        ...info(vault, r.publicKey),
        memberKeys: vault.members.map((k) => bytesToHex(k)),
        online: vault.members.map((_, i) =>
          i === memberIndex(vault, r.publicKey)
            ? true
            : peers[i]
              ? connected.has(peers[i] as string)
              : undefined,
        ),
        balance: utxos ? String(utxos.reduce((sum, u) => sum + u.value, 0n)) : undefined,
        sessions: r.service.sessions().filter((s) => s.vaultId === id),
      };
    },
    /** A signed invite code to form a new vault with this wallet as its creator. */
    async createInvite(p: InvitePolicyRequest) {
      const r = await ensure();
      const policy = invitePolicy(p);
      const { invite, code } = createInvite(r.secretKey, {
        network: network(),
        memberCount: p.members,
        ...(p.label ? { label: p.label } : {}),
        ...policy,
      });
      return {
        code,
        expiresAt: invite.expiresAt * 1000,
        members: invite.memberCount,
        threshold: invite.threshold,
        policyText: describeInvitePolicy(invite),
      };
    },
    /**
     * The policy an invite would carry, in plain words, or the VaultError saying what is wrong
     * (and for a tree too large, what would fit). Needs only the unlocked wallet's member key,
     * not the P2P node.
     */
    async previewPolicy(p: InvitePolicyRequest) {
      const policy = checkInvitePolicy(p.members, invitePolicy(p), await this.memberKey());
      return {
        members: p.members,
        threshold: policy.threshold,
        policyText: describeInvitePolicy({ memberCount: p.members, ...policy }),
      };
    },
    async sessions() {
      return (await ensure()).service.sessions();
    },
    async approve(id: string) {
      return (await ensure()).service.approve(id);
    },
    async decline(id: string, reason?: string) {
      return (await ensure()).service.decline(id, reason);
    },
    /** A frame from the network host; it wakes the protocol if the worker had been restarted. */
    async inbound(message: { topic?: string; from: string; data: string }): Promise<void> {
      const r = running ?? (await ensure().catch(() => undefined));
      r?.transport.deliver(message);
    },
  };
}

export type SigningHost = ReturnType<typeof createSigningHost>;
