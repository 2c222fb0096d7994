import { useEffect, useState } from 'preact/hooks';
import { type Contact, byName } from '../../core/wallet/contacts.ts';
import { JsonLinesImportForm } from '../components/JsonLinesImportForm.tsx';
import { notify } from '../components/Toast.tsx';
import { downloadFile } from '../download-file.ts';
import { publishContacts, useContacts } from '../contacts-state.ts';
import { shortKey } from '../../core/wallet/roster.ts';
import { useAction, useRpc } from '../state.ts';
import { ErrorText, Field, Screen } from '../ui.tsx';
import '../people.css';

/** A member of one of the wallet's vaults, offered when adding a contact. */
interface VaultMember {
  pubkey: string;
  vault: string;
  number: number;
}

/**
 * Contacts: the user's names for vault members' public keys. Listed, added (by key, or picked
 * from a vault's members), renamed and deleted here; every screen that shows a member uses them.
 */
export function Contacts() {
  const rpc = useRpc();
  const { contacts, error } = useContacts();
  const remove = useAction(async (pubkey: string) => {
    publishContacts((await rpc.request('petal_contactRemove', { pubkey })).contacts);
    notify('Contact deleted');
  });
  return (
    <Screen title="Contacts" back="/settings" id="contacts">
      <p class="small muted">
        Names for the people you share vaults with, by their member key. Only this wallet sees them
        (and your encrypted backup).
      </p>
      <ErrorText error={error ?? remove.error} id="contacts-error" />
      {contacts?.length === 0 && <p class="muted">No contacts yet.</p>}
      <ul class="members people contacts" id="contact-list">
        {byName(contacts ?? []).map((c) => (
          <ContactItem key={c.pubkey} contact={c} onDelete={() => void remove.act(c.pubkey)} />
        ))}
      </ul>
      <AddContact known={contacts ?? []} />
      <ContactFile />
    </Screen>
  );
}

function ContactItem({ contact, onDelete }: { contact: Contact; onDelete: () => void }) {
  const rpc = useRpc();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(contact.name);
  const rename = useAction(async () => {
    publishContacts(
      (await rpc.request('petal_contactSet', { pubkey: contact.pubkey, name })).contacts,
    );
    setEditing(false);
  });
  return (
    <li data-pubkey={contact.pubkey}>
      <div class="person">
        <span class="person-text">
          <span class="member-name">{contact.name}</span>
          <span class="member-detail mono" title={contact.pubkey}>
            {shortKey(contact.pubkey)}
          </span>
        </span>
        {!editing && (
          <span class="person-side">
            <button
              type="button"
              class="link small"
              data-rename
              onClick={() => {
                setName(contact.name);
                setEditing(true);
              }}
            >
              Rename
            </button>
            <button
              type="button"
              class="link small danger"
              data-delete
              aria-label={`Delete ${contact.name}`}
              onClick={onDelete}
            >
              Delete
            </button>
          </span>
        )}
      </div>
      {editing && (
        <form
          class="label-form"
          onSubmit={(e) => {
            e.preventDefault();
            void rename.act();
          }}
          onInput={rename.clear}
        >
          <input
            aria-label={`New name for ${contact.name}`}
            data-name-input
            autoFocus
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <button type="submit" data-save-name disabled={rename.busy || !name.trim()}>
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorText error={rename.error} />
    </li>
  );
}

/** The members of this wallet's vaults, other than this wallet, for the "pick a member" list. */
function useVaultMembers(): VaultMember[] {
  const rpc = useRpc();
  const [members, setMembers] = useState<VaultMember[]>([]);
  useEffect(() => {
    let stopped = false;
    void (async () => {
      const vaults = await rpc.request('petal_vaultList', {}).catch(() => []);
      const found: VaultMember[] = [];
      for (const v of vaults.filter((x) => x.role === 'member')) {
        const details = await rpc.request('petal_vaultDetails', { id: v.id }).catch(() => null);
        details?.memberKeys.forEach((pubkey, i) => {
          if (i !== details.me) found.push({ pubkey, vault: v.label || 'Vault', number: i + 1 });
        });
      }
      if (!stopped) setMembers(found);
    })();
    return () => {
      stopped = true;
    };
  }, [rpc]);
  return members;
}

function AddContact({ known }: { known: Contact[] }) {
  const rpc = useRpc();
  const members = useVaultMembers();
  const [pubkey, setPubkey] = useState('');
  const [name, setName] = useState('');
  const add = useAction(async () => {
    publishContacts((await rpc.request('petal_contactSet', { pubkey, name })).contacts);
    notify(`Saved ${name.trim()}`);
    setPubkey('');
    setName('');
  });
  const named = new Set(known.map((c) => c.pubkey));
  const unnamed = members.filter((m) => !named.has(m.pubkey));
  return (
    <form
      class="card"
      id="contact-add"
      aria-labelledby="contact-add-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void add.act();
      }}
      onInput={add.clear}
    >
      <h3 id="contact-add-heading">Add a contact</h3>
      {unnamed.length > 0 && (
        <Field label="Pick a vault member" id="contact-pick">
          <select
            id="contact-pick"
            value={unnamed.some((m) => m.pubkey === pubkey) ? pubkey : ''}
            onChange={(e) => setPubkey(e.currentTarget.value)}
          >
            <option value="">…or type a public key below</option>
            {unnamed.map((m) => (
              <option key={`${m.vault}-${m.pubkey}`} value={m.pubkey}>
                {m.vault}: member {m.number} ({shortKey(m.pubkey)})
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field label="Member public key" id="contact-pubkey" hint="66 hex digits, 02… or 03…">
        <input
          id="contact-pubkey"
          class="mono"
          spellcheck={false}
          autoComplete="off"
          value={pubkey}
          aria-describedby="contact-pubkey-hint"
          onInput={(e) => setPubkey(e.currentTarget.value.trim())}
        />
      </Field>
      <Field label="Name" id="contact-name">
        <input
          id="contact-name"
          placeholder="e.g. Alice"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <ErrorText error={add.error} id="contact-add-error" />
      <button type="submit" class="primary" id="contact-save" disabled={add.busy || !pubkey}>
        Save contact
      </button>
    </form>
  );
}

/** Export and import contacts as BIP-329 `pubkey` lines. */
function ContactFile() {
  const rpc = useRpc();
  const [text, setText] = useState('');
  const [importing, setImporting] = useState(false);
  const exportFile = useAction(async () => {
    const { text: file, filename } = await rpc.request('petal_contactExport', {});
    downloadFile(file, filename, 'application/jsonl');
  });
  const importFile = useAction(async () => {
    const result = await rpc.request('petal_contactImport', { text });
    publishContacts(result.contacts);
    setText('');
    setImporting(false);
    notify(
      `Imported ${result.imported} contact${result.imported === 1 ? '' : 's'}` +
        (result.skipped ? `; skipped ${result.skipped} other records` : ''),
    );
  });
  return (
    <section class="card" id="contact-file" aria-labelledby="contact-file-heading">
      <h3 id="contact-file-heading">Contacts file</h3>
      <p class="small muted">BIP-329 lines (type “pubkey”), which other wallets read.</p>
      <div class="row">
        <button
          type="button"
          id="contacts-export"
          disabled={exportFile.busy}
          onClick={() => void exportFile.act()}
        >
          Export
        </button>
        <button
          type="button"
          id="contacts-import-open"
          aria-expanded={importing}
          onClick={() => setImporting(!importing)}
        >
          Import
        </button>
      </div>
      <ErrorText error={exportFile.error} />
      {importing && (
        <JsonLinesImportForm
          idPrefix="contacts"
          fileLabel="File"
          text={text}
          setText={setText}
          action={importFile}
          clearErrorOnInput
        />
      )}
    </section>
  );
}
