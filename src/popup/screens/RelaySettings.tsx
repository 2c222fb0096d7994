import { useEffect, useState } from 'preact/hooks';
import type { NetworkStatus } from '../../core/rpc/index.ts';
import type { WalletView } from '../../core/wallet/wallet-service.ts';
import { DEFAULT_RELAYS } from '../../core/network/default-relays.ts';
import { type RelayHealth, checkRelayHealth } from '../../core/network/relay-health.ts';
import { notify } from '../components/Toast.tsx';
import { ErrorText, Field } from '../ui.tsx';
import { describeNetwork } from '../network-summary.ts';
import { useAction, useRpc } from '../state.ts';
import '../history.css';

/**
 * The Petal relays this wallet meets its vault members through (one multiaddr per line), each
 * one's health, and the node's live state. Saved relays are rejoined automatically after the
 * browser restarts; the network's default list (src/core/network/default-relays.ts) is one click.
 */
export function RelaySettings({ view }: { view: WalletView }) {
  const rpc = useRpc();
  const network = view.settings.network;
  const saved = view.settings.relays;
  const defaults = DEFAULT_RELAYS[network];
  const [text, setText] = useState(saved.join('\n'));
  const [status, setStatus] = useState<NetworkStatus>();
  const refresh = () =>
    rpc.request('petal_getNetworkStatus', {}).then(setStatus, () => setStatus(undefined));
  useEffect(() => void refresh(), []);
  const save = useAction(async (relays: string[]) => {
    if (relays.length === 0) await rpc.request('petal_walletSettings', { relays: [] });
    else await rpc.request('petal_connectNetwork', { relays });
    setText(relays.join('\n'));
    await refresh();
    notify(
      relays.length === 0
        ? 'Relays cleared; vaults are offline'
        : `Saved ${relays.length} relay${relays.length === 1 ? '' : 's'}; connecting`,
    );
  });
  const typed = () =>
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  const usingDefaults = defaults.length > 0 && defaults.join('\n') === saved.join('\n');
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
      <div class="row">
        <button
          type="button"
          id="relays-save"
          disabled={save.busy}
          onClick={() => void save.act(typed())}
        >
          Save and connect
        </button>
        <button
          type="button"
          id="relays-defaults"
          disabled={save.busy || defaults.length === 0 || usingDefaults}
          onClick={() => void save.act([...defaults])}
        >
          Use default relays
        </button>
      </div>
      {defaults.length === 0 && (
        <p class="muted small" id="relays-no-defaults">
          {network === 'regtest'
            ? 'The devnet has no default relay: run your own with npm run relay.'
            : `No public relay is listed for ${network} yet; run your own (see docs/RELAYS.md).`}
        </p>
      )}
      <ErrorText error={save.error} />
      <RelayHealthList relays={saved} />
      <p class="muted small" id="network-status" aria-live="polite">
        {describeNetwork(status)}
      </p>
    </section>
  );
}

/** Each saved relay's `GET /health`, checked on arrival and on request. */
function RelayHealthList({ relays }: { relays: string[] }) {
  const [health, setHealth] = useState<Record<string, RelayHealth | undefined>>({});
  const [round, setRound] = useState(0);
  useEffect(() => {
    let stale = false;
    setHealth({});
    for (const relay of relays)
      void checkRelayHealth(relay, fetch.bind(globalThis)).then((result) => {
        if (!stale) setHealth((h) => ({ ...h, [relay]: result }));
      });
    return () => {
      stale = true;
    };
  }, [relays.join('\n'), round]);
  if (relays.length === 0) return null;
  return (
    <>
      <ul class="relay-health" id="relay-health" aria-label="Relay health">
        {relays.map((relay) => (
          <li key={relay}>
            <span class="mono small" title={relay}>
              {relay}
            </span>
            <HealthText health={health[relay]} />
          </li>
        ))}
      </ul>
      <button type="button" class="link" id="relays-check" onClick={() => setRound(round + 1)}>
        Check again
      </button>
    </>
  );
}

function HealthText({ health }: { health: RelayHealth | undefined }) {
  if (!health) return <span class="muted small health">Checking…</span>;
  switch (health.state) {
    case 'ok':
      return (
        <span class="ok small health">
          Healthy
          {health.connections !== undefined
            ? ` · ${health.connections} peer${health.connections === 1 ? '' : 's'}`
            : ''}
        </span>
      );
    case 'reachable':
      return <span class="ok small health">Reachable</span>;
    case 'down':
      return (
        <span class="err small health" title={health.error}>
          Down
        </span>
      );
    case 'unknown':
      return (
        <span class="muted small health" title={health.reason}>
          Not checkable
        </span>
      );
  }
}
