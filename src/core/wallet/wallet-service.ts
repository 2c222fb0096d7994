/**
 * The wallet as the background runs it: keystore lifecycle, settings, the HD account, chain sync
 * through a `ChainIndexer`, sends and backups. Every business rule of the single-signature wallet
 * lives here or below; the background only adapts messages and platform APIs to these methods,
 * and the popup only renders `WalletView` snapshots (JSON-safe: amounts are decimal sat strings).
 */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import * as v from 'valibot';
import { ExplorerUrl } from './explorer-url.ts';
import { signMessage } from '../chain/signed-message.ts';
import { getPublicKey } from '../crypto/schnorr.ts';
import type { ChainIndexer, ConnectionState } from '../chain/chronik.ts';
import { NETWORKS, type NetworkName } from '../chain/index.ts';
import { BroadcastRejectedError } from '../chain/chronik.ts';
import {
  type ReplaySideMemory,
  ReplaySwitch,
  broadcastOnEitherSide,
} from '../chain/replay-side.ts';
import { EMPTY_ACCOUNT, type AccountMeta, HdAccount } from './account.ts';
import { type SendPlan, planSend, signSend } from './account-send.ts';
import {
  type AccountSnapshot,
  type ActivityEntry,
  activityOf,
  balanceOf,
  discoverUsed,
  fetchSnapshot,
  toUtxos,
} from './account-sync.ts';
import { parseXpi } from './amount.ts';
import { type BackupContents, BackupFormatError, exportBackup, importBackup } from './backup.ts';
import { createMnemonic, normalizeMnemonic } from './keys.ts';
import { type IceServer, IceServerList } from '../network/ice-servers.ts';
import { CONTACTS_KEY } from './contact-store.ts';
import { ContactFormatError, parseContactList } from './contacts.ts';
import { KeystoreError, type KeystoreSecrets } from './keystore.ts';
import {
  DEFAULT_IDLE_MINUTES,
  KEYSTORE_RECORD_KEY,
  KeystoreService,
  type LockStatus,
  type RecordStore,
  type SessionStore,
  WalletExistsError,
  WalletLockedError,
} from './keystore-service.ts';
import { decodeVaultDescriptor } from './vault.ts';
import {
  type Label,
  type LabelType,
  StoredLabels,
  formatBip329,
  mergeLabels,
  parseBip329,
} from './labels.ts';
import { type TxDetail, txDetail } from './tx-detail.ts';

export const DEFAULT_CHRONIK_URLS: Record<NetworkName, string> = {
  mainnet: 'https://chronik.lotusia.org',
  testnet: 'https://testnet.lotusia.org/chronik',
  // The embedded devnet's default port (`npm run devnet`).
  regtest: 'http://127.0.0.1:7321',
};

/**
 * Where "View in explorer" points, per network: an https URL template with `{txid}`. Empty = no
 * link (no public explorer for the network). The testnet and regtest have none Petal can vouch for.
 */
export const DEFAULT_EXPLORER_URLS: Record<NetworkName, string> = {
  mainnet: 'https://explorer.lotusia.org/tx/{txid}',
  testnet: '',
  regtest: '',
};

export interface WalletSettings {
  network: NetworkName;
  /** Chronik base URL for the selected network. */
  chronikUrl: string;
  autoLockMinutes: number;
  /** Petal relays (multiaddrs) the P2P node joins to find vault members; empty = offline. */
  relays: string[];
  /**
   * The user's replay-protection activation time per network (seconds), for a lotusd release
   * that moves it; absent = lotusd's own (network.ts).
   */
  replayActivation: Partial<Record<NetworkName, number>>;
  /** Block explorer URL template per network (`{txid}` is replaced); empty = no link. */
  explorerUrls: Record<NetworkName, string>;
  /** STUN/TURN servers the user added, besides each joined relay's STUN; none by default. */
  iceServers: IceServer[];
}

export const DEFAULT_SETTINGS: WalletSettings = {
  network: 'mainnet',
  chronikUrl: DEFAULT_CHRONIK_URLS.mainnet,
  autoLockMinutes: DEFAULT_IDLE_MINUTES,
  relays: [],
  replayActivation: {},
  explorerUrls: DEFAULT_EXPLORER_URLS,
  iceServers: [],
};

const Relay = v.pipe(v.string(), v.minLength(4), v.maxLength(512), v.startsWith('/'));
const RelayList = v.pipe(v.array(Relay), v.maxLength(8));

// Between 2020 and 2100: anything else is a typo, not a lotusd release.
const ActivationTime = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(1_577_836_800),
  v.maxValue(4_102_444_800),
);
const ReplayActivation = v.strictObject({
  mainnet: v.optional(ActivationTime),
  testnet: v.optional(ActivationTime),
  regtest: v.optional(ActivationTime),
});

const ChronikUrl = v.pipe(
  v.string(),
  v.maxLength(512),
  v.regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'Enter an http(s) URL such as https://host/path'),
);
const ExplorerUrls = v.object({
  mainnet: v.optional(ExplorerUrl, DEFAULT_EXPLORER_URLS.mainnet),
  testnet: v.optional(ExplorerUrl, DEFAULT_EXPLORER_URLS.testnet),
  regtest: v.optional(ExplorerUrl, DEFAULT_EXPLORER_URLS.regtest),
});

export const SettingsPatch = v.strictObject({
  network: v.optional(v.picklist(['mainnet', 'testnet', 'regtest'])),
  chronikUrl: v.optional(ChronikUrl),
  autoLockMinutes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1440))),
  relays: v.optional(RelayList),
  iceServers: v.optional(IceServerList),
  /** Sets (a time) or clears (null) one network's replay-protection activation time. */
  replayActivation: v.optional(
    v.strictObject({
      network: v.picklist(['mainnet', 'testnet', 'regtest']),
      time: v.nullable(ActivationTime),
    }),
  ),
  /** Sets one network's explorer URL template ('' = no link; null = back to the default). */
  explorerUrl: v.optional(
    v.strictObject({
      network: v.picklist(['mainnet', 'testnet', 'regtest']),
      url: v.nullable(ExplorerUrl),
    }),
  ),
});
export type SettingsPatch = v.InferOutput<typeof SettingsPatch>;

const StoredSettings = v.object({
  network: v.picklist(['mainnet', 'testnet', 'regtest']),
  chronikUrl: ChronikUrl,
  autoLockMinutes: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1440)),
  // Records written before relays were a setting have none.
  relays: v.optional(RelayList, []),
  replayActivation: v.optional(ReplayActivation, {}),
  // Records written before explorer links were a setting take the defaults.
  explorerUrls: v.optional(ExplorerUrls, DEFAULT_EXPLORER_URLS),
  // Records written before ICE servers were a setting have none.
  iceServers: v.optional(IceServerList, []),
});
const StoredMeta = v.object({
  receiveIndex: v.pipe(v.number(), v.integer(), v.minValue(0)),
  changeIndex: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

export interface ActivityView {
  txid: string;
  kind: ActivityEntry['kind'];
  net: string;
  fee?: string;
  counterparty?: string;
  confirmations: number;
  time: number;
}

/** Which side of lotusd's replay-protection switch the wallet signs for, and why (About). */
export interface ReplayView {
  /** Signatures use the replay-protected hash type at the current tip. */
  active: boolean;
  /** The activation time the wallet assumes (seconds): the user's, or lotusd's. */
  activationTime: number;
  overridden: boolean;
  /** The tip's median time past the side was judged at. */
  medianTime: number;
  /** Bounds learned from transactions the network accepted. */
  learned: ReplaySideMemory;
}

export interface ChainView {
  connection: ConnectionState['state'];
  error?: string;
  tipHeight?: number;
  syncing: boolean;
  lastSync?: number;
}

/** Everything the popup renders. Never contains a secret. */
export interface WalletView {
  status: LockStatus;
  /** Why a damaged wallet cannot open, and what to do. */
  problem?: string;
  settings: WalletSettings;
  lockAt?: number;
  chain?: ChainView;
  balance?: { confirmed: string; pending: string; total: string };
  receiveAddress?: string;
  activity?: ActivityView[];
  replay?: ReplayView;
}

/** One transaction in full for the detail screen (see `WalletService.transaction`). */
export interface TransactionView extends TxDetail {
  /** The explorer page for it, when the network has an explorer configured. */
  explorerUrl?: string;
  /** The user's labels: the transaction's, and those of its addresses (address → label). */
  labels: { tx?: string; addr: Record<string, string> };
}

export interface SendPreview {
  id: string;
  to: string;
  amount: string;
  fee: string;
  total: string;
  size: number;
  outputs: { address: string; value: string; isChange: boolean }[];
}

export class WalletError extends KeystoreError {
  override name = 'WalletError';
}

export interface WalletServiceDeps {
  subtle: SubtleCrypto;
  records: RecordStore;
  session: SessionStore;
  /** Makes an indexer client for a Chronik URL (the real one, or a test double). */
  indexer: (url: string) => ChainIndexer;
  now?: () => number;
  /** PBKDF2 iterations for new records and backups (tests only lower it). */
  iterations?: number;
}

const SETTINGS_KEY = 'settings';
const LABELS_KEY = 'labels';
const VAULTS_KEY = 'vaults';
const REPLAY_SIDE_KEY = 'replay-side';
const ReplayMemory = v.object({ onAt: v.optional(v.number()), offAt: v.optional(v.number()) });
const StoredReplaySides = v.object({
  mainnet: v.optional(ReplayMemory),
  testnet: v.optional(ReplayMemory),
  regtest: v.optional(ReplayMemory),
});
const accountKey = (network: NetworkName) => `account:${network}`;
const DRAFT_TTL_MS = 10 * 60_000;
const CONFIRM_WORDS = 3;

export class WalletService {
  readonly keystore: KeystoreService;
  readonly #deps: WalletServiceDeps;
  readonly #now: () => number;
  readonly #listeners = new Set<(view: WalletView) => void>();
  #status: LockStatus = 'uninitialized';
  #problem: string | undefined;
  #settings: WalletSettings = DEFAULT_SETTINGS;
  #pending: { mnemonic: string; confirm: number[]; expires: number } | undefined;
  #session: ChainSession | undefined;
  #drafts = new Map<string, { plan: SendPlan; expires: number }>();
  #learned: Partial<Record<NetworkName, ReplaySideMemory>> = {};
  /**
   * The replay-protection side for single-signature sends and the vaults' signing service: the
   * user's activation time or lotusd's, corrected by what the network accepted.
   */
  readonly replaySwitch: ReplaySwitch;

  constructor(deps: WalletServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.replaySwitch = new ReplaySwitch({
      activationTime: (network) => this.#settings.replayActivation[network],
      onLearn: (network, memory) => {
        this.#learned = { ...this.#learned, [network]: memory };
        void this.#deps.records.put(REPLAY_SIDE_KEY, this.#learned).catch(() => undefined);
      },
    });
    this.keystore = new KeystoreService({
      subtle: deps.subtle,
      records: deps.records,
      session: deps.session,
      now: deps.now,
      iterations: deps.iterations,
    });
  }

  /** Loads settings and, after a worker restart, reopens an unlocked session. */
  async init(): Promise<void> {
    const stored = v.safeParse(StoredSettings, await this.#deps.records.get(SETTINGS_KEY));
    this.#settings = stored.success ? stored.output : DEFAULT_SETTINGS;
    this.keystore.setIdleMinutes(this.#settings.autoLockMinutes);
    const learned = v.safeParse(StoredReplaySides, await this.#deps.records.get(REPLAY_SIDE_KEY));
    if (learned.success) {
      this.#learned = learned.output;
      this.replaySwitch.restore(learned.output);
    }
    if (await this.keystore.restore()) await this.#open();
    await this.#refreshStatus();
  }

  onChange(listener: (view: WalletView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get settings(): WalletSettings {
    return this.#settings;
  }

  /** Epoch ms when the wallet locks itself (0 while locked). */
  get lockAt(): number {
    return this.keystore.deadline;
  }

  view(): WalletView {
    const view: WalletView = { status: this.#status, settings: this.#settings };
    if (this.#problem) view.problem = this.#problem;
    const session = this.#session;
    if (this.#status !== 'unlocked' || !session) return view;
    view.lockAt = this.keystore.deadline;
    const connection = session.indexer.connection;
    view.chain = {
      connection: connection.state,
      error: connection.state === 'offline' ? connection.error : undefined,
      tipHeight: session.snapshot?.tipHeight,
      syncing: session.syncing,
      lastSync: session.lastSync,
    };
    view.receiveAddress = session.account.receiveAddress.address;
    if (session.snapshot) {
      const balance = balanceOf(session.snapshot, (hex) => session.account.owns(hex));
      view.balance = {
        confirmed: String(balance.confirmed),
        pending: String(balance.pending),
        total: String(balance.confirmed + balance.pending),
      };
      view.activity = activityOf(
        session.snapshot,
        (hex) => session.account.owns(hex),
        session.account.network,
      )
        .slice(0, 50)
        .map((a) => ({
          txid: a.txid,
          kind: a.kind,
          net: String(a.net),
          fee: a.fee === undefined ? undefined : String(a.fee),
          counterparty: a.counterparty,
          confirmations: a.confirmations,
          time: a.time,
        }));
      const network = session.account.network;
      const medianTime = session.snapshot.tipMedianTime;
      view.replay = {
        active: this.replaySwitch.active(network, medianTime),
        activationTime: this.replaySwitch.activationTime(network),
        overridden: this.#settings.replayActivation[network.name] !== undefined,
        medianTime,
        learned: this.replaySwitch.memory(network.name),
      };
    }
    return view;
  }

  // ——— keystore ———

  /** Step 1 of creating a wallet: a new phrase, and which words the user must confirm. */
  newMnemonic(words: 12 | 24): { mnemonic: string; confirm: number[] } {
    const mnemonic = createMnemonic(words);
    const picks = new Set<number>();
    const random = randomBytes(32);
    for (let i = 0; picks.size < CONFIRM_WORDS; i++) picks.add((random[i % 32] as number) % words);
    const confirm = [...picks].sort((a, b) => a - b);
    this.#pending = { mnemonic, confirm, expires: this.#now() + 30 * 60_000 };
    return { mnemonic, confirm };
  }

  /** Step 2: the user typed back the words asked for; store the phrase under the password. */
  async createFromPending(password: string, words: string[]): Promise<void> {
    const pending = this.#pending;
    if (!pending || pending.expires < this.#now())
      throw new WalletError('The new recovery phrase has expired; start again');
    const phrase = pending.mnemonic.split(' ');
    const wrong = pending.confirm.filter(
      (index, i) => (words[i] ?? '').trim().toLowerCase() !== phrase[index],
    );
    if (wrong.length > 0)
      throw new WalletError(
        `Word ${wrong.map((i) => `#${i + 1}`).join(', ')} does not match your recovery phrase`,
      );
    await this.#install(password, { mnemonic: pending.mnemonic, passphrase: '' }, false);
    this.#pending = undefined;
  }

  /** Imports a phrase. `replace` restores over an existing (forgotten or damaged) wallet. */
  async importMnemonic(
    password: string,
    mnemonic: string,
    options: { passphrase?: string; replace?: boolean } = {},
  ): Promise<void> {
    const normalized = normalizeMnemonic(mnemonic);
    await this.#install(
      password,
      { mnemonic: normalized, passphrase: options.passphrase ?? '' },
      options.replace ?? false,
      true,
    );
  }

  async unlock(password: string): Promise<void> {
    await this.keystore.unlock(password);
    await this.#open();
    await this.#refreshStatus();
  }

  async lock(): Promise<void> {
    this.#close();
    await this.keystore.lock();
    await this.#refreshStatus();
  }

  /** Locks if the idle deadline passed (the alarm fired, or on any request). */
  async lockIfExpired(): Promise<boolean> {
    if (!(await this.keystore.lockIfExpired())) return false;
    this.#close();
    await this.#refreshStatus();
    return true;
  }

  /** User activity: extends the auto-lock deadline. */
  async touch(): Promise<number> {
    if (await this.lockIfExpired()) return 0;
    return this.keystore.touch();
  }

  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await this.keystore.changePassword(oldPassword, newPassword);
    if (!this.#session) await this.#open();
    await this.#refreshStatus();
  }

  /** The recovery phrase, after the password is checked again. */
  async revealMnemonic(password: string): Promise<string> {
    return (await this.keystore.verifyPassword(password)).mnemonic;
  }

  // ——— backups ———

  async exportBackup(password: string): Promise<string> {
    const secrets = await this.keystore.verifyPassword(password);
    const accounts: Record<string, unknown> = {};
    for (const name of Object.keys(NETWORKS) as NetworkName[]) {
      const meta = await this.#deps.records.get(accountKey(name));
      if (meta !== undefined) accounts[name] = meta;
    }
    const contents: BackupContents = {
      secrets,
      accounts,
      vaults: asArray(await this.#deps.records.get(VAULTS_KEY)),
      contacts: parseContactList(await this.#deps.records.get(CONTACTS_KEY)),
      settings: this.#settings,
      createdAt: this.#now(),
    };
    return exportBackup(this.#deps.subtle, password, contents, this.#deps.iterations);
  }

  /** Restores everything in a backup; its password becomes the wallet's password. */
  /**
   * Restores a backup: recovery phrase, account indices, vaults, contacts and settings. The
   * whole backup is decrypted and checked before anything is written, an existing wallet is
   * refused before anything is written (unless `replace`: the recovery screen), and the restore
   * is all or nothing: if any write fails, every record it touched is put back as it was.
   * @throws BackupFormatError (damaged, or contents Petal would not have written),
   *   WrongPasswordError, WalletExistsError.
   */
  async importBackup(text: string, password: string, replace = false): Promise<void> {
    const plan = restorePlan(await importBackup(this.#deps.subtle, text, password));
    const { status } = await this.keystore.status();
    if (!replace && status !== 'uninitialized' && status !== 'corrupted')
      throw new WalletExistsError();
    const records = this.#deps.records;
    if (records.putMany) {
      // Every record, the settings and the keystore in one transaction: all or nothing.
      this.#close();
      await this.keystore.createWith(password, plan.secrets, true, [
        ...plan.records,
        [SETTINGS_KEY, plan.settings],
      ]);
      this.#settings = plan.settings;
      this.keystore.setIdleMinutes(plan.settings.autoLockMinutes);
      await this.#open(false);
      await this.#refreshStatus();
      return;
    }
    const keys = [...plan.records.map(([key]) => key), SETTINGS_KEY, KEYSTORE_RECORD_KEY];
    const before = await Promise.all(
      keys.map(async (key): Promise<[string, unknown]> => [key, await records.get(key)]),
    );
    const settingsBefore = this.#settings;
    let keystoreTouched = false;
    try {
      for (const [key, value] of plan.records)
        await (value === undefined ? records.delete(key) : records.put(key, value));
      await this.#saveSettings(plan.settings);
      keystoreTouched = true;
      await this.#install(password, plan.secrets, replace, false, true);
    } catch (err) {
      // Put back every record as it was; the wallet the backup held must not stay open.
      if (keystoreTouched) {
        this.#close();
        await this.keystore.lock().catch(() => undefined);
      }
      for (const [key, value] of before)
        await (value === undefined ? records.delete(key) : records.put(key, value)).catch(
          () => undefined,
        );
      this.#settings = settingsBefore;
      this.keystore.setIdleMinutes(settingsBefore.autoLockMinutes);
      await this.#refreshStatus().catch(() => undefined);
      throw err;
    }
  }

  // ——— settings ———

  async updateSettings(patch: SettingsPatch): Promise<WalletSettings> {
    const { replayActivation: activation, explorerUrl, ...checked } = v.parse(SettingsPatch, patch);
    const next: WalletSettings = { ...this.#settings, ...checked };
    if (explorerUrl)
      next.explorerUrls = {
        ...this.#settings.explorerUrls,
        [explorerUrl.network]: explorerUrl.url ?? DEFAULT_EXPLORER_URLS[explorerUrl.network],
      };
    if (activation) {
      const { [activation.network]: _old, ...others } = this.#settings.replayActivation;
      next.replayActivation =
        activation.time === null ? others : { ...others, [activation.network]: activation.time };
      // A user who sets the time starts from it, not from what an older node accepted.
      this.replaySwitch.forget(activation.network);
    }
    if (checked.network && checked.network !== this.#settings.network && !checked.chronikUrl)
      next.chronikUrl = DEFAULT_CHRONIK_URLS[checked.network];
    const reconnect =
      next.network !== this.#settings.network || next.chronikUrl !== this.#settings.chronikUrl;
    await this.#saveSettings(next);
    if (reconnect && this.#session) {
      this.#close();
      await this.#open();
    }
    this.#emit();
    return next;
  }

  // ——— history and labels ———

  /**
   * One transaction of this account in full, with the explorer link for the network and the
   * user's labels for it and its addresses. Read from the last sync, else asked of the indexer.
   * `owns` says whose point of view (a vault's script, for its history); default the account's.
   * @throws WalletLockedError; the indexer's error if it does not know the txid.
   */
  async transaction(txid: string, owns?: (scriptHex: string) => boolean): Promise<TransactionView> {
    const session = this.#requireSession();
    const id = txid.toLowerCase();
    const tx = session.snapshot?.txs.find((t) => t.txid === id) ?? (await session.indexer.tx(id));
    const detail = txDetail(
      tx,
      session.snapshot?.tipHeight ?? (await session.indexer.tip()).height,
      owns ?? ((hex) => session.account.owns(hex)),
      session.account.network,
    );
    const template = this.#settings.explorerUrls[session.account.network.name];
    const labels = await this.labels();
    const addresses = new Set(
      [...detail.inputs, ...detail.outputs].flatMap((p) => (p.address ? [p.address] : [])),
    );
    const addr: Record<string, string> = {};
    for (const l of labels) if (l.type === 'addr' && addresses.has(l.ref)) addr[l.ref] = l.label;
    return {
      ...detail,
      ...(template ? { explorerUrl: template.replaceAll('{txid}', detail.txid) } : {}),
      labels: { tx: labels.find((l) => l.type === 'tx' && l.ref === detail.txid)?.label, addr },
    };
  }

  /** Every label the user set (transactions and addresses), oldest first. */
  async labels(): Promise<Label[]> {
    const stored = v.safeParse(StoredLabels, await this.#deps.records.get(LABELS_KEY));
    return stored.success ? stored.output : [];
  }

  /** Sets (or, with an empty label, removes) the label of one transaction or address. */
  async setLabel(type: LabelType, ref: string, label: string): Promise<Label[]> {
    const [checked] = v.parse(StoredLabels, [
      { type, ref: type === 'tx' ? ref.toLowerCase() : ref, label },
    ]);
    const next = mergeLabels(await this.labels(), checked ? [checked] : []);
    await this.#deps.records.put(LABELS_KEY, next);
    return next;
  }

  /** The labels as a BIP-329 JSON-lines file. */
  async exportLabels(): Promise<string> {
    return formatBip329(await this.labels());
  }

  /**
   * Merges a BIP-329 file into the labels (an imported label replaces the one it names). Nothing
   * is written unless the whole file reads.
   * @throws LabelFormatError naming the first bad line.
   */
  async importLabels(text: string): Promise<{ imported: number; skipped: number }> {
    const { labels, skipped } = parseBip329(text);
    await this.#deps.records.put(LABELS_KEY, mergeLabels(await this.labels(), labels));
    return { imported: labels.length, skipped };
  }

  // ——— receive and send ———

  /** The current receive address; `fresh` hands out the next one even if this one is unpaid. */
  async receiveAddress(fresh = false): Promise<string> {
    const session = this.#requireSession();
    const address = fresh ? session.account.advanceReceive() : session.account.receiveAddress;
    await this.#saveMeta(session);
    session.indexer.watch(
      session.account.watched().map((a) => a.script),
      session.onEvent,
    );
    this.#emit();
    return address.address;
  }

  /**
   * The address a connected site sees: the account's first receive address. It stays the same
   * while fresh receive addresses are handed out, so a site's notion of "the account" is stable.
   */
  dappAddress(): string {
    return this.#requireSession().account.addressAt(0, 0).address;
  }

  /** Signs a message with the key of `dappAddress()` (see src/core/chain/signed-message.ts). */
  signMessage(message: string): { address: string; publicKey: string; signature: string } {
    const account = this.#requireSession().account;
    const { address, script } = account.addressAt(0, 0);
    const secretKey = account.keyFor(script);
    if (!secretKey) throw new WalletError('The signing key is not available');
    return {
      address,
      publicKey: bytesToHex(getPublicKey(secretKey)),
      signature: signMessage(message, secretKey),
    };
  }

  /** Validates and prices a send; nothing is signed until `confirmSend`. */
  async prepareSend(request: { to: string; amount?: string; max?: boolean }): Promise<SendPreview> {
    const session = this.#requireSession();
    if (!session.snapshot) await this.refresh();
    const snapshot = session.snapshot;
    if (!snapshot) throw new WalletError('The wallet has not synced with the network yet');
    const plan = planSend({
      to: request.to,
      amount: request.max ? undefined : parseXpi(request.amount ?? ''),
      max: request.max,
      utxos: toUtxos(snapshot.utxos),
      changeScript: session.account.changeAddress.script,
      network: session.account.network,
    });
    const id = bytesToHex(randomBytes(16));
    this.#pruneDrafts();
    this.#drafts.set(id, { plan, expires: this.#now() + DRAFT_TTL_MS });
    return {
      id,
      to: plan.to,
      amount: String(plan.amount),
      fee: String(plan.fee),
      total: String(plan.amount + plan.fee),
      size: plan.size,
      outputs: plan.outputs.map((o) => ({
        address: o.address,
        value: String(o.value),
        isChange: o.isChange,
      })),
    };
  }

  /** Signs, verifies locally and broadcasts a prepared send. Returns the txid. */
  async confirmSend(id: string): Promise<string> {
    const session = this.#requireSession();
    const draft = this.#drafts.get(id);
    if (!draft || draft.expires < this.#now())
      throw new WalletError('This send has expired; prepare it again');
    this.#drafts.delete(id);
    const network = session.account.network;
    const tip = await session.indexer.tip();
    const keyFor = (script: Uint8Array) => session.account.keyFor(script);
    // Signed for the side the wallet believes in; a node that disagrees gets the other once.
    const sent = await broadcastOnEitherSide(
      this.replaySwitch.active(network, tip.medianTime),
      (active) => signSend(draft.plan, keyFor, { active }).raw,
      (raw) => session.indexer.broadcast(raw),
      (err) => (err instanceof BroadcastRejectedError ? err.reason : undefined),
    );
    this.replaySwitch.learn(network, sent.replayProtection, tip.medianTime);
    const txid = sent.txid;
    if (draft.plan.change > 0n) session.account.markUsed([session.account.changeAddress.scriptHex]);
    await this.#saveMeta(session);
    await this.refresh();
    return txid;
  }

  /** Re-reads the account's chain state now. */
  async refresh(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    await session.sync();
  }

  // ——— internals ———

  async #install(
    password: string,
    secrets: KeystoreSecrets,
    replace: boolean,
    discover = false,
    keepMeta = false,
  ): Promise<void> {
    this.#close();
    await this.keystore.create(password, secrets, replace || this.#status === 'corrupted');
    if (!keepMeta) {
      for (const name of Object.keys(NETWORKS) as NetworkName[])
        await this.#deps.records.delete(accountKey(name));
    }
    await this.#open(discover);
    await this.#refreshStatus();
  }

  async #open(discover = false): Promise<void> {
    this.#close();
    const network = NETWORKS[this.#settings.network];
    const stored = v.safeParse(StoredMeta, await this.#deps.records.get(accountKey(network.name)));
    const meta: AccountMeta = stored.success ? stored.output : EMPTY_ACCOUNT;
    const account = HdAccount.fromSecrets(this.keystore.secrets(), network, meta);
    const indexer = this.#deps.indexer(this.#settings.chronikUrl);
    const session: ChainSession = new ChainSession(account, indexer, {
      discover: discover || !stored.success,
      saveMeta: (): Promise<void> => this.#saveMeta(session),
      emit: () => this.#emit(),
      now: this.#now,
    });
    this.#session = session;
    session.start();
  }

  #close(): void {
    this.#session?.stop();
    this.#session = undefined;
    this.#drafts.clear();
  }

  #requireSession(): ChainSession {
    if (!this.#session || this.#status !== 'unlocked') throw new WalletLockedError();
    return this.#session;
  }

  async #saveMeta(session: ChainSession): Promise<void> {
    await this.#deps.records.put(accountKey(session.account.network.name), session.account.meta);
  }

  async #saveSettings(settings: WalletSettings): Promise<void> {
    this.#settings = settings;
    this.keystore.setIdleMinutes(settings.autoLockMinutes);
    await this.#deps.records.put(SETTINGS_KEY, settings);
  }

  async #refreshStatus(): Promise<void> {
    const { status, message } = await this.keystore.status();
    this.#status = status;
    this.#problem = message;
    if (status !== 'unlocked') this.#close();
    this.#emit();
  }

  #pruneDrafts(): void {
    const now = this.#now();
    for (const [id, draft] of this.#drafts) if (draft.expires < now) this.#drafts.delete(id);
  }

  #emit(): void {
    if (this.#listeners.size === 0) return;
    const view = this.view();
    for (const listener of this.#listeners) listener(view);
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

interface SessionOptions {
  /** Run gap-limit discovery before the first sync (after an import). */
  discover: boolean;
  saveMeta: () => Promise<void>;
  emit: () => void;
  now: () => number;
}

/**
 * One unlocked account talking to one indexer: watches its scripts, re-syncs on every update
 * (coalesced), and retries with backoff while the indexer is unreachable.
 */
class ChainSession {
  readonly account: HdAccount;
  readonly indexer: ChainIndexer;
  snapshot: AccountSnapshot | undefined;
  syncing = false;
  lastSync: number | undefined;
  readonly onEvent = () => this.schedule(100);
  readonly #options: SessionOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #failures = 0;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(account: HdAccount, indexer: ChainIndexer, options: SessionOptions) {
    this.account = account;
    this.indexer = indexer;
    this.#options = options;
  }

  start(): void {
    this.#unsubscribe = this.indexer.onConnection(() => this.#options.emit());
    this.#watch();
    this.schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
    this.indexer.close();
    this.account.wipe();
  }

  schedule(delay: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.sync().catch(() => {});
    }, delay);
  }

  /** One sync; concurrent calls share it, and a call during a sync triggers one more. */
  async sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#syncLoop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #syncLoop(): Promise<void> {
    this.syncing = true;
    this.#options.emit();
    try {
      do {
        this.#again = false;
        if (this.#options.discover) {
          await discoverUsed(this.indexer, this.account);
          this.#options.discover = false;
          await this.#options.saveMeta();
        }
        let snapshot = await fetchSnapshot(this.indexer, this.account.watched());
        // Payments to newly used addresses move the indices; watch and fetch the new ones.
        if (this.account.markUsed(usedScripts(snapshot))) {
          await this.#options.saveMeta();
          this.#watch();
          snapshot = await fetchSnapshot(this.indexer, this.account.watched());
        }
        if (this.#stopped) return;
        this.snapshot = snapshot;
        this.lastSync = this.#options.now();
        this.#failures = 0;
      } while (this.#again && !this.#stopped);
    } catch (err) {
      if (!this.#stopped) this.schedule(Math.min(60_000, 1000 * 2 ** this.#failures++));
      throw err;
    } finally {
      this.syncing = false;
      if (!this.#stopped) this.#options.emit();
    }
  }

  #watch(): void {
    this.indexer.watch(
      this.account.watched().map((a) => a.script),
      this.onEvent,
    );
  }
}

function usedScripts(snapshot: AccountSnapshot): string[] {
  const out: string[] = [];
  for (const tx of snapshot.txs) {
    for (const o of tx.outputs) out.push(bytesToHex(o.script));
  }
  return out;
}

/**
 * What a backup restores, checked in full before anything is written: a valid recovery phrase,
 * account indices only for networks Petal knows, vault descriptors that decode, and settings
 * Petal would have saved. Networks the backup has no indices for are cleared (they belonged to
 * the wallet being replaced).
 * @throws BackupFormatError naming the part that is wrong.
 */
function restorePlan(contents: BackupContents): {
  secrets: KeystoreSecrets;
  records: [string, unknown][];
  settings: WalletSettings;
} {
  let mnemonic: string;
  try {
    mnemonic = normalizeMnemonic(contents.secrets.mnemonic);
  } catch {
    throw new BackupFormatError('its recovery phrase is not valid');
  }
  const accounts = v.safeParse(
    v.strictObject({
      mainnet: v.optional(StoredMeta),
      testnet: v.optional(StoredMeta),
      regtest: v.optional(StoredMeta),
    }),
    contents.accounts ?? {},
  );
  if (!accounts.success) throw new BackupFormatError('its account indices are not valid');
  const vaults = contents.vaults.map((descriptor) => {
    if (typeof descriptor !== 'string') throw new BackupFormatError('a vault is not a descriptor');
    try {
      decodeVaultDescriptor(descriptor);
    } catch {
      throw new BackupFormatError('a vault descriptor does not decode');
    }
    return descriptor;
  });
  const settings = v.safeParse(StoredSettings, contents.settings);
  if (!settings.success) throw new BackupFormatError('its settings are not valid');
  const records: [string, unknown][] = (Object.keys(NETWORKS) as NetworkName[]).map((name) => [
    accountKey(name),
    accounts.output[name],
  ]);
  let contacts;
  try {
    contacts = parseContactList(contents.contacts);
  } catch (err) {
    if (!(err instanceof ContactFormatError)) throw err;
    throw new BackupFormatError(`its contacts are not valid: ${err.message}`);
  }
  records.push([VAULTS_KEY, vaults], [CONTACTS_KEY, contacts]);
  return {
    secrets: { mnemonic, passphrase: contents.secrets.passphrase },
    records,
    settings: settings.output,
  };
}
