import { useEffect, useState } from 'preact/hooks';
import type { MethodParams, VaultDetails, VaultInfo } from '../../core/rpc/index.ts';
import { parseXpi } from '../../core/wallet/amount.ts';
import { usePolled } from '../polled.ts';
import { QrCode } from '../qr.tsx';
import { MAX_RECOVERY_BLOCKS, type WaitUnit, recoveryBlocks } from '../recovery-wait.ts';
import { useAction, useRpc } from '../state.ts';
import { ErrorText, Field, Grouped, Screen, Xpi, WhoCanSpend, sentence } from '../ui.tsx';
import { shortKey } from '../../core/wallet/roster.ts';
import { SessionCard } from './Sessions.tsx';
import { RecoveryClock, RecoveryHolder, RecoveryVaultScreen } from './RecoveryVault.tsx';
import { FingerprintWords, FormationsUnderWay } from './VaultFormation.tsx';
import { JoinCodesForm } from '../components/JoinCodesForm.tsx';
import { SharedCode } from '../components/SharedCode.tsx';
import { VaultMembers } from '../components/VaultMembers.tsx';
import { VaultHistory } from '../components/VaultHistory.tsx';

const PUBLIC_KEY_HEX = /^0[23][0-9a-f]{64}$/;
/** A vault name's limit in UTF-8 bytes (MAX_LABEL_BYTES in core/wallet/vault.ts, which the
 * popup does not load: it would pull the MuSig2 code into the popup bundle). */
const MAX_LABEL_BYTES = 64;
/** A member's own name in UTF-8 bytes (MAX_MEMBER_NAME_BYTES in core/wallet/member-name.ts). */
const MAX_NAME_BYTES = 32;
/** The wallet says this when no relay is reachable: the popup falls back to codes by hand. */
const isOffline = (err: unknown) => (err as Error).name === 'FormationUnavailableError';

/** "2 of 3", "3 of 3 · recovery", "recovery key": a vault's rule (or this wallet's part) at a glance. */
const policyShort = (v: VaultInfo) =>
  v.role === 'recovery'
    ? 'recovery key'
    : `${v.threshold} of ${v.members}${v.recovery ? ' · recovery' : ''}`;

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
      <FormationsUnderWay />
      {vaults?.length === 0 && <p class="muted">No vaults yet.</p>}
      <ul class="vaults">
        {vaults?.map((v) => (
          <li key={v.id} class="card" data-vault={v.id} data-role={v.role}>
            <a href={`#/vault/${v.id}`} class="line">
              <strong>{v.label || 'Vault'}</strong>
              <span class="muted small" data-policy title={sentence(v.policyText)}>
                {policyShort(v)}
              </span>
            </a>
            <Grouped class="mono small" text={v.address} />
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
  if (vault.role === 'recovery') return <RecoveryVaultScreen vault={vault} />;
  return (
    <Screen title={vault.label || 'Vault'} back="/vaults" id="vault">
      <p class="mono small">
        <Grouped id="vault-address" text={vault.address} />
      </p>
      <QrCode text={vault.address} label="Vault address" />
      <p>
        Balance:{' '}
        <strong id="vault-balance">
          {vault.balance === undefined ? 'offline' : <Xpi sats={vault.balance} />}
        </strong>
      </p>
      <WhoCanSpend id="vault-policy" text={vault.policyText} />
      <div class="small" id="vault-fingerprint">
        <strong>Fingerprint:</strong> <span class="mono">{vault.fingerprint}</span> — read it (or
        the words) to the other members: the same vault shows the same in every wallet.
        <FingerprintWords words={vault.fingerprintWords} id="vault-words" />
      </div>
      <VaultMembers vault={vault} />
      {vault.recovery && (
        <p class="muted small" id="vault-recovery">
          {vault.recovery.keys.length === 1 ? 'Recovery key' : 'Recovery keys'}:{' '}
          {vault.recovery.keys.map((key) => (
            <span key={key} class="mono">
              {shortKey(key)}{' '}
            </span>
          ))}
        </p>
      )}
      {vault.recovery && <RecoveryClock id={vault.id} />}
      <details id="vault-share">
        <summary>
          Vault descriptor: add this vault to another wallet, or keep it as a backup
        </summary>
        <SharedCode
          id="vault-share-descriptor"
          label="Vault descriptor"
          rows={4}
          text={vault.descriptor}
        />
      </details>
      <ProposeSpend vault={vault} />
      <VaultHistory vault={vault} />
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
      onInput={propose.clear}
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

/**
 * Creator: the vault's policy and your name, then one invite to share (members answer over the
 * network: VaultFormation.tsx). Without a reachable relay: the invite, their join codes by hand,
 * then the descriptor.
 */
export function NewVault() {
  const rpc = useRpc();
  const [myName, setMyName] = useState('');
  const [offline, setOffline] = useState(false);
  const [members, setMembers] = useState('2');
  const [threshold, setThreshold] = useState('2');
  const [label, setLabel] = useState('');
  const [withRecovery, setWithRecovery] = useState(false);
  const [recoveryKey, setRecoveryKey] = useState('');
  const [waitAmount, setWaitAmount] = useState('1');
  const [waitUnit, setWaitUnit] = useState<WaitUnit>('months');
  const [invite, setInvite] = useState<{ code: string; policyText: string; members: number }>();
  const [joins, setJoins] = useState('');
  const [vault, setVault] = useState<VaultInfo>();

  const afterBlocks = recoveryBlocks(waitAmount, waitUnit);
  const key = recoveryKey.trim().toLowerCase();
  // Only the shape of what was typed is checked here; the wallet judges the policy itself.
  // The name travels in the invite and descriptor as at most 64 bytes of UTF-8, never cut.
  const labelBytes = new TextEncoder().encode(label).length;
  const nameBytes = new TextEncoder().encode(myName.trim()).length;
  const formError =
    nameBytes > MAX_NAME_BYTES
      ? `Your name is ${nameBytes} bytes; at most ${MAX_NAME_BYTES} fit`
      : labelBytes > MAX_LABEL_BYTES
        ? `The name is ${labelBytes} bytes; at most ${MAX_LABEL_BYTES} fit (accented letters and emoji take 2–4 each)`
        : !/^\d+$/.test(members.trim())
          ? 'Members: a whole number, you included'
          : !/^\d+$/.test(threshold.trim())
            ? 'Signatures needed: a whole number'
            : withRecovery && !PUBLIC_KEY_HEX.test(key)
              ? 'The recovery key is a public key: 66 hex digits starting with 02 or 03'
              : withRecovery && afterBlocks === undefined
                ? 'Say how long recovery waits'
                : undefined;
  const params: MethodParams<'petal_vaultInviteCreate'> = {
    members: Number(members),
    threshold: Number(threshold),
    ...(label ? { label } : {}),
    ...(withRecovery && afterBlocks !== undefined
      ? { recovery: { afterBlocks, keys: [key], threshold: 1 } }
      : {}),
  };
  const preview = usePolicyPreview(formError ? undefined : params);

  const create = useAction(async () => {
    try {
      const formation = await rpc.request('petal_formationStart', { ...params, name: myName });
      location.hash = `/formation/${formation.id}`;
      return;
    } catch (err) {
      if (!isOffline(err)) throw err;
      setOffline(true);
    }
    const created = await rpc.request('petal_vaultInviteCreate', params);
    setInvite({ code: created.code, policyText: created.policyText, members: created.members });
  });
  const assemble = useAction(async () => {
    const codes = joins.split(/\s+/).filter(Boolean);
    setVault(
      await rpc.request('petal_vaultInviteAssemble', { invite: invite?.code ?? '', joins: codes }),
    );
  });
  if (vault) return <VaultCreated vault={vault} />;
  if (invite)
    return (
      <Screen title="Invite the members" back="/vaults" id="vault-invite">
        {offline && (
          <p class="warn small" id="invite-offline">
            No relay is reachable, so the members answer by hand: each sends you a join code.
          </p>
        )}
        <p>Send this invite to each of the other {invite.members - 1} members.</p>
        <WhoCanSpend id="invite-policy" text={invite.policyText} small />
        <SharedCode id="invite-code" label="Invite code" rows={4} text={invite.code} />
        <JoinCodesForm
          label="Their join codes (one per line)"
          rows={4}
          primary
          joins={joins}
          setJoins={setJoins}
          assemble={assemble}
        />
      </Screen>
    );
  return (
    <Screen title="New vault" back="/vaults" id="vault-create">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create.act();
        }}
        onInput={create.clear}
      >
        <Field
          label="Your name, as the other members will see it"
          id="new-vault-my-name"
          hint={`${nameBytes} of ${MAX_NAME_BYTES} bytes`}
        >
          <input
            id="new-vault-my-name"
            autocomplete="nickname"
            value={myName}
            onInput={(e) => setMyName(e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Vault name"
          id="new-vault-label"
          hint={`${labelBytes} of ${MAX_LABEL_BYTES} bytes`}
        >
          <input
            id="new-vault-label"
            value={label}
            onInput={(e) => setLabel(e.currentTarget.value)}
          />
        </Field>
        <Field label="Members, you included" id="new-vault-members">
          <input
            id="new-vault-members"
            type="number"
            min={2}
            max={100}
            value={members}
            onInput={(e) => setMembers(e.currentTarget.value)}
          />
        </Field>
        <div class="field">
          <label for="new-vault-threshold">Signatures needed</label>
          <div class="inline">
            <input
              id="new-vault-threshold"
              class="narrow"
              type="number"
              min={2}
              max={Number(members) || 100}
              value={threshold}
              aria-describedby="new-vault-threshold-hint"
              onInput={(e) => setThreshold(e.currentTarget.value)}
            />
            <span>of {members || '…'}</span>
          </div>
          <small class="hint" id="new-vault-threshold-hint">
            With fewer than everyone, a spend waits an hour for all members, then goes ahead with
            those who approved.
          </small>
        </div>
        <label class="check">
          <input
            type="checkbox"
            id="new-vault-recovery"
            checked={withRecovery}
            onChange={(e) => setWithRecovery(e.currentTarget.checked)}
          />{' '}
          Add a recovery key (optional)
        </label>
        {withRecovery && (
          <fieldset class="recovery" id="new-vault-recovery-fields">
            <Field
              label="Recovery key (public key, hex)"
              id="new-vault-recovery-key"
              hint="A key kept apart from the members’ wallets, e.g. on paper or a spare device."
            >
              <input
                id="new-vault-recovery-key"
                class="mono small"
                spellcheck={false}
                autocomplete="off"
                placeholder="02… or 03… (66 hex digits)"
                value={recoveryKey}
                onInput={(e) => setRecoveryKey(e.currentTarget.value)}
              />
            </Field>
            <div class="field">
              <label for="new-vault-wait">It can spend alone after about</label>
              <div class="inline">
                <input
                  id="new-vault-wait"
                  class="narrow"
                  type="number"
                  min={1}
                  value={waitAmount}
                  aria-describedby="new-vault-wait-hint"
                  onInput={(e) => setWaitAmount(e.currentTarget.value)}
                />
                <select
                  id="new-vault-wait-unit"
                  aria-label="Unit"
                  value={waitUnit}
                  onChange={(e) => setWaitUnit(e.currentTarget.value as WaitUnit)}
                >
                  <option value="days">days</option>
                  <option value="weeks">weeks</option>
                  <option value="months">months</option>
                </select>
              </div>
              <small class="hint" id="new-vault-wait-hint">
                {afterBlocks !== undefined && `${afterBlocks.toLocaleString('en-US')} blocks. `}
                Counted in 2-minute blocks from when a payment reaches the vault; at most{' '}
                {MAX_RECOVERY_BLOCKS.toLocaleString('en-US')} blocks (about 91 days).
              </small>
            </div>
          </fieldset>
        )}
        {formError ? (
          <ErrorText error={formError} id="new-vault-form-error" />
        ) : preview.error ? (
          <ErrorText error={preview.error} id="new-vault-policy-error" />
        ) : (
          preview.text && <WhoCanSpend id="new-vault-policy" text={preview.text} />
        )}
        <ErrorText error={create.error} id="new-vault-error" />
        <button
          type="submit"
          class="primary"
          id="create-invite"
          disabled={
            create.busy || !myName.trim() || formError !== undefined || preview.error !== undefined
          }
        >
          Create invite
        </button>
      </form>
    </Screen>
  );
}

/**
 * The wallet's reading of a policy as it is typed: its sentence, or its refusal saying what
 * would fit. Stale answers (the form changed since) are dropped.
 */
function usePolicyPreview(params: MethodParams<'petal_vaultPolicyPreview'> | undefined) {
  const rpc = useRpc();
  const [result, setResult] = useState<{ text?: string; error?: string }>({});
  const key = params ? JSON.stringify(params) : '';
  useEffect(() => {
    if (!params) {
      setResult({});
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      rpc.request('petal_vaultPolicyPreview', params).then(
        (r) => current && setResult({ text: r.policyText }),
        (err: unknown) => current && setResult({ error: (err as Error).message }),
      );
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [rpc, key]);
  return result;
}

/** The vault exists: its descriptor goes to every member, whose wallets show the same address. */
function VaultCreated({ vault }: { vault: VaultInfo }) {
  return (
    <Screen title="Vault created" back="/vaults" id="vault-created">
      <p id="created-label">
        {vault.label ? (
          <>
            The vault <strong>{vault.label}</strong> is made.
          </>
        ) : (
          'The vault is made.'
        )}
      </p>
      <p>
        Address <Grouped class="mono small" text={vault.address} />
      </p>
      <WhoCanSpend id="created-policy" text={vault.policyText} />
      <p>Send this vault descriptor to every member; their wallets will show the same address.</p>
      <SharedCode id="vault-descriptor" label="Vault descriptor" rows={5} text={vault.descriptor} />
      <a class="button primary" href={`#/vault/${vault.id}`}>
        Open the vault
      </a>
    </Screen>
  );
}

/**
 * Member: answer an invite under your name; the creator's wallet hears it over the network and
 * delivers the vault (VaultFormation.tsx). Without a relay, or for an invite without a rendezvous
 * (older wallets): a join code to send back, then the descriptor the creator sends.
 */
export function JoinVault({ code = '' }: { code?: string }) {
  const rpc = useRpc();
  const [invite, setInvite] = useState(code);
  const [myName, setMyName] = useState('');
  const [offline, setOffline] = useState(false);
  const [joined, setJoined] = useState<{
    join: string;
    label: string;
    members: number;
    policyText: string;
  }>();
  const [descriptor, setDescriptor] = useState('');
  const answer = useAction(async () => {
    try {
      const formation = await rpc.request('petal_formationJoin', {
        invite: invite.trim(),
        name: myName,
      });
      location.hash = `/formation/${formation.id}`;
      return;
    } catch (err) {
      // No relay, or an invite from an older wallet (no rendezvous): answered with a join code.
      if (!isOffline(err)) throw err;
      setOffline(true);
    }
    setJoined(await rpc.request('petal_vaultInviteJoin', { invite: invite.trim() }));
  });
  // The creator may be the one without a relay: the join code is always there to send by hand.
  const byCode = useAction(async () => {
    setJoined(await rpc.request('petal_vaultInviteJoin', { invite: invite.trim() }));
  });
  const add = useAction(async () => {
    const vault = await rpc.request('petal_vaultAdd', { descriptor: descriptor.trim() });
    location.hash = `/vault/${vault.id}`;
  });
  return (
    <Screen title="Join a vault" back="/vaults" id="vault-join-screen">
      {!joined ? (
        <>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void answer.act();
            }}
            onInput={() => {
              answer.clear();
              byCode.clear();
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
            <Field
              label="Your name, as the other members will see it"
              id="join-name"
              hint={`${new TextEncoder().encode(myName.trim()).length} of ${MAX_NAME_BYTES} bytes`}
            >
              <input
                id="join-name"
                autocomplete="nickname"
                value={myName}
                onInput={(e) => setMyName(e.currentTarget.value)}
              />
            </Field>
            <ErrorText error={answer.error ?? byCode.error} id="join-error" />
            <button
              type="submit"
              class="primary"
              id="join-answer"
              disabled={answer.busy || !invite || !myName.trim()}
            >
              Answer the invite
            </button>
            <button
              type="button"
              id="join-by-code"
              class="link"
              disabled={byCode.busy || !invite}
              onClick={() => void byCode.act()}
            >
              Answer with a join code instead (to send by hand)
            </button>
          </form>
          <RecoveryHolder />
        </>
      ) : (
        <>
          {offline && (
            <p class="warn small" id="join-offline">
              No relay is reachable, so this wallet answers by hand.
            </p>
          )}
          <p>
            Send this join code back to the creator of “{joined.label || 'the vault'}” (
            {joined.members} members).
          </p>
          <WhoCanSpend id="join-policy" text={joined.policyText} small />
          <SharedCode
            id="join-code"
            label="Your join code"
            rows={3}
            text={joined.join}
            qrLabel="Join code"
          />
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void add.act();
            }}
            onInput={add.clear}
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
