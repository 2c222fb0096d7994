import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Contact } from '../core/wallet/contacts.ts';
import { useRpc } from './state.ts';

// One copy for the whole popup: a name saved on one screen shows at once on every other.
let known: Contact[] | undefined;
const listeners = new Set<(contacts: Contact[]) => void>();

/** Hands every screen the list the background answered a change with. */
export function publishContacts(contacts: Contact[]): void {
  known = contacts;
  for (const listener of listeners) listener(contacts);
}

/**
 * The user's contacts (names for member keys), read from the background when a screen opens and
 * kept current by `publishContacts`. Without them screens still name members by number.
 */
export function useContacts(): {
  contacts: Contact[] | undefined;
  names: ReadonlyMap<string, string>;
  error: string | undefined;
} {
  const rpc = useRpc();
  const [contacts, setContacts] = useState(known);
  const [error, setError] = useState<string>();
  useEffect(() => {
    listeners.add(setContacts);
    rpc.request('petal_contactList', {}).then(
      ({ contacts: list }) => publishContacts(list),
      (err: unknown) => setError((err as Error).message),
    );
    return () => listeners.delete(setContacts);
  }, [rpc]);
  const names = useMemo(() => new Map((contacts ?? []).map((c) => [c.pubkey, c.name])), [contacts]);
  return { contacts, names, error };
}
