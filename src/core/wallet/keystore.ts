/**
 * The encrypted keystore record (MetaMask's vault format is the model): the secrets are encrypted
 * with AES-256-GCM under a key derived from the user's password by PBKDF2-SHA256, and the KDF
 * parameters travel beside the ciphertext so a later unlock can raise them. The header (version
 * and parameters) is the cipher's associated data: tampering with it (say, lowering the iteration
 * count) makes decryption fail instead of silently weakening the record.
 *
 * WebCrypto is injected (`SubtleCrypto`), so this runs in the service worker, Firefox's background
 * page and Node alike; nothing here touches storage.
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import * as v from 'valibot';

export const KEYSTORE_VERSION = 1 as const;
/** OWASP's 2023 floor for PBKDF2-HMAC-SHA256; unlocks below it re-encrypt with this. */
export const MIN_PBKDF2_ITERATIONS = 600_000;
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
const MIN_PASSWORD_LENGTH = 8;

/** What the record protects. */
export interface KeystoreSecrets {
  mnemonic: string;
  /** Optional BIP39 passphrase ("25th word"). */
  passphrase: string;
}

const Hex = (bytes: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`)));

const KeystoreRecordSchema = v.strictObject({
  version: v.literal(KEYSTORE_VERSION),
  kdf: v.strictObject({
    algorithm: v.literal('pbkdf2-sha256'),
    iterations: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000_000)),
    salt: Hex(16),
  }),
  cipher: v.strictObject({ algorithm: v.literal('aes-256-gcm'), iv: Hex(12) }),
  ciphertext: v.pipe(v.string(), v.regex(/^([0-9a-f]{2})+$/), v.maxLength(200_000)),
});
export type KeystoreRecord = v.InferOutput<typeof KeystoreRecordSchema>;

export class KeystoreError extends Error {
  override name = 'KeystoreError';
}

/** The password does not open the record. Nothing was changed. */
export class WrongPasswordError extends KeystoreError {
  override name = 'WrongPasswordError';
  constructor() {
    super('Wrong password');
  }
}

/** The stored record is damaged; the recovery phrase or an encrypted backup restores the wallet. */
export class KeystoreCorruptedError extends KeystoreError {
  override name = 'KeystoreCorruptedError';
  constructor(detail: string) {
    super(
      `The wallet record is damaged (${detail}). Restore it from your recovery phrase or an encrypted backup.`,
    );
  }
}

export class WeakPasswordError extends KeystoreError {
  override name = 'WeakPasswordError';
}

/** Validates an unknown value (e.g. read from IndexedDB) as a keystore record. */
export function parseKeystoreRecord(value: unknown): KeystoreRecord {
  const parsed = v.safeParse(KeystoreRecordSchema, value);
  if (!parsed.success) throw new KeystoreCorruptedError('unexpected format');
  return parsed.output;
}

function header(
  record: Pick<KeystoreRecord, 'version' | 'kdf' | 'cipher'>,
): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(
    JSON.stringify({ version: record.version, kdf: record.kdf, cipher: record.cipher }),
  );
}

/** Derives the AES key (extractable: the background caches its raw bytes in storage.session). */
export async function deriveEncryptionKey(
  subtle: SubtleCrypto,
  password: string,
  kdf: KeystoreRecord['kdf'],
): Promise<CryptoKey> {
  const material = await subtle.importKey(
    'raw',
    new TextEncoder().encode(password.normalize('NFKC')),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return subtle.deriveKey(
    {
      name: 'PBKDF2',
      hash: 'SHA-256',
      salt: hexToBytes(kdf.salt) as Uint8Array<ArrayBuffer>,
      iterations: kdf.iterations,
    },
    material,
    { name: 'AES-GCM', length: 256 },
    true,
    ['encrypt', 'decrypt'],
  );
}

export async function importEncryptionKey(
  subtle: SubtleCrypto,
  raw: Uint8Array,
): Promise<CryptoKey> {
  return subtle.importKey(
    'raw',
    raw as Uint8Array<ArrayBuffer>,
    { name: 'AES-GCM', length: 256 },
    true,
    ['encrypt', 'decrypt'],
  );
}

export async function exportEncryptionKey(
  subtle: SubtleCrypto,
  key: CryptoKey,
): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('raw', key));
}

/** Encrypts secrets under an already derived key, with fresh IV; the KDF header is kept. */
export async function sealWithKey(
  subtle: SubtleCrypto,
  key: CryptoKey,
  kdf: KeystoreRecord['kdf'],
  secrets: KeystoreSecrets,
): Promise<KeystoreRecord> {
  const base = {
    version: KEYSTORE_VERSION,
    kdf,
    cipher: { algorithm: 'aes-256-gcm' as const, iv: bytesToHex(randomBytes(12)) },
  };
  const plaintext = new TextEncoder().encode(JSON.stringify(secrets));
  const ciphertext = await subtle.encrypt(
    {
      name: 'AES-GCM',
      iv: hexToBytes(base.cipher.iv) as Uint8Array<ArrayBuffer>,
      additionalData: header(base),
    },
    key,
    plaintext,
  );
  plaintext.fill(0);
  return { ...base, ciphertext: bytesToHex(new Uint8Array(ciphertext)) };
}

/**
 * Creates a record for new secrets. `iterations` below the production floor is accepted only so
 * tests can run many unlocks quickly; the wallet always uses the default.
 */
export async function createKeystore(
  subtle: SubtleCrypto,
  password: string,
  secrets: KeystoreSecrets,
  iterations = DEFAULT_PBKDF2_ITERATIONS,
): Promise<{ record: KeystoreRecord; key: CryptoKey }> {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new WeakPasswordError(`Use at least ${MIN_PASSWORD_LENGTH} characters`);
  const kdf = {
    algorithm: 'pbkdf2-sha256' as const,
    iterations,
    salt: bytesToHex(randomBytes(16)),
  };
  const key = await deriveEncryptionKey(subtle, password, kdf);
  return { record: await sealWithKey(subtle, key, kdf, secrets), key };
}

/** Opens a record with a derived key (e.g. restored from storage.session after a worker restart). */
export async function openWithKey(
  subtle: SubtleCrypto,
  record: KeystoreRecord,
  key: CryptoKey,
): Promise<KeystoreSecrets> {
  let plaintext: ArrayBuffer;
  try {
    plaintext = await subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: hexToBytes(record.cipher.iv) as Uint8Array<ArrayBuffer>,
        additionalData: header(record),
      },
      key,
      hexToBytes(record.ciphertext) as Uint8Array<ArrayBuffer>,
    );
  } catch {
    throw new WrongPasswordError();
  }
  try {
    const secrets = JSON.parse(new TextDecoder().decode(plaintext)) as KeystoreSecrets;
    if (typeof secrets.mnemonic !== 'string' || typeof secrets.passphrase !== 'string')
      throw new Error('shape');
    return secrets;
  } catch {
    throw new KeystoreCorruptedError('decrypted contents are unreadable');
  }
}

/**
 * Unlocks with the password. AES-GCM cannot tell a wrong password from a damaged ciphertext, so
 * both surface as WrongPasswordError; a damaged header or format is KeystoreCorruptedError.
 * Returns `upgraded` when the record's KDF was below today's floor and has been re-encrypted
 * (the caller stores it): this is the migration path for older, weaker records.
 */
export async function unlockKeystore(
  subtle: SubtleCrypto,
  value: unknown,
  password: string,
): Promise<{ secrets: KeystoreSecrets; key: CryptoKey; upgraded?: KeystoreRecord }> {
  const record = parseKeystoreRecord(value);
  const key = await deriveEncryptionKey(subtle, password, record.kdf);
  const secrets = await openWithKey(subtle, record, key);
  if (record.kdf.iterations >= MIN_PBKDF2_ITERATIONS) return { secrets, key };
  const { record: upgraded, key: newKey } = await createKeystore(subtle, password, secrets);
  return { secrets, key: newKey, upgraded };
}

/** Re-encrypts under a new password; the old record stays valid until the caller replaces it. */
export async function changeKeystorePassword(
  subtle: SubtleCrypto,
  value: unknown,
  oldPassword: string,
  newPassword: string,
): Promise<{ record: KeystoreRecord; key: CryptoKey }> {
  const { secrets } = await unlockKeystore(subtle, value, oldPassword);
  return createKeystore(subtle, newPassword, secrets);
}
