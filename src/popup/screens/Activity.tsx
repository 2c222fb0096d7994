import { useEffect, useState } from 'preact/hooks';
import type { ActivityView, WalletView } from '../../core/wallet/wallet-service.ts';
import { formatActivityTime } from '../activity-time.ts';
import { useRpc } from '../state.ts';
import { Screen, Xpi, shortAddress } from '../ui.tsx';
import '../history.css';

export function Activity({ view }: { view: WalletView }) {
  const labels = useTxLabels(view.activity);
  return (
    <Screen title="Activity" back="/" id="activity">
      <ActivityList items={view.activity ?? []} labels={labels} />
    </Screen>
  );
}

/** The user's transaction labels (txid → label), re-read when the activity changes. */
export function useTxLabels(activity: ActivityView[] | undefined): Record<string, string> {
  const rpc = useRpc();
  const [labels, setLabels] = useState<Record<string, string>>({});
  const key = activity?.map((a) => a.txid).join() ?? '';
  useEffect(() => {
    rpc.request('petal_walletLabels', {}).then(
      ({ labels: list }) =>
        setLabels(
          Object.fromEntries(list.filter((l) => l.type === 'tx').map((l) => [l.ref, l.label])),
        ),
      () => setLabels({}),
    );
  }, [key]);
  return labels;
}

export function ActivityList({
  items,
  labels = {},
}: {
  items: ActivityView[];
  labels?: Record<string, string>;
}) {
  if (items.length === 0) return <p class="muted">No transactions yet.</p>;
  return (
    <ul class="activity" id="activity-list">
      {items.map((item) => (
        <li key={item.txid} data-txid={item.txid} class={item.kind}>
          {/* Named by everything it shows (amount included), not by a shorter aria-label. */}
          <a class="activity-entry" href={`#/tx/${item.txid}`}>
            <div class="line">
              <strong>{labels[item.txid] ?? kindName(item)}</strong>
              <Xpi sats={item.net} signed />
            </div>
            <div class="line muted small">
              <span>
                {item.counterparty ? shortAddress(item.counterparty) : item.txid.slice(0, 12)}
              </span>
              <span class="when">{formatActivityTime(item)}</span>
            </div>
            <div class="line muted small">
              <span>{labels[item.txid] ? kindName(item) : ''}</span>
              <span class="confirmations">
                {item.confirmations === 0 ? '' : confirmationsText(item.confirmations)}
              </span>
            </div>
          </a>
        </li>
      ))}
    </ul>
  );
}

export function confirmationsText(confirmations: number): string {
  return confirmations === 0
    ? 'Pending'
    : `${confirmations} confirmation${confirmations === 1 ? '' : 's'}`;
}

export function kindName(item: Pick<ActivityView, 'kind'>): string {
  if (item.kind === 'received') return 'Received';
  if (item.kind === 'sent') return 'Sent';
  return 'To yourself';
}
