import { useEffect, useState } from 'preact/hooks';
import type { VaultDetails, VaultInfo } from '../../core/rpc/index.ts';
import { parseXpi } from '../../core/wallet/amount.ts';
import { QrCode } from '../qr.tsx';
import { useAction, useRpc } from '../state.ts';
import { ErrorText, Field, Screen, Xpi, shortAddress } from '../ui.tsx';
import { SessionCard } from './Sessions.tsx';

const POLL_MS = 1_500;

/** Polls `load` while the screen is open; returns the latest value and the last error. */
function usePolled<T>(
  load: () => Promise<T>,
  deps: unknown[],
): [T | undefined, string | undefined] {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stopped = false;
    const run = () =>
      load().then(
        (v) => !stopped && (setValue(v), setError(undefined)),
        (err: unknown) => !stopped && setError((err as Error).message),
      );
    void run();
    const timer = setInterval(() => void run(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, deps);
  return [value, error];
}

/** The wallet's vaults, and the two ways to start one. */
export function Vaults() {
  const rpc = useRpc();
  const [vaults, error] = usePolled(() => rpc.request('petal_vaultList', {}), [rpc]);
  return (
    <Screen title="Vaults" back="/" id="vaults">
      <div class="actions">
        <a class="button primary" href="#/vault-new" id="vault-new">
          New vault
        </a>
        <a class="button" href="#/vault-join" id="vault-join">
          Join a vault
        </a>
      </div>
      <ErrorText error={error} id="vaults-error" />
      {vaults?.length === 0 && <p class="muted">No vaults yet.</p>}
      <ul class="vaults">
        {vaults?.map((v) => (
          <li key={v.id} class="card" data-vault={v.id}>
            <a href={`#/vault/${v.id}`} class="line">
              <strong>{v.label || 'Vault'}</strong>
              <span class="muted small">{v.members} members</span>
            </a>
            <span class="mono small">{shortAddress(v.address)}</span>
          </li>
        ))}
      </ul>
      <p>
        <a class="link" href="#/sessions" id="go-sessions">
          All signing sessions
        </a>
      </p>
    </Screen>
  );
}

/** One vault: address (QR), balance, members, its sessions, and a spend form. */
export function VaultScreen({ id }: { id: string }) {
  const rpc = useRpc();
  const [vault, error] = usePolled(() => rpc.request('petal_vaultDetails', { id }), [rpc, id]);
  if (!vault)
    return (
      <Screen title="Vault" back="/vaults" id="vault">
        <ErrorText error={error} />
        {!error && <p class="muted">Loading…</p>}
      </Screen>
    );
  return (
    <Screen title={vault.label || 'Vault'} back="/vaults" id="vault">
      <p class="mono small" id="vault-address">
        {vault.address}
      </p>
      <QrCode text={vault.address} label="Vault address" />
      <p>
        Balance:{' '}
        <strong id="vault-balance">
          {vault.balance === undefined ? 'offline' : <Xpi sats={vault.balance} />}
        </strong>
      </p>
      <h3>Members</h3>
      <ol class="members" id="vault-members">
        {vault.memberKeys.map((key, i) => (
          <li key={key} data-member={i}>
            <span class="mono small">{key.slice(0, 10)}…</span>
            {i === vault.me ? (
              <span class="badge">you</span>
            ) : (
              <span class="muted small" data-online={String(vault.online[i])}>
                {vault.online[i] === true
                  ? 'online'
                  : vault.online[i] === false
                    ? 'offline'
                    : 'not seen yet'}
              </span>
            )}
          </li>
        ))}
      </ol>
      <ProposeSpend vault={vault} />
      <h3>Sessions</h3>
      {vault.sessions.length === 0 && <p class="muted small">No spends proposed yet.</p>}
      <ul class="sessions">
        {[...vault.sessions].reverse().map((s) => (
          <SessionCard key={s.id} session={s} />
        ))}
      </ul>
    </Screen>
  );
}

function ProposeSpend({ vault }: { vault: VaultDetails }) {
  const rpc = useRpc();
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const propose = useAction(async () => {
    const sats = parseXpi(amount).toString();
    const session = await rpc.request('petal_vaultPropose', {
      vaultId: vault.id,
      to: to.trim(),
      sats,
      ...(memo ? { memo } : {}),
    });
    location.hash = `/session/${session.id}`;
  });
  return (
    <form
      class="card"
      id="vault-propose"
      onSubmit={(e) => {
        e.preventDefault();
        void propose.act();
      }}
    >
      <h3>Propose a spend</h3>
      <Field label="To" id="vault-to">
        <input id="vault-to" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
      </Field>
      <Field label="Amount (XPI)" id="vault-amount">
        <input
          id="vault-amount"
          inputMode="decimal"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
      </Field>
      <Field label="Memo for the other members (optional)" id="vault-memo">
        <input id="vault-memo" value={memo} onInput={(e) => setMemo(e.currentTarget.value)} />
      </Field>
      <ErrorText error={propose.error} id="vault-propose-error" />
      <button type="submit" class="primary" disabled={propose.busy || !to || !amount}>
        Propose
      </button>
    </form>
  );
}

/** Creator: an invite to share, then the members' join codes, then the vault. */
export function NewVault() {
  const rpc = useRpc();
  const [members, setMembers] = useState('2');
  const [label, setLabel] = useState('');
  const [invite, setInvite] = useState<string>();
  const [joins, setJoins] = useState('');
  const [vault, setVault] = useState<VaultInfo>();
  const create = useAction(async () => {
    setInvite(
      (await rpc.request('petal_vaultInviteCreate', { members: Number(members), label })).code,
    );
  });
  const assemble = useAction(async () => {
    const codes = joins.split(/\s+/).filter(Boolean);
    setVault(
      await rpc.request('petal_vaultInviteAssemble', { invite: invite ?? '', joins: codes }),
    );
  });
  if (vault) return <VaultCreated vault={vault} />;
  if (invite)
    return (
      <Screen title="Invite the members" back="/vaults" id="vault-invite">
        <p>Send this invite to each of the other {Number(members) - 1} members.</p>
        <textarea class="mono small" id="invite-code" readOnly rows={4} value={invite} />
        <QrCode text={invite} label="Invite code" />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void assemble.act();
          }}
        >
          <Field label="Their join codes (one per line)" id="join-codes">
            <textarea
              id="join-codes"
              rows={4}
              value={joins}
              onInput={(e) => setJoins(e.currentTarget.value)}
            />
          </Field>
          <ErrorText error={assemble.error} id="assemble-error" />
          <button type="submit" class="primary" id="assemble" disabled={assemble.busy || !joins}>
            Create the vault
          </button>
        </form>
      </Screen>
    );
  return (
    <Screen title="New vault" back="/vaults" id="vault-create">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create.act();
        }}
      >
        <Field label="Name" id="new-vault-label">
          <input
            id="new-vault-label"
            value={label}
            maxLength={64}
            onInput={(e) => setLabel(e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Members, you included"
          id="new-vault-members"
          hint="Every member must approve each spend (n-of-n)."
        >
          <input
            id="new-vault-members"
            type="number"
            min={2}
            max={100}
            value={members}
            onInput={(e) => setMembers(e.currentTarget.value)}
          />
        </Field>
        <ErrorText error={create.error} />
        <button type="submit" class="primary" id="create-invite" disabled={create.busy}>
          Create invite
        </button>
      </form>
    </Screen>
  );
}

/** The vault exists: its descriptor goes to every member, whose wallets show the same address. */
function VaultCreated({ vault }: { vault: VaultInfo }) {
  return (
    <Screen title="Vault created" back="/vaults" id="vault-created">
      <p>
        Address <span class="mono small">{vault.address}</span>
      </p>
      <p>Send this vault descriptor to every member; their wallets will show the same address.</p>
      <textarea
        class="mono small"
        id="vault-descriptor"
        readOnly
        rows={5}
        value={vault.descriptor}
      />
      <QrCode text={vault.descriptor} label="Vault descriptor" />
      <a class="button primary" href={`#/vault/${vault.id}`}>
        Open the vault
      </a>
    </Screen>
  );
}

/** Member: answer an invite with a join code, then add the descriptor the creator sends back. */
export function JoinVault() {
  const rpc = useRpc();
  const [invite, setInvite] = useState('');
  const [joined, setJoined] = useState<{ join: string; label: string; members: number }>();
  const [descriptor, setDescriptor] = useState('');
  const answer = useAction(async () => {
    setJoined(await rpc.request('petal_vaultInviteJoin', { invite: invite.trim() }));
  });
  const add = useAction(async () => {
    const vault = await rpc.request('petal_vaultAdd', { descriptor: descriptor.trim() });
    location.hash = `/vault/${vault.id}`;
  });
  return (
    <Screen title="Join a vault" back="/vaults" id="vault-join-screen">
      {!joined ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void answer.act();
          }}
        >
          <Field label="Invite code" id="join-invite">
            <textarea
              id="join-invite"
              rows={4}
              value={invite}
              onInput={(e) => setInvite(e.currentTarget.value)}
            />
          </Field>
          <ErrorText error={answer.error} id="join-error" />
          <button type="submit" class="primary" id="join-answer" disabled={answer.busy || !invite}>
            Answer the invite
          </button>
        </form>
      ) : (
        <>
          <p>
            Send this join code back to the creator of “{joined.label || 'the vault'}” (
            {joined.members} members).
          </p>
          <textarea class="mono small" id="join-code" readOnly rows={3} value={joined.join} />
          <QrCode text={joined.join} label="Join code" />
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void add.act();
            }}
          >
            <Field label="Vault descriptor from the creator" id="join-descriptor">
              <textarea
                id="join-descriptor"
                rows={4}
                value={descriptor}
                onInput={(e) => setDescriptor(e.currentTarget.value)}
              />
            </Field>
            <ErrorText error={add.error} id="descriptor-error" />
            <button type="submit" class="primary" id="join-add" disabled={add.busy || !descriptor}>
              Add the vault
            </button>
          </form>
        </>
      )}
    </Screen>
  );
}
