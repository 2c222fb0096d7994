import * as v from 'valibot';
import type { Contact } from '../wallet/contacts.ts';

// Loose bounds at the boundary; the contact store checks the real rules (a point on the curve,
// a trimmed name of at most 64 bytes) and answers with a ContactKeyError / ContactNameError.
const Pubkey = v.pipe(v.string(), v.maxLength(80));
const Name = v.pipe(v.string(), v.maxLength(1024));

/**
 * Contacts: names for vault members' public keys (extension pages only). Every change answers
 * with the whole list, so a screen redraws from what was stored.
 */
export const contactMethodSpecs = {
  petal_contactList: { target: 'background', params: v.optional(v.strictObject({})) },
  /** Names or renames one key. */
  petal_contactSet: {
    target: 'background',
    params: v.strictObject({ pubkey: Pubkey, name: Name }),
  },
  /** Names many keys at once, all or none (a vault that just formed names its members). */
  petal_contactSetMany: {
    target: 'background',
    params: v.strictObject({
      contacts: v.pipe(
        v.array(v.strictObject({ pubkey: Pubkey, name: Name })),
        v.minLength(1),
        v.maxLength(100),
      ),
      /** Leave keys the user already named as they are. */
      keepExisting: v.optional(v.boolean()),
    }),
  },
  petal_contactRemove: { target: 'background', params: v.strictObject({ pubkey: Pubkey }) },
  /** The contacts as BIP-329 `pubkey` lines. */
  petal_contactExport: { target: 'background', params: v.optional(v.strictObject({})) },
  /** Merges BIP-329 lines (other record types are skipped and counted). */
  petal_contactImport: {
    target: 'background',
    params: v.strictObject({ text: v.pipe(v.string(), v.maxLength(2_000_000)) }),
  },
} as const;

export interface ContactMethodResults {
  petal_contactList: { contacts: Contact[] };
  petal_contactSet: { contacts: Contact[] };
  petal_contactSetMany: { contacts: Contact[] };
  petal_contactRemove: { contacts: Contact[] };
  petal_contactExport: { text: string; filename: string };
  petal_contactImport: { contacts: Contact[]; imported: number; skipped: number };
}
