/**
 * The contacts on disk: one record (`contacts`) in the wallet's record store holding the list
 * contacts.ts checks. Names are no secret, so they read and change while the wallet is locked
 * too; they go into the encrypted backup with everything else (wallet-service.ts).
 */
import type { RecordStore } from './keystore-service.ts';
import {
  type Contact,
  ContactFormatError,
  exportContacts,
  importContacts,
  nameIn,
  parseContactList,
  withNames,
  withoutName,
} from './contacts.ts';

/** The record the list lives in (the backup's `contacts`). */
export const CONTACTS_KEY = 'contacts';

export class ContactStore {
  readonly #records: RecordStore;
  // Every change is read-modify-write of one record: run them one at a time so none is lost.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(records: RecordStore) {
    this.#records = records;
  }

  /**
   * Every contact, in the order they were named.
   * @throws ContactFormatError if the stored record is damaged.
   */
  async list(): Promise<Contact[]> {
    return parseContactList(await this.#records.get(CONTACTS_KEY));
  }

  /**
   * Every name by public key (lower-case hex), as core/wallet/roster.ts looks them up; empty when
   * the stored list is damaged, so a bad record never keeps a vault from showing (by numbers).
   */
  async names(): Promise<Map<string, string>> {
    const list = await this.list().catch((err: unknown) => {
      if (err instanceof ContactFormatError) return [];
      throw err;
    });
    return new Map(list.map((c) => [c.pubkey, c.name]));
  }

  /** The name given to a public key (hex), if any. */
  async nameOf(pubkeyHex: string): Promise<string | undefined> {
    return nameIn(await this.list(), pubkeyHex);
  }

  /**
   * Names (or renames) one member key.
   * @throws ContactKeyError, ContactNameError; nothing is written.
   * @example await store.setName('02ab…', 'Alice')
   */
  async setName(pubkeyHex: string, name: string): Promise<Contact[]> {
    return this.setNames([{ pubkey: pubkeyHex, name }]);
  }

  /**
   * Names many keys at once (a vault that just formed): all of them or, if any is invalid, none.
   * `keepExisting`: a key the user already named keeps its name.
   * @throws ContactKeyError, ContactNameError, ContactFormatError.
   * @example await store.setNames(members, { keepExisting: true })
   */
  async setNames(
    contacts: readonly { pubkey: string; name: string }[],
    options: { keepExisting?: boolean } = {},
  ): Promise<Contact[]> {
    return this.#change((list) => withNames(list, contacts, options));
  }

  /** Forgets the name of a key (no error if it had none). @throws ContactKeyError. */
  async remove(pubkeyHex: string): Promise<Contact[]> {
    return this.#change((list) => withoutName(list, pubkeyHex));
  }

  /** Every contact as BIP-329 `pubkey` lines. */
  async exportText(): Promise<string> {
    return exportContacts(await this.list());
  }

  /**
   * Merges a BIP-329 file (an imported name replaces the one a key had). Nothing is written
   * unless the whole file reads.
   * @throws ContactFormatError naming the first bad line.
   */
  async importText(text: string): Promise<{ imported: number; skipped: number }> {
    const { contacts, skipped } = importContacts(text);
    await this.#change((list) => withNames(list, contacts));
    return { imported: contacts.length, skipped };
  }

  #change(update: (list: Contact[]) => Contact[]): Promise<Contact[]> {
    const run = this.#queue.then(async () => {
      const next = update(await this.list());
      await this.#records.put(CONTACTS_KEY, next);
      return next;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
