import { useEffect, useState } from 'preact/hooks';
import type { SessionInfo } from '../../core/rpc/index.ts';
import { useAction, useRpc } from '../state.ts';
import { ErrorText, Screen } from '../ui.tsx';
import { SpendSummary, sessionRows } from '../spend-summary.tsx';
import {
  endInWords,
  fallbackInWords,
  pathInWords,
  phaseInWords,
  PHASES,
  rosterOf,
} from '../session-words.ts';
import { memberName, memberRow, memberWithKey } from '../../core/wallet/roster.ts';
import { useContacts } from '../contacts-state.ts';
import '../people.css';

/** A live session: phase, who has done what, who broadcasts (and who takes over), and why it ended. */
export function SessionDetails({ id }: { id: string }) {
  const rpc = useRpc();
  const [session, setSession] = useState<SessionInfo | null>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stopped = false;
    const load = () =>
      rpc.request('petal_sessionList', {}).then(
        (list) => !stopped && setSession(list.find((s) => s.id === id) ?? null),
        (err: unknown) => !stopped && setError((err as Error).message),
      );
    void load();
    const timer = setInterval(() => void load(), 1_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [rpc, id]);
  const approve = useAction(() => rpc.request('petal_sessionApprove', { id }));
  const decline = useAction(() => rpc.request('petal_sessionDecline', { id }));
  const { names } = useContacts();

  if (!session)
    return (
      <Screen title="Signing session" back="/sessions" id="session">
        <ErrorText error={error} />
        {session === null && <p class="muted">This session is not known to this wallet.</p>}
      </Screen>
    );
  const s = session;
  const order = s.coordinators ?? [];
  const undecided = s.phase === 'awaiting-approvals' && !s.approvedByMe;
  const fallback = fallbackInWords(s, Date.now(), names);
  const roster = rosterOf(s, names);
  const member = (i: number) => memberName(i, roster);
  // Members outside a chosen leaf sign nothing: their rows say so instead of "—".
  const unneeded = (i: number) => s.pathSigners !== undefined && !s.pathSigners.includes(i);
  return (
    <Screen title={s.vaultLabel || 'Vault spend'} back={`/vault/${s.vaultId}`} id="session">
      <p>
        <span class="badge" id="session-phase" data-phase={s.phase}>
          {phaseInWords(s, PHASES)}
        </span>{' '}
        {s.attempt > 1 && <span class="muted small">attempt {s.attempt}</span>}
      </p>
      <p id="session-proposer" class="muted small">
        Proposed by {s.proposer === s.me ? 'you' : memberWithKey(s.proposer, roster)}
      </p>
      <p id="session-path">{pathInWords(s, names)}</p>
      {fallback && (
        <p class="muted small" id="session-fallback">
          {fallback}
        </p>
      )}
      {s.memo && <p class="memo">“{s.memo}”</p>}
      <SpendSummary id="session-payments" rows={sessionRows(s)} />
      <table class="members-progress" id="session-members">
        <caption class="muted small">Progress of each member</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Approved</th>
            <th scope="col">Nonces</th>
            <th scope="col">Signature</th>
            <th scope="col">Broadcasts</th>
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: s.members }, (_, i) => (
            <tr key={i} data-member={i}>
              <th scope="row">
                <MemberCell {...memberRow(i, roster, { withKey: false })} />
              </th>
              <td>{s.approvals.includes(i) ? '✓' : '…'}</td>
              <td>{unneeded(i) ? 'n/a' : s.noncesFrom?.includes(i) ? '✓' : '—'}</td>
              <td>{unneeded(i) ? 'n/a' : s.partialsFrom?.includes(i) ? '✓' : '—'}</td>
              <td>
                {order.indexOf(i) === 0
                  ? 'first'
                  : order.includes(i)
                    ? `#${order.indexOf(i) + 1}`
                    : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {order.length > 0 && (
        <p class="muted small" id="session-failover">
          {member(order[0] as number)} {order[0] === s.me ? 'broadcast' : 'broadcasts'}; if silent,
          then{' '}
          {order
            .slice(1)
            .map((i) => member(i))
            .join(', then ')}
          .
        </p>
      )}
      {s.txid && (
        <p class="small">
          Transaction{' '}
          <span class="mono" id="session-txid">
            {s.txid}
          </span>
        </p>
      )}
      {s.end && s.phase !== 'completed' && (
        <p class="error" role="alert" id="session-end">
          {endInWords(s, names)}
        </p>
      )}
      {undecided && (
        <div class="actions">
          <button
            type="button"
            class="primary"
            disabled={approve.busy}
            onClick={() => void approve.act()}
          >
            Approve
          </button>
          <button
            type="button"
            class="secondary"
            disabled={decline.busy}
            onClick={() => void decline.act()}
          >
            Decline
          </button>
        </div>
      )}
      <ErrorText error={approve.error ?? decline.error} />
    </Screen>
  );
}

/** A member's table cell: the name, and under it the member number and short key. */
function MemberCell({ name, detail }: { name: string; detail: string }) {
  return (
    <>
      <span class="member-name">{name}</span>
      {detail && <span class="member-detail">{detail}</span>}
    </>
  );
}
