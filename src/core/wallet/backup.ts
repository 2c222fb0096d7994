/**
 * The full encrypted backup: recovery phrase, account state, vault descriptors, contacts and
 * settings in one file the user keeps off the device. Same construction as the keystore record
 * (PBKDF2-SHA256 ≥ 600k, AES-256-GCM, the header as associated data) with its own format tag, so
 * a backup can never be mistaken for a keystore record or the other way round.
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import * as v from 'valibot';
import {
  DEFAULT_PBKDF2_ITERATIONS,
  KeystoreError,
  type KeystoreSecrets,
  WeakPasswordError,
  WrongPasswordError,
  deriveEncryptionKey,
} from './keystore.ts';
import type { Contact } from './contacts.ts';

export const BACKUP_FORMAT = 'petal-backup' as const;
export const BACKUP_VERSION = 1 as const;
const MAX_BACKUP_CHARS = 4_000_000;

export type { Contact } from './contacts.ts';

/** Everything a backup restores. `vaults`, `accounts` and `settings` are opaque to this module. */
export interface BackupContents {
  secrets: KeystoreSecrets;
  accounts: unknown;
  vaults: unknown[];
  contacts: Contact[];
  settings: unknown;
  createdAt: number;
}

const Hex = (bytes: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`)));

const BackupFileSchema = v.strictObject({
  format: v.literal(BACKUP_FORMAT),
  version: v.literal(BACKUP_VERSION),
  kdf: v.strictObject({
    algorithm: v.literal('pbkdf2-sha256'),
    iterations: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000_000)),
    salt: Hex(16),
  }),
  cipher: v.strictObject({ algorithm: v.literal('aes-256-gcm'), iv: Hex(12) }),
  ciphertext: v.pipe(v.string(), v.regex(/^([0-9a-f]{2})+$/)),
});
export type BackupFile = v.InferOutput<typeof BackupFileSchema>;

const ContentsSchema = v.object({
  secrets: v.object({ mnemonic: v.string(), passphrase: v.string() }),
  accounts: v.unknown(),
  vaults: v.array(v.unknown()),
  // Checked entry by entry on restore (contacts.ts `parseContactList`).
  contacts: v.array(v.unknown()),
  settings: v.unknown(),
  createdAt: v.number(),
});

export class BackupFormatError extends KeystoreError {
  override name = 'BackupFormatError';
  constructor(detail: string) {
    super(`This is not a readable Petal backup (${detail})`);
  }
}

function header(file: Omit<BackupFile, 'ciphertext'>): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(
    JSON.stringify({
      format: file.format,
      version: file.version,
      kdf: file.kdf,
      cipher: file.cipher,
    }),
  );
}

/** Encrypts a backup under `password`; returns the file's text (JSON). */
export async function exportBackup(
  subtle: SubtleCrypto,
  password: string,
  contents: BackupContents,
  iterations = DEFAULT_PBKDF2_ITERATIONS,
): Promise<string> {
  if (password.length < 8) throw new WeakPasswordError('Use at least 8 characters');
  const base = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    kdf: { algorithm: 'pbkdf2-sha256' as const, iterations, salt: bytesToHex(randomBytes(16)) },
    cipher: { algorithm: 'aes-256-gcm' as const, iv: bytesToHex(randomBytes(12)) },
  };
  const key = await deriveEncryptionKey(subtle, password, base.kdf);
  const plaintext = new TextEncoder().encode(JSON.stringify(contents));
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
  const file: BackupFile = { ...base, ciphertext: bytesToHex(new Uint8Array(ciphertext)) };
  return JSON.stringify(file, null, 1);
}

/**
 * Decrypts a backup file's text.
 * @throws BackupFormatError (not a backup, damaged) or WrongPasswordError.
 */
export async function importBackup(
  subtle: SubtleCrypto,
  text: string,
  password: string,
): Promise<BackupContents> {
  if (text.length > MAX_BACKUP_CHARS) throw new BackupFormatError('too large');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupFormatError('not JSON');
  }
  const parsed = v.safeParse(BackupFileSchema, json);
  if (!parsed.success) throw new BackupFormatError('unexpected format');
  const file = parsed.output;
  const key = await deriveEncryptionKey(subtle, password, file.kdf);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: hexToBytes(file.cipher.iv) as Uint8Array<ArrayBuffer>,
        additionalData: header(file),
      },
      key,
      hexToBytes(file.ciphertext) as Uint8Array<ArrayBuffer>,
    );
  } catch {
    throw new WrongPasswordError();
  }
  let contents: unknown;
  try {
    contents = JSON.parse(new TextDecoder().decode(plaintext));
  } catch {
    throw new BackupFormatError('decrypted contents are unreadable');
  }
  const checked = v.safeParse(ContentsSchema, contents);
  if (!checked.success) throw new BackupFormatError('decrypted contents have the wrong shape');
  return checked.output as BackupContents;
}
