import type { WalletView } from '../../core/wallet/wallet-service.ts';
import { Xpi } from '../ui.tsx';
import { ActivityList } from './Activity.tsx';

export function ConnectionBadge({ view }: { view: WalletView }) {
  const chain = view.chain;
  const state = chain?.connection ?? 'connecting';
  const label =
    state === 'online'
      ? `Online · block ${chain?.tipHeight ?? '…'}`
      : state === 'offline'
        ? 'Offline'
        : 'Connecting…';
  return (
    <span class={`badge ${state}`} id="connection" title={chain?.error} role="status">
      {label}
    </span>
  );
}

export function Home({ view }: { view: WalletView }) {
  const balance = view.balance;
  return (
    <section class="screen" id="home" aria-labelledby="balance-label">
      <div class="balance">
        <h2 id="balance-label" class="muted">
          Balance
        </h2>
        <p class="amount" id="balance">
          {balance ? <Xpi sats={balance.total} /> : '—'}
        </p>
        {balance && BigInt(balance.pending) !== 0n && (
          <p class="muted" id="pending">
            <Xpi sats={balance.pending} signed /> pending
          </p>
        )}
        {view.chain?.connection === 'offline' && (
          <p class="error" role="alert">
            {view.chain.error ?? 'The network cannot be reached'}; retrying.
          </p>
        )}
      </div>
      <div class="row actions">
        <a class="button primary" href="#/receive" id="go-receive">
          Receive
        </a>
        <a class="button primary" href="#/send" id="go-send">
          Send
        </a>
      </div>
      <h3>Recent activity</h3>
      <ActivityList items={(view.activity ?? []).slice(0, 4)} />
      {(view.activity?.length ?? 0) > 4 && (
        <a class="link" href="#/activity">
          All activity
        </a>
      )}
    </section>
  );
}
