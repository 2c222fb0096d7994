import 'fake-indexeddb/auto';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import { openWalletDb } from '../../../src/background/wallet-db.ts';
import { ContactStore } from '../../../src/core/wallet/contact-store.ts';
import {
  ContactFormatError,
  ContactKeyError,
  ContactNameError,
  MAX_NAME_BYTES,
  byName,
  checkName,
  checkPubkey,
  exportContacts,
  importContacts,
  parseContactList,
  withNames,
} from '../../../src/core/wallet/contacts.ts';
import { formatBip329 } from '../../../src/core/wallet/labels.ts';

const key = (n: number) =>
  bytesToHex(getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 0))));
const freshStore = () => {
  const dbName = `contacts-${bytesToHex(randomBytes(4))}`;
  const records = openWalletDb(dbName);
  return { dbName, records, store: new ContactStore(records) };
};

describe('contact names', () => {
  it('trims a name and keeps one of exactly 64 bytes', () => {
    expect(checkName('  Alice \n')).toBe('Alice');
    // 16 four-byte emoji: 64 bytes of UTF-8 in 32 UTF-16 units.
    const full = '🌸'.repeat(16);
    expect(checkName(full)).toBe(full);
    expect(checkName('a'.repeat(MAX_NAME_BYTES))).toHaveLength(64);
  });

  it('refuses an empty name and one past 64 bytes, never cutting it', () => {
    expect(() => checkName('   ')).toThrow(ContactNameError);
    expect(() => checkName('')).toThrow('A name cannot be empty');
    // 22 three-byte characters: 22 characters, 66 bytes.
    expect(() => checkName('€'.repeat(22))).toThrow(/at most 64 bytes; this one is 66/);
    expect(() => checkName('a'.repeat(65))).toThrow(ContactNameError);
    expect(() => checkName(42)).toThrow(ContactNameError);
    // A right-to-left override would draw another name than the one stored.
    expect(() => checkName('Alice\u202egnp.exe')).toThrow('control characters');
    expect(() => checkName('Al\nice')).toThrow(ContactNameError);
  });

  it('accepts a compressed key in either case and refuses anything else', () => {
    expect(checkPubkey(key(2).toUpperCase())).toBe(key(2));
    expect(() => checkPubkey(key(2).slice(0, 64))).toThrow(ContactKeyError);
    expect(() => checkPubkey(`04${key(2).slice(2)}`)).toThrow(ContactKeyError);
    // x = 5 has no point on secp256k1 (5³ + 7 = 132 is not a square mod p).
    expect(() => checkPubkey(`02${'0'.repeat(63)}5`)).toThrow('not a point on secp256k1');
  });

  it('applies many names all or none', () => {
    const one = withNames([], [{ pubkey: key(1), name: 'Alice' }]);
    expect(() =>
      withNames(one, [
        { pubkey: key(2), name: 'Bob' },
        { pubkey: key(3), name: ' ' },
      ]),
    ).toThrow(ContactNameError);
    const renamed = withNames(one, [
      { pubkey: key(2), name: 'Bob' },
      { pubkey: key(1), name: 'Alice B.' },
    ]);
    expect(renamed).toEqual([
      { pubkey: key(1), name: 'Alice B.' },
      { pubkey: key(2), name: 'Bob' },
    ]);
  });

  it('leaves names the user gave alone when asked to keep them', () => {
    const mine = [{ pubkey: key(1), name: 'Mum' }];
    expect(
      withNames(
        mine,
        [
          { pubkey: key(1), name: 'Alice' },
          { pubkey: key(2), name: 'Bob' },
        ],
        { keepExisting: true },
      ),
    ).toEqual([
      { pubkey: key(1), name: 'Mum' },
      { pubkey: key(2), name: 'Bob' },
    ]);
  });

  it('reads a stored list and names the entry that is wrong', () => {
    expect(parseContactList(undefined)).toEqual([]);
    expect(() => parseContactList({})).toThrow(ContactFormatError);
    expect(() =>
      parseContactList([
        { pubkey: key(1), name: 'A' },
        { pubkey: key(1), name: 'B' },
      ]),
    ).toThrow('Contact 2 names a key already named');
    expect(() => parseContactList([{ pubkey: key(1), name: 'A'.repeat(70) }])).toThrow(
      /^Contact 1: A name is at most 64 bytes/,
    );
    expect(() => parseContactList([{ name: 'Mum', address: 'lotus_x' }])).toThrow(
      ContactFormatError,
    );
  });
});

describe('contact import and export (BIP-329 pubkey records)', () => {
  it('round-trips names, skipping the records of a labels file', () => {
    const contacts = [
      { pubkey: key(1), name: 'Alice' },
      { pubkey: key(2), name: 'Bob “the builder”' },
    ];
    const text = exportContacts(contacts);
    expect(text.split('\n')[0]).toBe(`{"type":"pubkey","ref":"${key(1)}","label":"Alice"}`);
    const labels = formatBip329([{ type: 'tx', ref: 'ab'.repeat(32), label: 'Rent' }]);
    expect(importContacts(labels + text)).toEqual({ contacts, skipped: 1 });
  });

  it('refuses a file with a bad line, naming it', () => {
    const good = exportContacts([{ pubkey: key(1), name: 'Alice' }]);
    expect(() => importContacts(`${good}not json\n`)).toThrow('Line 2: not a JSON object');
    expect(() =>
      importContacts(`${good}{"type":"pubkey","ref":"${key(2)}","label":"${'x'.repeat(65)}"}`),
    ).toThrow(/^Line 2: A name is at most 64 bytes/);
    expect(() => importContacts(`{"type":"pubkey","ref":"02zz","label":"Z"}`)).toThrow(
      /^Line 1: A public key is 66 hex/,
    );
  });
});

describe('contacts by name', () => {
  it('lists them alphabetically, whatever the case, accents in their place', () => {
    const key = (n: number) => `02${n.toString(16).padStart(64, '0')}`;
    const added = ['zoe', 'Émile', 'bob', 'Alice', 'Bob', 'eva', 'Zack'].map((name, i) => ({
      pubkey: key(i + 1),
      name,
    }));
    expect(byName(added, 'en').map((c) => c.name)).toEqual([
      'Alice',
      'bob',
      'Bob',
      'Émile',
      'eva',
      'Zack',
      'zoe',
    ]);
    // The list handed in is left as it was (the stored order is the order added).
    expect(added[0]?.name).toBe('zoe');
    // Swedish puts Ö after Z; English among the O's.
    const names = [
      { pubkey: key(1), name: 'Örjan' },
      { pubkey: key(2), name: 'Zlatan' },
      { pubkey: key(3), name: 'Olle' },
    ];
    expect(byName(names, 'sv').map((c) => c.name)).toEqual(['Olle', 'Zlatan', 'Örjan']);
    expect(byName(names, 'en').map((c) => c.name)).toEqual(['Olle', 'Örjan', 'Zlatan']);
  });
});

describe('the contact store over IndexedDB', () => {
  it('keeps names across a reopened database, renames and removes', async () => {
    const { dbName, store } = freshStore();
    await store.setName(key(1), ' Alice ');
    await store.setNames([
      { pubkey: key(2), name: 'Bob' },
      { pubkey: key(3), name: 'Carol' },
    ]);
    await store.setName(key(2).toUpperCase(), 'Robert');
    await store.remove(key(3));
    // A new connection (a restarted background) reads what the first one wrote.
    const reopened = new ContactStore(openWalletDb(dbName));
    expect(await reopened.nameOf(key(2))).toBe('Robert');
    expect(await reopened.nameOf(key(3))).toBeUndefined();
    expect(await reopened.list()).toEqual([
      { pubkey: key(1), name: 'Alice' },
      { pubkey: key(2), name: 'Robert' },
    ]);
  });

  it('loses no name when changes race, and writes nothing for an invalid batch', async () => {
    const { records, store } = freshStore();
    await Promise.all([1, 2, 3, 4, 5].map((n) => store.setName(key(n), `Member ${n}`)));
    expect((await store.list()).map((c) => c.name).sort()).toEqual(
      [1, 2, 3, 4, 5].map((n) => `Member ${n}`),
    );
    const before = await records.get('contacts');
    await expect(
      store.setNames([
        { pubkey: key(6), name: 'Frank' },
        { pubkey: 'nope', name: 'Nobody' },
      ]),
    ).rejects.toBeInstanceOf(ContactKeyError);
    expect(await records.get('contacts')).toEqual(before);
    // The queue keeps working after a refused change.
    await store.setName(key(6), 'Frank');
    expect(await store.nameOf(key(6))).toBe('Frank');
  });

  it('imports a file all or nothing and exports what it holds', async () => {
    const { store } = freshStore();
    await store.setName(key(1), 'Alice');
    const file = exportContacts([
      { pubkey: key(1), name: 'Alice (work)' },
      { pubkey: key(2), name: 'Bob' },
    ]);
    await expect(store.importText(`${file}{"type":"pubkey"`)).rejects.toBeInstanceOf(
      ContactFormatError,
    );
    expect(await store.list()).toEqual([{ pubkey: key(1), name: 'Alice' }]);
    expect(await store.importText(file)).toEqual({ imported: 2, skipped: 0 });
    expect(await store.exportText()).toBe(file);
  });

  it('hands out names by key, and none (not an error) when the stored list is damaged', async () => {
    const { records, store } = freshStore();
    await store.setName(key(1).toUpperCase(), 'Alice');
    expect(await store.names()).toEqual(new Map([[key(1), 'Alice']]));
    // Vault pages and the policy sentence then name members by number instead of failing.
    await records.put('contacts', [{ pubkey: 'not a key', name: 'Mallory' }]);
    await expect(store.list()).rejects.toBeInstanceOf(ContactFormatError);
    expect(await store.names()).toEqual(new Map());
  });
});
