import { useState } from 'preact/hooks';
import type { SessionInfo, VaultDetails } from '../../core/rpc/index.ts';
import {
  VAULT_HISTORY_MAX,
  VAULT_HISTORY_PAGE,
  type VaultHistoryEntry,
} from '../../core/wallet/vault-history.ts';
import { formatActivityTime } from '../activity-time.ts';
import { useContacts } from '../contacts-state.ts';
import { memberWithKey } from '../../core/wallet/roster.ts';
import { usePolled } from '../polled.ts';
import { rosterOf } from '../session-words.ts';
import { useRpc } from '../state.ts';
import { ErrorText, Xpi, shortAddress } from '../ui.tsx';
import { confirmationsText, useTxLabels } from '../screens/Activity.tsx';
import '../history.css';
import '../people.css';

const POLL_MS = 5_000;

/**
 * The vault's receipts and spends, newest first: when, how much, confirmations, the user's label,
 * and for a spend the signing session that produced it (its memo, who proposed it). Each opens
 * the transaction detail from the vault's point of view. The latest 50 first; "Show more" reads
 * 50 older ones each time (every poll re-reads all that is shown, so confirmations stay current).
 */
export function VaultHistory({ vault }: { vault: VaultDetails }) {
  const rpc = useRpc();
  const [limit, setLimit] = useState(VAULT_HISTORY_PAGE);
  const [history, error] = usePolled(
    async () => ({ ...(await rpc.request('petal_vaultHistory', { id: vault.id, limit })), limit }),
    [rpc, vault.id, limit],
    POLL_MS,
  );
  const entries = history?.entries;
  // The previous list stays on screen until the longer one arrives.
  const loadingMore = history !== undefined && history.limit !== limit;
  const labels = useTxLabels(entries);
  const { names } = useContacts();
  const byTxid = new Map(vault.sessions.flatMap((s) => (s.txid ? [[s.txid, s] as const] : [])));
  return (
    <>
      <h3>History</h3>
      <ErrorText error={error} id="vault-history-error" />
      {entries === undefined && !error && <p class="muted small">Loading…</p>}
      {entries?.length === 0 && <p class="muted small">No payments in or out yet.</p>}
      <ul class="activity vault-history" id="vault-history">
        {entries?.map((e) => (
          <HistoryItem
            key={e.txid}
            entry={e}
            vaultId={vault.id}
            label={labels[e.txid]}
            session={byTxid.get(e.txid)}
            names={names}
          />
        ))}
      </ul>
      {history?.more && limit < VAULT_HISTORY_MAX && (
        <button
          type="button"
          class="history-more"
          id="vault-history-more"
          disabled={loadingMore}
          onClick={() => setLimit((n) => Math.min(n + VAULT_HISTORY_PAGE, VAULT_HISTORY_MAX))}
        >
          {loadingMore ? 'Loading…' : 'Show more'}
        </button>
      )}
      {history?.more && limit >= VAULT_HISTORY_MAX && (
        <p class="muted small" id="vault-history-end">
          The latest {VAULT_HISTORY_MAX.toLocaleString('en-US')} are shown; a block explorer lists
          the older ones.
        </p>
      )}
    </>
  );
}

function HistoryItem(props: {
  entry: VaultHistoryEntry;
  vaultId: string;
  label: string | undefined;
  session: SessionInfo | undefined;
  names: ReadonlyMap<string, string>;
}) {
  const { entry: e, session: s, label } = props;
  const kind = e.kind === 'received' ? 'Received' : e.kind === 'sent' ? 'Spent' : 'To itself';
  const proposer =
    s && (s.proposer === s.me ? 'you' : memberWithKey(s.proposer, rosterOf(s, props.names)));
  return (
    <li data-txid={e.txid} data-kind={e.kind} class={e.kind}>
      {/* Named by everything it shows (amount included), not by a shorter aria-label. */}
      <a class="activity-entry" href={`#/vault-tx/${props.vaultId}/${e.txid}`}>
        <div class="line">
          <strong>{label ?? kind}</strong>
          <Xpi sats={e.net} signed />
        </div>
        <div class="line muted small">
          <span>{e.counterparty ? shortAddress(e.counterparty) : `${e.txid.slice(0, 12)}…`}</span>
          <span class="when">{formatActivityTime(e)}</span>
        </div>
        <div class="line muted small">
          <span>{label ? kind : ''}</span>
          <span class="confirmations">{confirmationsText(e.confirmations)}</span>
        </div>
        {s?.memo && <p class="memo small">“{s.memo}”</p>}
      </a>
      {s && (
        <p class="small history-session" data-session={s.id}>
          Signed in a session proposed by {proposer} ·{' '}
          <a class="link" href={`#/session/${s.id}`}>
            session
          </a>
        </p>
      )}
    </li>
  );
}
