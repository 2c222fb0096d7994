import { useEffect, useState } from 'preact/hooks';
import type { NetworkStatus } from '../../core/rpc/index.ts';
import type { WalletView } from '../../core/wallet/wallet-service.ts';
import { ErrorText, Field } from '../ui.tsx';
import { useAction, useRpc } from '../state.ts';

/**
 * The Petal relays this wallet meets its vault members through (one multiaddr per line), and the
 * node's live state. Saved relays are rejoined automatically after the browser restarts.
 */
export function RelaySettings({ view }: { view: WalletView }) {
  const rpc = useRpc();
  const [text, setText] = useState(view.settings.relays.join('\n'));
  const [status, setStatus] = useState<NetworkStatus>();
  const refresh = () =>
    rpc.request('petal_getNetworkStatus', {}).then(setStatus, () => setStatus(undefined));
  useEffect(() => void refresh(), []);
  const save = useAction(async () => {
    const relays = text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    if (relays.length === 0) await rpc.request('petal_walletSettings', { relays: [] });
    else await rpc.request('petal_connectNetwork', { relays });
    await refresh();
  });
  const relayed = status?.connections.filter((c) => c.kind === 'websockets').length ?? 0;
  const direct = status?.connections.filter((c) => c.kind === 'webrtc').length ?? 0;
  return (
    <section class="card" aria-labelledby="relays-title" id="relay-settings">
      <h3 id="relays-title">Relays</h3>
      <Field
        label="Petal relays (one address per line)"
        id="relays"
        hint="Any Petal relay works; it only forwards encrypted, signed messages."
      >
        <textarea
          id="relays"
          rows={3}
          value={text}
          aria-describedby="relays-hint"
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </Field>
      <button type="button" id="relays-save" disabled={save.busy} onClick={() => void save.act()}>
        Save and connect
      </button>
      <ErrorText error={save.error} />
      <p class="muted small" id="network-status" aria-live="polite">
        {status?.running
          ? `Online: ${relayed} relay${relayed === 1 ? '' : 's'}, ${direct} direct peer${direct === 1 ? '' : 's'}`
          : 'Offline: no relay joined'}
      </p>
    </section>
  );
}
