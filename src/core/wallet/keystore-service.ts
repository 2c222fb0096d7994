/**
 * The keystore's lifecycle: create or import, unlock, lock, auto-lock deadline, restore after a
 * service-worker restart, change password and reveal. Storage is injected through two small
 * interfaces: `RecordStore` (IndexedDB in the extension, where the encrypted record lives) and
 * `SessionStore` (storage.session: memory-only, cleared when the browser closes, not readable by
 * content scripts). While unlocked the session holds only the derived AES key and the deadline,
 * never the password and never the mnemonic; `lock()` wipes it.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import * as v from 'valibot';
import {
  DEFAULT_PBKDF2_ITERATIONS,
  KeystoreError,
  type KeystoreRecord,
  type KeystoreSecrets,
  changeKeystorePassword,
  createKeystore,
  exportEncryptionKey,
  importEncryptionKey,
  openWithKey,
  parseKeystoreRecord,
  unlockKeystore,
} from './keystore.ts';

/** Durable key → value records (IndexedDB in the extension; fake-indexeddb in tests). */
export interface RecordStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every stored record, for backups and for the tests that scan storage for secrets. */
  entries(): Promise<[string, unknown][]>;
  /**
   * Writes (or, for `undefined`, deletes) several records in one transaction: all or none, even
   * if the browser stops halfway. Stores without it are written record by record.
   */
  putMany?(writes: [string, unknown][]): Promise<void>;
}

/** The unlocked session: memory-only storage that survives a worker restart, not the browser. */
export interface SessionStore {
  get(): Promise<unknown>;
  set(value: SessionRecord): Promise<void>;
  clear(): Promise<void>;
}

export interface SessionRecord {
  /** Raw AES-256 key derived from the password (hex). Never the password or the mnemonic. */
  key: string;
  /** Epoch ms after which the wallet locks itself. */
  deadline: number;
}

const SessionRecordSchema = v.object({
  key: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  deadline: v.number(),
});

export const KEYSTORE_RECORD_KEY = 'keystore';
export const DEFAULT_IDLE_MINUTES = 15;

export type LockStatus = 'uninitialized' | 'locked' | 'unlocked' | 'corrupted';

/** A wallet operation that needs the secrets was asked for while locked. */
export class WalletLockedError extends KeystoreError {
  override name = 'WalletLockedError';
  constructor() {
    super('The wallet is locked');
  }
}

export class WalletExistsError extends KeystoreError {
  override name = 'WalletExistsError';
  constructor() {
    super('A wallet already exists; restore over it only from the recovery screen');
  }
}

export class NoWalletError extends KeystoreError {
  override name = 'NoWalletError';
  constructor() {
    super('No wallet has been created yet');
  }
}

export interface KeystoreServiceOptions {
  subtle: SubtleCrypto;
  records: RecordStore;
  session: SessionStore;
  now?: () => number;
  /** PBKDF2 iterations for new records; tests lower it, production keeps the default. */
  iterations?: number;
}

/**
 * Holds the decrypted secrets in memory while unlocked. Every path that changes the lock state
 * also writes or wipes the session record, so a restarted worker resumes exactly where it was.
 */
export class KeystoreService {
  readonly #subtle: SubtleCrypto;
  readonly #records: RecordStore;
  readonly #session: SessionStore;
  readonly #now: () => number;
  readonly #iterations: number;
  #secrets: KeystoreSecrets | undefined;
  #deadline = 0;
  #idleMs = DEFAULT_IDLE_MINUTES * 60_000;

  constructor(options: KeystoreServiceOptions) {
    this.#subtle = options.subtle;
    this.#records = options.records;
    this.#session = options.session;
    this.#now = options.now ?? Date.now;
    this.#iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  }

  /** Where the wallet stands; a damaged record reports `corrupted` rather than throwing. */
  async status(): Promise<{ status: LockStatus; message?: string }> {
    const stored = await this.#records.get(KEYSTORE_RECORD_KEY);
    if (stored === undefined) return { status: 'uninitialized' };
    try {
      parseKeystoreRecord(stored);
    } catch (err) {
      return { status: 'corrupted', message: (err as Error).message };
    }
    return { status: this.#secrets && !this.#expired() ? 'unlocked' : 'locked' };
  }

  get deadline(): number {
    return this.#secrets ? this.#deadline : 0;
  }

  /** Idle time before the wallet locks itself; takes effect at the next activity. */
  setIdleMinutes(minutes: number): void {
    this.#idleMs = Math.max(1, minutes) * 60_000;
  }

  /**
   * Stores a new record for `secrets` (creating or importing a wallet) and unlocks it.
   * With `replace`, an existing (e.g. damaged) record is overwritten: the restore path.
   */
  async create(password: string, secrets: KeystoreSecrets, replace = false): Promise<void> {
    await this.createWith(password, secrets, replace, []);
  }

  /**
   * `create`, writing `records` in the same transaction as the keystore record when the store
   * can (a backup restore: the wallet and everything it owns appear together or not at all).
   */
  async createWith(
    password: string,
    secrets: KeystoreSecrets,
    replace: boolean,
    records: [string, unknown][],
  ): Promise<void> {
    if (!replace && (await this.#records.get(KEYSTORE_RECORD_KEY)) !== undefined)
      throw new WalletExistsError();
    const { record, key } = await createKeystore(this.#subtle, password, secrets, this.#iterations);
    const writes: [string, unknown][] = [...records, [KEYSTORE_RECORD_KEY, record]];
    if (this.#records.putMany) await this.#records.putMany(writes);
    else
      for (const [name, value] of writes)
        await (value === undefined ? this.#records.delete(name) : this.#records.put(name, value));
    await this.#open(secrets, key);
  }

  /** Opens the record with the password; a wrong password changes nothing. */
  async unlock(password: string): Promise<void> {
    const record = await this.#record();
    const { secrets, key, upgraded } = await unlockKeystore(this.#subtle, record, password);
    // A record below today's KDF floor is re-encrypted with today's parameters (migration).
    if (upgraded) await this.#records.put(KEYSTORE_RECORD_KEY, upgraded);
    await this.#open(secrets, key);
  }

  /**
   * After a worker restart: reopens the record with the key cached in the session, unless the
   * deadline has passed (then the session is wiped). Returns whether the wallet is unlocked.
   */
  async restore(): Promise<boolean> {
    if (this.#secrets) return !(await this.lockIfExpired());
    const parsed = v.safeParse(SessionRecordSchema, await this.#session.get());
    if (!parsed.success) return false;
    if (parsed.output.deadline <= this.#now()) {
      await this.lock();
      return false;
    }
    try {
      const record = parseKeystoreRecord(await this.#records.get(KEYSTORE_RECORD_KEY));
      const key = await importEncryptionKey(this.#subtle, hexToBytes(parsed.output.key));
      this.#secrets = await openWithKey(this.#subtle, record, key);
      this.#deadline = parsed.output.deadline;
      return true;
    } catch {
      // The record changed underneath (restored elsewhere) or the key is stale: ask again.
      await this.lock();
      return false;
    }
  }

  /** Forgets the secrets and wipes the session's key. */
  async lock(): Promise<void> {
    this.#secrets = undefined;
    this.#deadline = 0;
    await this.#session.clear();
  }

  /** Locks if the idle deadline has passed; returns whether it did. */
  async lockIfExpired(): Promise<boolean> {
    if (!this.#secrets || !this.#expired()) return false;
    await this.lock();
    return true;
  }

  /** User activity: pushes the deadline out by the idle time. */
  async touch(): Promise<number> {
    if (!this.#secrets || (await this.lockIfExpired())) return 0;
    this.#deadline = this.#now() + this.#idleMs;
    const session = v.safeParse(SessionRecordSchema, await this.#session.get());
    if (session.success) await this.#session.set({ ...session.output, deadline: this.#deadline });
    return this.#deadline;
  }

  /** The decrypted secrets, for the wallet's own derivations. Never leaves the background. */
  secrets(): KeystoreSecrets {
    if (!this.#secrets || this.#expired()) throw new WalletLockedError();
    return this.#secrets;
  }

  /** Re-encrypts under a new password; the session is re-keyed so the wallet stays unlocked. */
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    const record = await this.#record();
    const { record: next, key } = await changeKeystorePassword(
      this.#subtle,
      record,
      oldPassword,
      newPassword,
    );
    await this.#records.put(KEYSTORE_RECORD_KEY, next);
    const { secrets } = await unlockKeystore(this.#subtle, next, newPassword);
    await this.#open(secrets, key);
  }

  /** Checks the password against the stored record and returns the secrets (reveal, backup). */
  async verifyPassword(password: string): Promise<KeystoreSecrets> {
    return (await unlockKeystore(this.#subtle, await this.#record(), password)).secrets;
  }

  /** Removes the wallet record and the session (used before a restore over a damaged record). */
  async erase(): Promise<void> {
    await this.lock();
    await this.#records.delete(KEYSTORE_RECORD_KEY);
  }

  async #record(): Promise<KeystoreRecord> {
    const stored = await this.#records.get(KEYSTORE_RECORD_KEY);
    if (stored === undefined) throw new NoWalletError();
    return parseKeystoreRecord(stored);
  }

  async #open(secrets: KeystoreSecrets, key: CryptoKey): Promise<void> {
    this.#secrets = secrets;
    this.#deadline = this.#now() + this.#idleMs;
    const raw = await exportEncryptionKey(this.#subtle, key);
    await this.#session.set({ key: bytesToHex(raw), deadline: this.#deadline });
    raw.fill(0);
  }

  #expired(): boolean {
    return this.#deadline <= this.#now();
  }
}
