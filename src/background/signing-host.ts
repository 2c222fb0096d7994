/**
 * Serves the wallet's vaults: keeps them, builds their spends and recoveries, and has the signing
 * protocol run where the network is (the signing runner beside the libp2p node, remote-signing.ts).
 * The runner gets the member key once the wallet is unlocked and the P2P node is up, and loses it
 * (with every in-memory secret nonce) when the wallet locks. After a service-worker restart the
 * background joins the runner still running, on the next request or the runner's next news.
 */
import { BroadcastRejectedError, ChronikIndexer } from '../core/chain/chronik.ts';
import { NETWORKS, addressToScript, broadcastOnEitherSide } from '../core/chain/index.ts';
import { FINISHED, type SessionView } from '../core/p2p/session.ts';
import { browser } from '../ext/browser.ts';
import { createKeepAlive } from './keep-alive.ts';
import {
  type RpcClient,
  type VaultInfo,
  type VaultRecoveryResult,
  type VaultRecoveryStatus,
} from '../core/rpc/index.ts';
import { type DerivedKey, vaultMemberKey } from '../core/wallet/keys.ts';
import type { KeystoreSecrets } from '../core/wallet/keystore.ts';
import { type RecordStore, WalletLockedError } from '../core/wallet/keystore-service.ts';
import { ServiceLifecycle, StoppedWhileStartingError } from './service-lifecycle.ts';
import {
  POLICY_MUSIG2_KEYPATH,
  type Vault,
  decodeVaultDescriptor,
  describePolicy,
  encodeVaultDescriptor,
  memberIndex,
  vaultFingerprint,
} from '../core/wallet/vault.ts';
import { buildVaultSpend } from '../core/wallet/vault-spend.ts';
import { fingerprintWords } from '../core/wallet/vault-words.ts';
import { vaultHistory } from '../core/wallet/vault-history.ts';
import { type Roster, policyNames } from '../core/wallet/roster.ts';
import type { WalletService } from '../core/wallet/wallet-service.ts';
import { RemoteTransport } from './remote-transport.ts';
import { RemoteSigning, type RunnerStart } from './remote-signing.ts';
import type { RunnerEvent } from '../offscreen/signing-runner.ts';
import { openSessionDb } from './session-db.ts';
import { type RefreshWatch, createRefreshWatch, proposalOutpoints } from './refresh-watch.ts';
import {
  RecoveryError,
  RecoveryNotOpenError,
  planRecoverySpend,
  recoveryStatus,
  refreshMarginBlocks,
  signRecoverySpend,
} from '../core/wallet/vault-recovery.ts';
import { MAX_REFRESH_INPUTS } from '../core/wallet/refresh-plan.ts';
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

/**
 * Vault descriptors the wallet keeps (also part of the encrypted backup): a member vault as its
 * descriptor string (the original format), a recovery vault as `{ descriptor, role: 'recovery' }`
 * (which older versions skip).
 */
const VAULTS_KEY = 'vaults';
/** What the refresh watch remembers per vault (refresh-watch.ts); not secret, not backed up. */
const REFRESH_KEY = 'vault-refresh';
/** The refresh check runs at least this often while the wallet is unlocked (an alarm wakes it). */
const REFRESH_ALARM = 'petal-vault-refresh';
const REFRESH_PERIOD_MINUTES = 10;
/** A burst of blocks (or transactions) makes one refresh check, this long after the last. */
const REFRESH_DEBOUNCE_MS = 1_000;
/** On start, give the mailboxes a moment to bring in other members' open proposals. */
const REFRESH_START_DELAY_MS = 5_000;

type VaultRole = 'member' | 'recovery';
interface StoredVault {
  descriptor: string;
  role: VaultRole;
}

function storedVaults(stored: unknown): StoredVault[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((entry): StoredVault[] => {
    if (typeof entry === 'string') return [{ descriptor: entry, role: 'member' }];
    if (
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as StoredVault).descriptor === 'string' &&
      (entry as StoredVault).role === 'recovery'
    )
      return [{ descriptor: (entry as StoredVault).descriptor, role: 'recovery' }];
    return [];
  });
}

const storedForm = (v: StoredVault): unknown =>
  v.role === 'member' ? v.descriptor : { descriptor: v.descriptor, role: v.role };

export class SigningUnavailableError extends Error {
  override name = 'SigningUnavailableError';
}

interface Running {
  service: RemoteSigning;
  /** Vault formation's transport (formation runs here, in the background). */
  transport: RemoteTransport;
  indexer: ChronikIndexer;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  vaults: Map<string, Vault>;
  refresh: RefreshWatch;
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

export function invitePolicy(p: InvitePolicyRequest): InvitePolicy {
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

/** A vault's members as this user knows them: which one is this wallet, and their names. */
const vaultRoster = (vault: Vault, me: number, names: ReadonlyMap<string, string>): Roster => ({
  me,
  keys: vault.members.map((k) => bytesToHex(k)),
  names,
});

const recoveryKeyIndex = (vault: Vault, key: Uint8Array): number =>
  (vault.recovery?.keys ?? []).findIndex((k) => bytesToHex(k) === bytesToHex(key));

export interface SigningHostDeps {
  wallet: WalletService;
  records: RecordStore;
  /** The user's names for member keys (src/core/wallet/contact-store.ts). */
  contacts: { names(): Promise<ReadonlyMap<string, string>> };
  ready: Promise<void>;
  network: { ensure(): Promise<void>; client: RpcClient };
}

export function createSigningHost(deps: SigningHostDeps) {
  const { wallet, records } = deps;
  // Start and stop serialised: a lock during a start discards what that start produced.
  const lifecycle = new ServiceLifecycle<Running>(
    () => start(),
    (r) => shutdown(r),
  );
  const listeners = new Set<SigningListener>();
  const emit: SigningListener = (kind, view) => {
    for (const listener of listeners) listener(kind, view);
  };
  // While any session is open, hold the worker awake; let it sleep otherwise.
  const keepAlive = createKeepAlive(() => browser.runtime.getPlatformInfo());
  const holdWhileOpen = () =>
    keepAlive.update(
      (lifecycle.current?.service.sessions() ?? [])
        .filter((s) => !FINISHED.has(s.phase))
        .map((s) => s.id),
    );
  listeners.add(holdWhileOpen);

  const stored = async (): Promise<StoredVault[]> => storedVaults(await records.get(VAULTS_KEY));

  const network = () => NETWORKS[wallet.settings.network];

  // A threshold vault's tree costs one KeyAgg per leaf: decode each descriptor once.
  const decoded = new Map<string, Vault>();
  const decode = (descriptor: string): Vault => {
    const key = `${wallet.settings.network}:${descriptor}`;
    let vault = decoded.get(key);
    if (!vault) decoded.set(key, (vault = decodeVaultDescriptor(descriptor, network())));
    return vault;
  };
  /** The kept vaults of the current network (a descriptor of another network is skipped). */
  const keptOnNetwork = async (): Promise<(StoredVault & { vault: Vault })[]> =>
    (await stored()).flatMap((entry) => {
      try {
        return [{ ...entry, vault: decode(entry.descriptor) }];
      } catch {
        return [];
      }
    });

  // The member key is derived from the seed (PBKDF2): once per unlocked secrets and network.
  const memberKeys = new WeakMap<KeystoreSecrets, Map<string, DerivedKey>>();
  const member = (): DerivedKey => {
    const secrets = wallet.keystore.secrets(); // WalletLockedError while locked
    let byNetwork = memberKeys.get(secrets);
    if (!byNetwork) memberKeys.set(secrets, (byNetwork = new Map()));
    let key = byNetwork.get(network().name);
    if (!key) byNetwork.set(network().name, (key = vaultMemberKey(secrets, network())));
    return key;
  };

  // Recovery needs only the indexer, not the P2P node: one client per indexer URL.
  let chain: ChronikIndexer | undefined;
  const indexer = (): ChronikIndexer => {
    if (chain?.url !== wallet.settings.chronikUrl.replace(/\/+$/, '')) {
      chain?.close();
      chain = new ChronikIndexer({ url: wallet.settings.chronikUrl });
    }
    return chain;
  };

  /** The recovery vaults this wallet keeps, with the index of its key in each. */
  async function recoveryVaults(): Promise<{ vault: Vault; keyIndex: number }[]> {
    await deps.ready;
    const entries = (await keptOnNetwork()).filter((e) => e.role === 'recovery');
    if (entries.length === 0) return [];
    const key = member().publicKey;
    return entries.flatMap(({ vault }) => {
      const keyIndex = recoveryKeyIndex(vault, key);
      return keyIndex < 0 ? [] : [{ vault, keyIndex }];
    });
  }

  /** A vault this wallet keeps, in either role, without starting the P2P node. */
  async function keptVault(id: string): Promise<{ vault: Vault; role: VaultRole } | undefined> {
    const live = lifecycle.current?.vaults.get(id);
    if (live) return { vault: live, role: 'member' };
    await deps.ready;
    const entry = (await keptOnNetwork()).find((e) => e.vault.id === id);
    return entry && { vault: entry.vault, role: entry.role };
  }

  async function start(): Promise<Running> {
    await deps.ready;
    const key = member();
    await deps.network.ensure();
    let status = await deps.network.client.request('petal_networkStatus', {});
    // After a browser restart the node is down: bring it up on the relays the user configured.
    const { relays, iceServers } = wallet.settings;
    if (!status.running && relays.length > 0)
      status = await deps.network.client.request(
        'petal_networkStart',
        { relays, iceServers },
        { timeoutMs: 30_000 },
      );
    if (!status.running || !status.peerId)
      throw new SigningUnavailableError(
        'Add a Petal relay in Settings first (the P2P node is not running)',
      );
    const transport = new RemoteTransport(deps.network.client, status.peerId);
    const indexer = new ChronikIndexer({ url: wallet.settings.chronikUrl });
    // The transcripts the runner writes, read here only to see which coins a session spends.
    const store = openSessionDb();
    const vaults = new Map<string, Vault>();
    const descriptors: string[] = [];
    for (const { vault, role } of await keptOnNetwork()) {
      if (role !== 'member') continue;
      if (memberIndex(vault, key.publicKey) < 0) continue;
      vaults.set(vault.id, vault);
      descriptors.push(encodeVaultDescriptor(vault));
    }
    const service = new RemoteSigning(deps.network.client, emit);
    await service.start({
      secretKey: bytesToHex(key.secretKey),
      network: network().name,
      chronikUrl: wallet.settings.chronikUrl,
      vaults: descriptors,
      replay: replayBelief(),
    });
    const refresh = createRefreshWatch({
      vaults: () =>
        [...vaults.values()].map((vault) => ({ vault, me: memberIndex(vault, key.publicKey) })),
      coins: (vault) => indexer.utxos(vault.script),
      tipHeight: async () => (await indexer.tip()).height,
      async busy(vaultId) {
        const open = service
          .sessions()
          .filter((view) => view.vaultId === vaultId && !FINISHED.has(view.phase));
        const busy = new Set<string>();
        for (const view of open) {
          const record = await store.get(view.id);
          for (const outpoint of proposalOutpoints(record?.envelopes ?? [])) busy.add(outpoint);
        }
        return busy;
      },
      propose: (vault, spend, memo) => service.propose(vault.id, spend, { memo }),
      load: () => records.get(REFRESH_KEY),
      save: (memory) => records.put(REFRESH_KEY, memory),
      log: (message) => console.info(`[petal] ${message}`),
    });
    const r: Running = {
      service,
      transport,
      indexer,
      secretKey: key.secretKey,
      publicKey: key.publicKey,
      vaults,
      refresh,
    };
    watchChain(r);
    refresh.schedule(REFRESH_START_DELAY_MS);
    browser.alarms.create(REFRESH_ALARM, { periodInMinutes: REFRESH_PERIOD_MINUTES });
    return r;
  }

  /** Every block (and vault transaction) the indexer reports brings a refresh check. */
  function watchChain(r: Running): void {
    const scripts = [...r.vaults.values()].filter((v) => v.recovery).map((v) => v.script);
    if (scripts.length === 0) return;
    r.indexer.watch(scripts, (event) => {
      if (event.type !== 'error') r.refresh.schedule(REFRESH_DEBOUNCE_MS);
    });
  }

  // The alarm wakes a sleeping worker; the check needs the protocol running (to propose).
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name !== REFRESH_ALARM) return;
    void (async () => {
      await deps.ready;
      if (wallet.view().status !== 'unlocked') return;
      const r = lifecycle.current ?? (await ensure());
      await r.refresh.check();
    })().catch(() => undefined);
  });

  async function ensure(): Promise<Running> {
    let r: Running;
    try {
      r = await lifecycle.ensure();
    } catch (err) {
      if (err instanceof StoppedWhileStartingError) throw new WalletLockedError();
      throw err;
    }
    holdWhileOpen(); // sessions resumed after a worker restart count too
    return r;
  }

  /**
   * One belief about the replay-protection side for sends and vault spends alike: the runner
   * starts from the wallet's and reports back what the network teaches it.
   */
  const replayBelief = (): RunnerStart['replay'] => {
    const name = network().name;
    const activationTime = wallet.settings.replayActivation[name];
    return {
      ...(activationTime !== undefined ? { activationTime } : {}),
      learned: wallet.replaySwitch.memory(name),
    };
  };
  let replaySent = '';
  wallet.onChange(() => {
    const r = lifecycle.current;
    if (!r) return;
    const belief = replayBelief();
    const text = JSON.stringify(belief);
    if (text === replaySent) return;
    replaySent = text;
    void r.service.replay(belief).catch(() => undefined);
  });
  // A worker that starts with the wallet locked takes the key back from a runner still holding
  // it (the worker had stopped before it could; no document, no runner: the request just fails).
  void deps.ready.then(() => {
    if (wallet.view().status !== 'unlocked' && !lifecycle.current)
      void deps.network.client.request('petal_runnerStop', {}).catch(() => undefined);
  });

  async function shutdown(r: Running): Promise<void> {
    r.refresh.stop();
    void browser.alarms.clear(REFRESH_ALARM);
    await r.service.stop();
    r.indexer.close();
  }

  async function stop(): Promise<void> {
    keepAlive.update([]);
    await lifecycle.stop();
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

  /** The vault as the popup shows it; its policy names members as the user knows them. */
  const info = (vault: Vault, me: Uint8Array, names: ReadonlyMap<string, string>): VaultInfo => {
    const index = memberIndex(vault, me);
    const recoveryKey = index < 0 ? recoveryKeyIndex(vault, me) : -1;
    const recovery = vault.recovery;
    return {
      id: vault.id,
      label: vault.label,
      address: vault.address,
      fingerprint: vaultFingerprint(vault),
      fingerprintWords: fingerprintWords(vault),
      members: vault.members.length,
      role: index < 0 && recoveryKey >= 0 ? 'recovery' : 'member',
      me: index,
      ...(recoveryKey >= 0 ? { recoveryKey } : {}),
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
      policyText: describePolicy(
        vault,
        policyNames(vaultRoster(vault, index, names), {
          members: vault.members.length,
          recoveryKeys: recovery?.keys.length ?? 0,
          myRecoveryKey: recoveryKey,
        }),
      ),
    };
  };

  /** Reads a vault's coins and the tip; every coin's standing against the recovery lock. */
  async function coinStatus(vault: Vault) {
    const chainNow = indexer();
    const [tip, utxos] = await Promise.all([chainNow.tip(), chainNow.utxos(vault.script)]);
    const statuses = recoveryStatus(vault, utxos, tip.height).sort(
      (a, b) => a.opensAtHeight - b.opensAtHeight,
    );
    return { chain: chainNow, tip, utxos, statuses };
  }

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
      return member().publicKey;
    },
    /** The running protocol's transport and this wallet's member key pair (vault formation). */
    async formationAccess() {
      const r = await ensure();
      return { transport: r.transport, secretKey: r.secretKey, network: network() };
    },
    /**
     * Keeps a vault: as a member vault (served by the signing protocol) when this wallet's member
     * key is one of its members, as a recovery vault (watched, never signed for in sessions) when
     * it is one of its recovery keys.
     */
    async addVault(descriptor: string): Promise<VaultInfo> {
      await deps.ready;
      const vault = decodeVaultDescriptor(descriptor, network());
      const key = member().publicKey;
      const role: VaultRole | undefined =
        memberIndex(vault, key) >= 0
          ? 'member'
          : recoveryKeyIndex(vault, key) >= 0
            ? 'recovery'
            : undefined;
      if (!role)
        throw new SigningUnavailableError(
          'This wallet’s vault key is neither a member nor a recovery key of that vault',
        );
      const r = role === 'member' ? await ensure() : undefined;
      const kept = await stored();
      const canonical = encodeVaultDescriptor(vault);
      if (!kept.some((e) => e.descriptor === canonical)) {
        // Appended to what is stored as it is: entries this version does not read are kept.
        const raw: unknown = await records.get(VAULTS_KEY);
        const list = Array.isArray(raw) ? raw : [];
        await records.put(VAULTS_KEY, [...list, storedForm({ descriptor: canonical, role })]);
        if (role === 'recovery') emit('vaults', undefined);
      }
      if (r && !r.vaults.has(vault.id)) {
        r.vaults.set(vault.id, vault);
        await r.service.addVault(canonical);
        watchChain(r);
        r.refresh.schedule(REFRESH_DEBOUNCE_MS);
        emit('vaults', undefined);
      }
      return info(vault, key, await deps.contacts.names());
    },
    /** The member vaults (what dApps see and sessions spend from). */
    async listVaults(): Promise<VaultInfo[]> {
      const r = await ensure();
      const names = await deps.contacts.names();
      return [...r.vaults.values()].map((v) => info(v, r.publicKey, names));
    },
    /**
     * Member vaults, then recovery vaults (for the popup). A wallet that only holds recovery keys
     * does not need the P2P node for this.
     */
    async listAllVaults(): Promise<VaultInfo[]> {
      const recovery = await recoveryVaults();
      const hasMembers = (await stored()).some((e) => e.role === 'member');
      const members = hasMembers || recovery.length === 0 ? await this.listVaults() : [];
      const key = member().publicKey;
      const names = await deps.contacts.names();
      return [...members, ...recovery.map(({ vault }) => info(vault, key, names))];
    },
    /** When each coin of a vault with a recovery path opens to it; for members and holders. */
    async recoveryStatus(id: string): Promise<VaultRecoveryStatus> {
      const kept = await keptVault(id);
      if (!kept) throw new SigningUnavailableError(`Unknown vault ${id}`);
      const { vault, role } = kept;
      if (!vault.recovery)
        throw new RecoveryError('no-recovery-path', 'This vault has no recovery path');
      const { tip, statuses } = await coinStatus(vault);
      const sum = (list: typeof statuses) =>
        String(list.reduce((total, s) => total + s.coin.value, 0n));
      const refusal =
        role !== 'recovery'
          ? 'Only a recovery key holder’s wallet recovers; members spend through sessions'
          : vault.recovery.threshold > 1
            ? `Recovery needs ${vault.recovery.threshold} recovery keys together, which Petal ` +
              'does not sign yet'
            : undefined;
      return {
        vaultId: vault.id,
        role,
        tipHeight: tip.height,
        afterBlocks: vault.recovery.afterBlocks,
        refreshMarginBlocks: refreshMarginBlocks(vault),
        coins: statuses.map((s) => ({
          txid: s.coin.txid,
          vout: s.coin.vout,
          sats: String(s.coin.value),
          blockHeight: s.coin.blockHeight,
          opensAtHeight: s.opensAtHeight,
          blocksLeft: s.blocksLeft,
          open: s.open,
          about: s.about,
        })),
        totalSats: sum(statuses),
        openSats: sum(statuses.filter((s) => s.open)),
        canRecover: refusal === undefined,
        ...(refusal ? { refusal } : {}),
      };
    },
    /**
     * A recovery key holder sweeps every open coin of the vault to this wallet's receive address:
     * signed through its recovery leaf, checked locally, broadcast on the replay-protection side
     * the wallet believes in (the other once if a node says the script failed).
     * @throws RecoveryNotOpenError when no coin is open yet (its message says when the first
     *   opens); RecoveryError / SeveralKeyRecoveryError for what cannot be recovered.
     */
    async recover(id: string): Promise<VaultRecoveryResult> {
      const kept = await keptVault(id);
      if (!kept) throw new SigningUnavailableError(`Unknown vault ${id}`);
      const { vault, role } = kept;
      const keyIndex = role === 'recovery' ? recoveryKeyIndex(vault, member().publicKey) : -1;
      if (keyIndex < 0)
        throw new RecoveryError(
          'unknown-key',
          'This wallet holds no recovery key of that vault; its members spend through sessions',
        );
      const { chain: chainNow, tip, statuses } = await coinStatus(vault);
      if (statuses.length === 0)
        throw new RecoveryError('no-coins', 'The vault holds no coins to recover');
      // The soonest first: one transaction takes at most as many coins as a session would.
      const open = statuses.filter((s) => s.open).slice(0, MAX_REFRESH_INPUTS);
      if (open.length === 0) throw new RecoveryNotOpenError(statuses);
      const to = await wallet.receiveAddress();
      const net = network();
      const plan = planRecoverySpend({
        vault,
        keyIndex,
        coins: open.map((s) => s.coin),
        tipHeight: tip.height,
        to: addressToScript(to, net),
      });
      const secretKey = member().secretKey;
      const sent = await broadcastOnEitherSide(
        wallet.replaySwitch.active(net, tip.medianTime),
        (side) => signRecoverySpend(plan, secretKey, side).raw,
        (raw) => chainNow.broadcast(raw),
        (err) => (err instanceof BroadcastRejectedError ? err.reason : undefined),
      );
      wallet.replaySwitch.learn(net, sent.replayProtection, tip.medianTime);
      void wallet.refresh().catch(() => undefined);
      return {
        txid: sent.txid,
        to,
        sats: String(plan.amount),
        feeSats: String(plan.fee),
        coins: open.length,
        replayProtection: sent.replayProtection,
      };
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
      const names = await deps.contacts.names();
      return { id, vault: info(vault, r.publicKey, names), summary: summaryInfo(summary) };
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
      return lifecycle.current?.vaults.get(vaultId)?.threshold;
    },
    /** A vault's `limit` latest receipts and spends (members and recovery key holders). */
    async vaultHistory(id: string, limit?: number) {
      const kept = await keptVault(id);
      if (!kept) throw new SigningUnavailableError(`Unknown vault ${id}`);
      return vaultHistory(indexer(), kept.vault.script, network(), limit);
    },
    /** One transaction from the vault's point of view, for the detail screen. */
    async vaultTransaction(id: string, txid: string) {
      const kept = await keptVault(id);
      if (!kept) throw new SigningUnavailableError(`Unknown vault ${id}`);
      const script = bytesToHex(kept.vault.script);
      return wallet.transaction(txid, (hex) => hex === script);
    },
    /** Who a served vault's members are to this user (notifications name them), if it runs. */
    async rosterOf(vaultId: string): Promise<Roster | undefined> {
      const r = lifecycle.current;
      const vault = r?.vaults.get(vaultId);
      if (!r || !vault) return undefined;
      return vaultRoster(vault, memberIndex(vault, r.publicKey), await deps.contacts.names());
    },
    /** The member keys (hex) of a vault this wallet serves, so its pages can name members. */
    membersOf(vaultId: string): string[] | undefined {
      return lifecycle.current?.vaults.get(vaultId)?.members.map((k) => bytesToHex(k));
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
      const kept = lifecycle.current?.vaults.has(id) ? undefined : await keptVault(id);
      if (kept?.role === 'recovery') {
        // A recovery key holder is no member: no sessions, no peers; the indexer is enough.
        const utxos = await indexer()
          .utxos(kept.vault.script)
          .catch(() => undefined);
        return {
          ...info(kept.vault, member().publicKey, await deps.contacts.names()),
          memberKeys: kept.vault.members.map((k) => bytesToHex(k)),
          online: kept.vault.members.map(() => undefined),
          ...(utxos ? { balance: String(utxos.reduce((sum, u) => sum + u.value, 0n)) } : {}),
          sessions: [],
        };
      }
      const r = await ensure();
      const vault = r.vaults.get(id);
      if (!vault) throw new SigningUnavailableError(`Unknown vault ${id}`);
      const utxos = await r.indexer.utxos(vault.script).catch(() => undefined);
      // A member is online when its peer (from an open session) has a live connection to us.
      const status = await deps.network.client
        .request('petal_networkStatus', {})
        .catch(() => undefined);
      const connected = new Set(status?.connections.map((c) => c.peerId));
      const peers = await r.service.memberPeers(id).catch(() => []);
      return {
        ...info(vault, r.publicKey, await deps.contacts.names()),
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
        policyText: describeInvitePolicy(invite, { me: 0 }),
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
        policyText: describeInvitePolicy({ memberCount: p.members, ...policy }, { me: 0 }),
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
    /**
     * The runner's news: a session changed (a sleeping worker wakes and joins the runner first),
     * or the network taught the replay-protection side.
     */
    async runnerEvent(event: RunnerEvent): Promise<void> {
      await deps.ready;
      if (event.learned) {
        const { network: name, active, medianTime } = event.learned;
        wallet.replaySwitch.learn(NETWORKS[name], active, medianTime);
        return;
      }
      const r = lifecycle.current ?? (await ensure().catch(() => undefined));
      r?.service.receive(event);
    },
    /** A vault-formation frame from the network host; it wakes the formation's transport. */
    async inbound(message: { topic?: string; from: string; data: string }): Promise<void> {
      const r = lifecycle.current ?? (await ensure().catch(() => undefined));
      r?.transport.deliver(message);
    },
  };
}

export type SigningHost = ReturnType<typeof createSigningHost>;
