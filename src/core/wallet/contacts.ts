/**
 * Contacts: the names a user gives vault members, keyed by the member's public key (33-byte
 * compressed, hex), so one person keeps one name across every vault they share. Pure functions
 * over a list of `{ pubkey, name }`; `ContactStore` (contact-store.ts) keeps the list on disk.
 * The exchange format is BIP-329's `pubkey` record, one JSON object per line:
 * `{"type":"pubkey","ref":"02…","label":"Alice"}`.
 * https://github.com/bitcoin/bips/blob/master/bip-0329.mediawiki
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { parseCompressedPoint } from '../crypto/curve.ts';

export interface Contact {
  /** 33-byte compressed public key, lower-case hex. */
  pubkey: string;
  name: string;
}

/** A name travels in invites and backups; 64 bytes of UTF-8 (as a vault label) bounds it. */
export const MAX_NAME_BYTES = 64;
/** Far beyond what a person names by hand; refuses a runaway file or record before storing it. */
export const MAX_CONTACTS = 5_000;

/** The base of every contacts error, so callers can branch on one name. */
export class ContactError extends Error {
  override name = 'ContactError';
}
/** A name that is empty or too long (refused, never cut). */
export class ContactNameError extends ContactError {
  override name = 'ContactNameError';
}
/** A public key that is not a 33-byte compressed secp256k1 point in hex. */
export class ContactKeyError extends ContactError {
  override name = 'ContactKeyError';
}
/** An import file or stored list that does not read; the message names the line or entry. */
export class ContactFormatError extends ContactError {
  override name = 'ContactFormatError';
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;
// Control characters (C0, DEL, C1) and bidi overrides would let a name disguise itself on screen
// ("Alice" drawn from a string that reads otherwise).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * A name as stored: trimmed, not empty, at most 64 bytes of UTF-8, no control characters.
 * @throws ContactNameError saying which rule it breaks.
 * @example checkName('  Alice ') // → 'Alice'
 */
export function checkName(name: unknown): string {
  if (typeof name !== 'string') throw new ContactNameError('A name must be text');
  const trimmed = name.trim();
  if (trimmed === '') throw new ContactNameError('A name cannot be empty');
  const bytes = utf8Bytes(trimmed);
  if (bytes > MAX_NAME_BYTES)
    throw new ContactNameError(
      `A name is at most ${MAX_NAME_BYTES} bytes; this one is ${bytes} (shorten it)`,
    );
  if (UNSAFE.test(trimmed)) throw new ContactNameError('A name cannot hold control characters');
  return trimmed;
}

/**
 * A member public key as stored: 33-byte compressed, on the curve, lower-case hex.
 * @throws ContactKeyError.
 * @example checkPubkey('02AB…') // → '02ab…'
 */
export function checkPubkey(pubkey: unknown): string {
  if (typeof pubkey !== 'string' || !/^0[23][0-9a-fA-F]{64}$/.test(pubkey.trim()))
    throw new ContactKeyError('A public key is 66 hex characters starting with 02 or 03');
  const hex = pubkey.trim().toLowerCase();
  try {
    parseCompressedPoint(hexToBytes(hex));
  } catch {
    throw new ContactKeyError('This public key is not a point on secp256k1');
  }
  return hex;
}

/** A checked contact. @throws ContactKeyError, ContactNameError. */
export function checkContact(contact: { pubkey: unknown; name: unknown }): Contact {
  return { pubkey: checkPubkey(contact.pubkey), name: checkName(contact.name) };
}

/**
 * `contacts` with `changes` applied: one name per key, later entries win. Every change is checked
 * before any applies. Order is kept, new keys go to the end. `keepExisting` leaves a key the user
 * already named as it is (names a vault formation proposes never overwrite the user's own).
 * @throws ContactKeyError, ContactNameError (nothing applied), ContactFormatError past MAX_CONTACTS.
 */
export function withNames(
  contacts: readonly Contact[],
  changes: readonly { pubkey: string; name: string }[],
  { keepExisting = false }: { keepExisting?: boolean } = {},
): Contact[] {
  const checked = changes.map(checkContact);
  const byKey = new Map(contacts.map((c) => [c.pubkey, c.name]));
  const named = new Set(byKey.keys());
  for (const c of checked) if (!keepExisting || !named.has(c.pubkey)) byKey.set(c.pubkey, c.name);
  if (byKey.size > MAX_CONTACTS)
    throw new ContactFormatError(`More than ${MAX_CONTACTS} contacts; remove some first`);
  return [...byKey].map(([pubkey, name]) => ({ pubkey, name }));
}

/** `contacts` without the one for `pubkey` (unchanged if there is none). */
export function withoutName(contacts: readonly Contact[], pubkey: string): Contact[] {
  const key = checkPubkey(pubkey);
  return contacts.filter((c) => c.pubkey !== key);
}

/**
 * Contacts as the user looks them up: by name, alphabetically in the user's locale, case and
 * punctuation aside ("bob" beside "Bob", "Émile" among the E's); same names by key.
 */
export function byName(contacts: readonly Contact[], locale?: string): Contact[] {
  const collator = new Intl.Collator(locale, { sensitivity: 'accent', ignorePunctuation: true });
  return [...contacts].sort(
    (a, b) => collator.compare(a.name, b.name) || (a.pubkey < b.pubkey ? -1 : 1),
  );
}

/** The name given to `pubkey`, if any (any case of hex). */
export function nameIn(contacts: readonly Contact[], pubkey: string): string | undefined {
  const key = pubkey.toLowerCase();
  return contacts.find((c) => c.pubkey === key)?.name;
}

/**
 * Reads a stored (or backed-up) contact list, checking every entry.
 * @throws ContactFormatError naming the first bad entry.
 */
export function parseContactList(value: unknown): Contact[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ContactFormatError('The contact list is not a list');
  if (value.length > MAX_CONTACTS)
    throw new ContactFormatError(`More than ${MAX_CONTACTS} contacts`);
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null)
      throw new ContactFormatError(`Contact ${i + 1} is not a contact`);
    const { pubkey, name } = entry as Record<string, unknown>;
    try {
      const contact = checkContact({ pubkey, name });
      if (seen.has(contact.pubkey))
        throw new ContactFormatError(`Contact ${i + 1} names a key already named`);
      seen.add(contact.pubkey);
      return contact;
    } catch (err) {
      if (err instanceof ContactFormatError) throw err;
      throw new ContactFormatError(`Contact ${i + 1}: ${(err as Error).message}`);
    }
  });
}

/**
 * The contacts as BIP-329 `pubkey` records, one per line, newline-terminated.
 * @example exportContacts([{ pubkey: '02ab…', name: 'Alice' }])
 *   // → '{"type":"pubkey","ref":"02ab…","label":"Alice"}\n'
 */
export function exportContacts(contacts: readonly Contact[]): string {
  return contacts
    .map((c) => `${JSON.stringify({ type: 'pubkey', ref: c.pubkey, label: c.name })}\n`)
    .join('');
}

/**
 * Reads contacts from BIP-329 JSON lines. Records of other types (a labels file's `tx`, `addr`…)
 * and `pubkey` records without a label are skipped and counted; a name longer than 64 bytes is
 * refused, not cut, so a name never silently changes on its way in.
 * @throws ContactFormatError naming the first bad line ("Line 3: …").
 * @example importContacts('{"type":"pubkey","ref":"02ab…","label":"Alice"}')
 *   // → { contacts: [{ pubkey: '02ab…', name: 'Alice' }], skipped: 0 }
 */
export function importContacts(text: string): { contacts: Contact[]; skipped: number } {
  const contacts: Contact[] = [];
  let skipped = 0;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `Line ${index + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new ContactFormatError(`${where}: not a JSON object`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw new ContactFormatError(`${where}: not a JSON object`);
    const { type, ref, label } = record as Record<string, unknown>;
    if (typeof type !== 'string') throw new ContactFormatError(`${where}: "type" is missing`);
    if (type !== 'pubkey' || label === undefined) {
      skipped++;
      continue;
    }
    try {
      contacts.push(checkContact({ pubkey: ref, name: label }));
    } catch (err) {
      throw new ContactFormatError(`${where}: ${(err as Error).message}`);
    }
    if (contacts.length > MAX_CONTACTS)
      throw new ContactFormatError(`More than ${MAX_CONTACTS} contacts; split the file`);
  }
  return { contacts, skipped };
}
