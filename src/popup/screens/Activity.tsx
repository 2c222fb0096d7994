import type { ActivityView, WalletView } from '../../core/wallet/wallet-service.ts';
import { Screen, Xpi, shortAddress } from '../ui.tsx';

export function Activity({ view }: { view: WalletView }) {
  return (
    <Screen title="Activity" back="/" id="activity">
      <ActivityList items={view.activity ?? []} />
    </Screen>
  );
}

export function ActivityList({ items }: { items: ActivityView[] }) {
  if (items.length === 0) return <p class="muted">No transactions yet.</p>;
  return (
    <ul class="activity" id="activity-list">
      {items.map((item) => (
        <li key={item.txid} data-txid={item.txid} class={item.kind}>
          <div class="line">
            <strong>{label(item)}</strong>
            <Xpi sats={item.net} signed />
          </div>
          <div class="line muted small">
            <span>
              {item.counterparty ? shortAddress(item.counterparty) : item.txid.slice(0, 12)}
            </span>
            <span class="confirmations">
              {item.confirmations === 0
                ? 'Pending'
                : `${item.confirmations} confirmation${item.confirmations === 1 ? '' : 's'}`}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

function label(item: ActivityView): string {
  if (item.kind === 'received') return 'Received';
  if (item.kind === 'sent') return 'Sent';
  return 'To yourself';
}
