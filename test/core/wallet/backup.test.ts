import { describe, expect, it } from 'vitest';
import {
  BackupFormatError,
  type BackupContents,
  exportBackup,
  importBackup,
} from '../../../src/core/wallet/backup.ts';
import { WeakPasswordError, WrongPasswordError } from '../../../src/core/wallet/keystore.ts';

// Tests use a low iteration count; the default (600,000) is asserted in keystore.test.ts.
const ITERATIONS = 1_000;
const subtle = crypto.subtle;
// Every word has a letter outside a–f, so none can turn up inside the hex ciphertext by chance.
const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

function contents(): BackupContents {
  return {
    // A fixed phrase: a random one can hold a word like "pet" that the file's header contains.
    secrets: { mnemonic: MNEMONIC, passphrase: 'extra word' },
    accounts: { regtest: { receiveIndex: 3, changeIndex: 1 } },
    vaults: ['petalvault1qqq…'],
    contacts: [
      { pubkey: '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', name: 'Bob' },
    ],
    settings: { network: 'regtest', relays: ['/ip4/127.0.0.1/tcp/1/ws'] },
    createdAt: 1_700_000_000_000,
  };
}

describe('encrypted backups', () => {
  it('round-trips everything it holds, with nothing readable in the file', async () => {
    const original = contents();
    const file = await exportBackup(subtle, 'backup password', original, ITERATIONS);
    for (const word of original.secrets.mnemonic.split(' ')) expect(file).not.toContain(word);
    expect(file).not.toContain('Bob');
    expect(file).not.toContain('extra word');
    expect(await importBackup(subtle, file, 'backup password')).toEqual(original);
  });

  it('refuses a wrong password with a typed error, and a short one when exporting', async () => {
    const file = await exportBackup(subtle, 'backup password', contents(), ITERATIONS);
    await expect(importBackup(subtle, file, 'backup passwore')).rejects.toBeInstanceOf(
      WrongPasswordError,
    );
    await expect(exportBackup(subtle, 'short', contents(), ITERATIONS)).rejects.toBeInstanceOf(
      WeakPasswordError,
    );
  });

  it('detects a tampered header or ciphertext instead of decrypting', async () => {
    const file = JSON.parse(await exportBackup(subtle, 'backup password', contents(), ITERATIONS));
    // Lowering the KDF cost in the header is caught: the header is authenticated data.
    const weaker = JSON.stringify({ ...file, kdf: { ...file.kdf, iterations: ITERATIONS - 1 } });
    await expect(importBackup(subtle, weaker, 'backup password')).rejects.toThrow();
    // One hex digit of the ciphertext changed (always to a different digit).
    const digit = file.ciphertext.at(-2) === '0' ? '1' : '0';
    const flipped = file.ciphertext.slice(0, -2) + digit + file.ciphertext.at(-1);
    expect(flipped).not.toBe(file.ciphertext);
    await expect(
      importBackup(subtle, JSON.stringify({ ...file, ciphertext: flipped }), 'backup password'),
    ).rejects.toThrow();
  });

  it('says clearly when a file is not a Petal backup', async () => {
    for (const text of [
      'not json',
      '{}',
      JSON.stringify({ format: 'other' }),
      'x'.repeat(4_000_001),
    ])
      await expect(importBackup(subtle, text, 'backup password')).rejects.toBeInstanceOf(
        BackupFormatError,
      );
  });
});
