import { useCallback, useEffect, useState } from 'preact/hooks';
import type { PingResult, RpcClient } from '../core/rpc/index.ts';

type Check =
  { state: 'pending' } | { state: 'ok'; result: PingResult } | { state: 'error'; message: string };

/** The popup shell. For now it shows that each extension context is up and reachable. */
export function App({ client }: { client: RpcClient }) {
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
    <>
      <header>
        <h1>Petal</h1>
      </header>
      <main>
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
      </main>
    </>
  );
}

function CheckLabel({ check }: { check: Check }) {
  if (check.state === 'pending') return <span>checking…</span>;
  if (check.state === 'ok') return <span class="ok">running</span>;
  return <span class="err">{check.message}</span>;
}
