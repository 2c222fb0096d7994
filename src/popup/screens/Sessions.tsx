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
import { memberWithKey } from '../../core/wallet/roster.ts';
import { useContacts } from '../contacts-state.ts';

const POLL_MS = 1_000;

/**
 * Vault signing sessions: what each would sign (every payment, the fee, the change back to the
 * vault), recomputed by this wallet from the full transaction, and the one decision left to a
 * person: approve or decline. The protocol runs the rounds by itself afterwards.
 */
export function Sessions() {
  const rpc = useRpc();
  const [sessions, setSessions] = useState<SessionInfo[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const list = await rpc.request('petal_sessionList', {});
        if (!stopped) {
          setSessions(list);
          setError(undefined);
        }
      } catch (err) {
        if (!stopped) setError((err as Error).message);
      }
    };
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [rpc]);

  return (
    <Screen title="Vault sessions" back="/" id="sessions">
      <ErrorText error={error} id="sessions-error" />
      {sessions === undefined && !error && <p class="muted">Loading…</p>}
      {sessions?.length === 0 && <p class="muted">No signing sessions.</p>}
      <ul class="sessions">
        {sessions?.map((s) => (
          <SessionCard key={s.id} session={s} />
        ))}
      </ul>
    </Screen>
  );
}

export function SessionCard({ session: s }: { session: SessionInfo }) {
  const rpc = useRpc();
  const approve = useAction(() => rpc.request('petal_sessionApprove', { id: s.id }));
  const decline = useAction(() => rpc.request('petal_sessionDecline', { id: s.id }));
  const { names } = useContacts();
  const undecided = s.phase === 'awaiting-approvals' && !s.approvedByMe;
  const fallback = fallbackInWords(s, Date.now(), names);
  return (
    <li class="session" data-session={s.id} data-phase={s.phase}>
      <div class="line">
        <strong>{s.vaultLabel || 'Vault'}</strong>
        <span class="badge">{phaseInWords(s, PHASES)}</span>
      </div>
      <p class="muted small" data-proposer>
        Proposed by {s.proposer === s.me ? 'you' : memberWithKey(s.proposer, rosterOf(s, names))}
      </p>
      {s.memo && <p class="memo">“{s.memo}”</p>}
      <SpendSummary rows={sessionRows(s)} />
      <div class="line muted small">
        <span>
          Approved by {s.approvals.length} of {s.members}
          {s.threshold !== undefined && s.threshold < s.members && ` (${s.threshold} needed)`}
        </span>
        {s.txid && <span class="txid">{s.txid.slice(0, 12)}…</span>}
      </div>
      <p class="small" data-path>
        {pathInWords(s, names)}
      </p>
      {fallback && (
        <p class="muted small" data-fallback>
          {fallback}
        </p>
      )}
      {s.end && (
        <p class="muted small" data-end>
          {endInWords(s, names)}
        </p>
      )}
      <a class="link small" href={`#/session/${s.id}`}>
        Live view
      </a>
      {undecided && (
        <div class="actions">
          <button type="button" disabled={approve.busy} onClick={() => void approve.act()}>
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
    </li>
  );
}
