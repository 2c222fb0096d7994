import { useState } from 'preact/hooks';
import type { FormationInfo } from '../../core/rpc/index.ts';
import { JoinCodesForm } from '../components/JoinCodesForm.tsx';
import { SharedCode } from '../components/SharedCode.tsx';
import { usePolled } from '../polled.ts';
import { useAction, useRpc } from '../state.ts';
import { timeLeftInWords } from '../time-left.ts';
import { ErrorText, Grouped, Screen, WhoCanSpend } from '../ui.tsx';
import { shortKey } from '../../core/wallet/roster.ts';

/** A link that opens this extension's join screen with the invite filled in. */
export const inviteLink = (code: string) =>
  new URL(`#/vault-join/${code}`, location.href.split('#')[0]).toString();

/** The fingerprint words, numbered, large enough to read aloud. */
export function FingerprintWords({ words, id }: { words: string[]; id?: string }) {
  return (
    <ol class="words" id={id} aria-label="Fingerprint words">
      {words.map((w) => (
        <li key={w}>{w}</li>
      ))}
    </ol>
  );
}

/** Formations under way (kept across restarts until they expire), on the vault list. */
export function FormationsUnderWay() {
  const rpc = useRpc();
  const [list] = usePolled(() => rpc.request('petal_formationList', {}), [rpc], 2_000);
  const open = list?.filter((f) => f.phase !== 'saved') ?? [];
  if (open.length === 0) return null;
  return (
    <ul class="vaults" id="formations">
      {open.map((f) => (
        <li key={f.id} class="card" data-formation={f.id}>
          <a href={`#/formation/${f.id}`} class="line">
            <strong>{f.label || 'New vault'}</strong>
            <span class="muted small">
              {f.phase === 'delivered'
                ? 'check the words'
                : `forming · ${f.members.length} of ${f.memberCount}`}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

/** One formation: the invite and who joined, then the words to confirm, then the vault. */
export function FormationScreen({ id }: { id: string }) {
  const rpc = useRpc();
  const [formation, error] = usePolled(
    () => rpc.request('petal_formationStatus', { id }),
    [rpc, id],
    1_000,
  );
  if (!formation)
    return (
      <Screen title="New vault" back="/vaults" id="formation">
        <ErrorText error={error} id="formation-error" />
        {!error && <p class="muted">Loading…</p>}
      </Screen>
    );
  if (formation.vault && formation.phase !== 'collecting')
    return <ConfirmWords formation={formation} />;
  return formation.role === 'creator' ? (
    <Collecting formation={formation} />
  ) : (
    <Waiting formation={formation} />
  );
}

function Members({ formation }: { formation: FormationInfo }) {
  return (
    <ol class="members" id="formation-members">
      {formation.members.map((m) => (
        <li key={m.key} data-member-key={m.key}>
          <strong>{m.name}</strong> <span class="mono small muted">{shortKey(m.key)}</span>
          {m.you && <span class="badge">you</span>}
        </li>
      ))}
    </ol>
  );
}

/** The creator's screen while members answer. */
function Collecting({ formation }: { formation: FormationInfo }) {
  const rpc = useRpc();
  const finish = useAction(() => rpc.request('petal_formationFinish', { id: formation.id }));
  const code = formation.code ?? '';
  const joined = formation.members.length;
  const expired = formation.phase === 'expired';
  return (
    <Screen title="Invite the members" back="/vaults" id="formation-invite">
      <p>
        Share this one invite with the other {formation.memberCount - 1} members: text, QR code or
        link. Their wallets answer it over the network.
      </p>
      <WhoCanSpend id="invite-policy" text={formation.policyText} small />
      <SharedCode
        id="invite-code"
        label="Invite code"
        rows={4}
        text={code}
        qrText={code.toUpperCase()}
      />
      <p class="small">
        <a class="link" id="invite-link" href={inviteLink(code)}>
          Invite link
        </a>{' '}
        — opens the join screen in a wallet with Petal.
      </p>
      <h3>
        Joined: {joined} of {formation.memberCount}
      </h3>
      <Members formation={formation} />
      {expired ? (
        <p class="error" id="formation-expired">
          The invite expired before everyone joined. Start again with a new invite.
        </p>
      ) : (
        <p class="muted small" id="formation-waiting">
          Waiting for {formation.memberCount - joined} more… The vault is made as soon as everyone
          is in. The invite expires {timeLeftInWords(formation.expiresAt, Date.now())}.
        </p>
      )}
      <ErrorText error={finish.error} id="formation-finish-error" />
      {!expired && joined >= 2 && joined < formation.memberCount && (
        <button id="formation-finish" disabled={finish.busy} onClick={() => void finish.act()}>
          Make the vault with these {joined} members
        </button>
      )}
      <ByHand id={formation.id} code={code} />
    </Screen>
  );
}

/** The fallback for members whose wallet cannot reach a relay: join codes pasted by hand. */
function ByHand({ id, code }: { id: string; code: string }) {
  const rpc = useRpc();
  const [joins, setJoins] = useState('');
  const assemble = useAction(async () => {
    const vault = await rpc.request('petal_vaultInviteAssemble', {
      invite: code,
      joins: joins.split(/\s+/).filter(Boolean),
    });
    // Formed by hand: the descriptor goes to the members from the vault page, not the network.
    await rpc.request('petal_formationCancel', { id });
    location.hash = `/vault/${vault.id}`;
  });
  return (
    <details id="formation-by-hand">
      <summary>Someone cannot connect? Make the vault from join codes by hand</summary>
      <JoinCodesForm
        label="Join codes of every other member (one per line)"
        rows={3}
        joins={joins}
        setJoins={setJoins}
        assemble={assemble}
      />
    </details>
  );
}

/** A joiner's screen until the creator's wallet delivers the vault. */
function Waiting({ formation }: { formation: FormationInfo }) {
  const creator = formation.members[0]?.name ?? 'the creator';
  return (
    <Screen title={`Joining ${formation.label || 'a vault'}`} back="/vaults" id="formation-wait">
      <WhoCanSpend id="join-policy" text={formation.policyText} small />
      <p id="formation-waiting">
        Your answer is on its way to {creator}. The vault is made once all {formation.memberCount}{' '}
        members are in; this screen moves on by itself.
      </p>
      <h3>Joined so far</h3>
      <Members formation={formation} />
    </Screen>
  );
}

/** Every member reads the words aloud; the vault is kept only once they match. */
function ConfirmWords({ formation }: { formation: FormationInfo }) {
  const rpc = useRpc();
  const vault = formation.vault;
  const confirm = useAction(async () => {
    const saved = await rpc.request('petal_formationConfirm', { id: formation.id });
    location.hash = `/vault/${saved.id}`;
  });
  const cancel = useAction(async () => {
    await rpc.request('petal_formationCancel', { id: formation.id });
    location.hash = '/vaults';
  });
  if (!vault) return null;
  return (
    <Screen title="Check the words" back="/vaults" id="formation-confirm-screen">
      <p>
        Read these words to the other members. Every wallet of “{formation.label || 'the vault'}”
        shows the same five.
      </p>
      <FingerprintWords words={vault.words} id="formation-words" />
      <p class="muted small">
        Fingerprint <span class="mono">{vault.fingerprint}</span> · address{' '}
        <Grouped class="mono" id="formation-address" text={vault.address} />
      </p>
      <WhoCanSpend id="formation-policy" text={vault.policyText} small />
      <h3>Members</h3>
      <Members formation={formation} />
      <ErrorText error={confirm.error ?? cancel.error} id="formation-confirm-error" />
      {formation.phase === 'saved' ? (
        <a class="button primary" href={`#/vault/${vault.id}`} id="formation-open">
          Open the vault
        </a>
      ) : (
        // Stacked full width: side by side, both labels wrap at the popup's width.
        <div class="stack">
          <button
            class="primary"
            id="formation-confirm"
            disabled={confirm.busy}
            onClick={() => void confirm.act()}
          >
            The words match: keep the vault
          </button>
          <button id="formation-cancel" disabled={cancel.busy} onClick={() => void cancel.act()}>
            They differ
          </button>
        </div>
      )}
    </Screen>
  );
}
