import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PBKDF2_ITERATIONS,
  MIN_PBKDF2_ITERATIONS,
  changeKeystorePassword,
  createKeystore,
  exportEncryptionKey,
  importEncryptionKey,
  openWithKey,
  unlockKeystore,
} from '../../../src/core/wallet/keystore.ts';

// Real WebCrypto (Node 24's, the same API as the service worker's).
const subtle = globalThis.crypto.subtle;
const secrets = {
  mnemonic:
    'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  passphrase: '',
};
/** Fast KDF for tests that unlock many times; production records use ≥ 600,000 iterations. */
const FAST = 1_000;

describe('keystore record', () => {
  it('uses at least 600,000 PBKDF2 iterations by default', async () => {
    expect(DEFAULT_PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    const { record } = await createKeystore(subtle, 'correct horse battery', secrets);
    expect(record.kdf.iterations).toBe(DEFAULT_PBKDF2_ITERATIONS);
    expect((await unlockKeystore(subtle, record, 'correct horse battery')).secrets).toEqual(
      secrets,
    );
  });

  it('never contains the mnemonic or its words in plaintext', async () => {
    const { record } = await createKeystore(subtle, 'correct horse battery', secrets, FAST);
    const stored = JSON.stringify(record);
    expect(stored).not.toContain('abandon');
    expect(stored).not.toContain(Buffer.from(secrets.mnemonic).toString('hex'));
  });

  it('refuses a wrong password 1,000 times and still opens with the right one', async () => {
    const { record } = await createKeystore(subtle, 'correct horse battery', secrets, FAST);
    const before = JSON.stringify(record);
    for (let i = 0; i < 1000; i++) {
      await expect(unlockKeystore(subtle, record, `wrong password ${i}`)).rejects.toMatchObject({
        name: 'WrongPasswordError',
      });
    }
    expect(JSON.stringify(record)).toBe(before);
    expect((await unlockKeystore(subtle, record, 'correct horse battery')).secrets).toEqual(
      secrets,
    );
  });

  it('reports a damaged record as corrupted, pointing to the backup', async () => {
    const { record } = await createKeystore(subtle, 'correct horse battery', secrets, FAST);
    for (const bad of [
      null,
      'text',
      { ...record, version: 2 },
      { ...record, ciphertext: 'zz' },
      { ...record, kdf: { ...record.kdf, salt: '00' } },
    ]) {
      await expect(unlockKeystore(subtle, bad, 'correct horse battery')).rejects.toMatchObject({
        name: 'KeystoreCorruptedError',
        message: expect.stringMatching(/recovery phrase or an encrypted backup/),
      });
    }
  });

  it('detects a tampered KDF header (downgrade attempt) instead of decrypting', async () => {
    const { record } = await createKeystore(subtle, 'correct horse battery', secrets, FAST + 1);
    const downgraded = { ...record, kdf: { ...record.kdf, iterations: FAST } };
    await expect(unlockKeystore(subtle, downgraded, 'correct horse battery')).rejects.toMatchObject(
      { name: 'WrongPasswordError' },
    );
  });

  it('re-encrypts a record whose KDF is below today’s floor when it is unlocked (migration)', async () => {
    const { record } = await createKeystore(subtle, 'correct horse battery', secrets, FAST);
    const { upgraded } = await unlockKeystore(subtle, record, 'correct horse battery');
    expect(upgraded?.kdf.iterations).toBeGreaterThanOrEqual(MIN_PBKDF2_ITERATIONS);
    expect(
      (await unlockKeystore(subtle, upgraded, 'correct horse battery')).upgraded,
    ).toBeUndefined();
  });

  it('changes the password: the new one opens, the old one no longer does', async () => {
    const { record } = await createKeystore(subtle, 'correct horse battery', secrets, FAST);
    const changed = await changeKeystorePassword(
      subtle,
      record,
      'correct horse battery',
      'new long password',
    );
    expect((await unlockKeystore(subtle, changed.record, 'new long password')).secrets).toEqual(
      secrets,
    );
    await expect(
      unlockKeystore(subtle, changed.record, 'correct horse battery'),
    ).rejects.toMatchObject({ name: 'WrongPasswordError' });
    await expect(
      changeKeystorePassword(subtle, record, 'nope nope nope', 'x'.repeat(12)),
    ).rejects.toMatchObject({ name: 'WrongPasswordError' });
  });

  it('reopens with the cached raw key after a worker restart, without the password', async () => {
    const { record, key } = await createKeystore(subtle, 'correct horse battery', secrets, FAST);
    const raw = await exportEncryptionKey(subtle, key);
    expect(raw).toHaveLength(32);
    expect(await openWithKey(subtle, record, await importEncryptionKey(subtle, raw))).toEqual(
      secrets,
    );
  });

  it('refuses passwords shorter than 8 characters', async () => {
    await expect(createKeystore(subtle, 'short', secrets, FAST)).rejects.toMatchObject({
      name: 'WeakPasswordError',
    });
  });
});
