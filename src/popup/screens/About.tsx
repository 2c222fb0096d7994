import { useCallback, useEffect, useState } from 'preact/hooks';
import type { PingResult } from '../../core/rpc/index.ts';
import { Screen } from '../ui.tsx';
import { useRpc } from '../state.ts';

type Check =
  { state: 'pending' } | { state: 'ok'; result: PingResult } | { state: 'error'; message: string };

/** Shows that each extension context is up and reachable (the original status panel). */
export function About() {
  const client = useRpc();
  const [background, setBackground] = useState<Check>({ state: 'pending' });
  const [network, setNetwork] = useState<Check>({ state: 'pending' });

  const refresh = useCallback(() => {
    setBackground({ state: 'pending' });
    setNetwork({ state: 'pending' });
    client.request('lotus_ping').then(
      (result) => setBackground({ state: 'ok', result }),
      (err: Error) => setBackground({ state: 'error', message: err.message }),
    );
    client.request('petal_offscreenStatus', {}).then(
      (result) => setNetwork({ state: 'ok', result }),
      (err: Error) => setNetwork({ state: 'error', message: err.message }),
    );
  }, [client]);

  useEffect(refresh, [refresh]);

  return (
    <Screen title="About Petal" back="/settings" id="about">
      <dl class="status">
        <dt>Background</dt>
        <dd id="background-status">
          <CheckLabel check={background} />
        </dd>
        <dt>Network host</dt>
        <dd id="network-status">
          <CheckLabel check={network} />
        </dd>
        <dt>Version</dt>
        <dd id="version">{background.state === 'ok' ? background.result.version : '—'}</dd>
      </dl>
      <button id="refresh" type="button" onClick={refresh}>
        Check again
      </button>
    </Screen>
  );
}

function CheckLabel({ check }: { check: Check }) {
  if (check.state === 'pending') return <span>checking…</span>;
  if (check.state === 'ok') return <span class="ok">running</span>;
  return <span class="err">{check.message}</span>;
}
