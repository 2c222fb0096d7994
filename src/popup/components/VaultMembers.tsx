import { useState } from 'preact/hooks';
import type { VaultDetails } from '../../core/rpc/index.ts';
import { publishContacts, useContacts } from '../contacts-state.ts';
import { type Roster, memberRow, nameOfMember } from '../../core/wallet/roster.ts';
import { useAction, useRpc } from '../state.ts';
import { ErrorText } from '../ui.tsx';
import '../people.css';

/** Online now, offline, or (null over JSON) not seen since this wallet started. */
const onlineText = (online: boolean | null | undefined) =>
  online === true ? 'online' : online === false ? 'offline' : 'not seen yet';

/**
 * The vault page's member list: each member by the user's name for them (or "Member 2" and the
 * start of their key), the member number everywhere the same, whether they are online, and a
 * way to name or rename them in place.
 */
export function VaultMembers({ vault }: { vault: VaultDetails }) {
  const { names } = useContacts();
  const roster: Roster = { me: vault.me, keys: vault.memberKeys, names };
  return (
    <>
      <h3>Members</h3>
      <ol class="members people" id="vault-members">
        {vault.memberKeys.map((key, i) => (
          <MemberItem key={key} index={i} pubkey={key} roster={roster} online={vault.online[i]} />
        ))}
      </ol>
    </>
  );
}

function MemberItem(props: {
  index: number;
  pubkey: string;
  roster: Roster;
  online: boolean | undefined;
}) {
  const { index: i, pubkey, roster } = props;
  const rpc = useRpc();
  const [editing, setEditing] = useState(false);
  const current = nameOfMember(i, roster);
  const [text, setText] = useState(current ?? '');
  const save = useAction(async () => {
    const { contacts } = await rpc.request('petal_contactSet', { pubkey, name: text });
    publishContacts(contacts);
    setEditing(false);
  });
  const forget = useAction(async () => {
    const { contacts } = await rpc.request('petal_contactRemove', { pubkey });
    publishContacts(contacts);
    setEditing(false);
  });
  const row = memberRow(i, roster);
  const mine = i === roster.me;
  return (
    <li data-member={i} data-name={current ?? ''}>
      <div class="person">
        <span class="person-text">
          <span class="member-name">{row.name}</span>
          <span class="member-detail mono">{row.detail}</span>
        </span>
        {mine ? (
          <span class="badge">you</span>
        ) : (
          <span class="person-side">
            <span class="muted small" data-online={String(props.online)}>
              {onlineText(props.online)}
            </span>
            {!editing && (
              <button
                type="button"
                class="link small"
                data-edit-name
                aria-label={current ? `Rename ${current}` : `Name member ${i + 1}`}
                onClick={() => {
                  setText(current ?? '');
                  setEditing(true);
                }}
              >
                {current ? 'Rename' : 'Name'}
              </button>
            )}
          </span>
        )}
      </div>
      {editing && (
        <form
          class="label-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save.act();
          }}
          onInput={save.clear}
        >
          <input
            aria-label={`Name for member ${i + 1}`}
            data-name-input
            autoFocus
            placeholder="e.g. Alice"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <button type="submit" data-save-name disabled={save.busy || !text.trim()}>
            Save
          </button>
          {current && (
            <button type="button" disabled={forget.busy} onClick={() => void forget.act()}>
              Forget
            </button>
          )}
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorText error={save.error ?? forget.error} />
    </li>
  );
}
