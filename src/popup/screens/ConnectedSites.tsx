import { useEffect, useState } from 'preact/hooks';
import type { PermissionGrant } from '../../core/provider/permissions.ts';
import { ErrorText } from '../ui.tsx';
import { useAction, useRpc } from '../state.ts';

const DURATION: Record<PermissionGrant['duration'], string> = {
  once: 'once',
  '1h': 'for one hour',
  always: 'until disconnected',
};

/** Sites that may see this wallet, each revocable (Settings). */
export function ConnectedSites() {
  const rpc = useRpc();
  const [sites, setSites] = useState<PermissionGrant[]>();
  const load = () => rpc.request('petal_siteList', {}).then(setSites, () => setSites([]));
  useEffect(() => void load(), []);
  const revoke = useAction(async (origin: string) => {
    await rpc.request('petal_siteRevoke', { origin });
    await load();
  });
  return (
    <section class="card" aria-labelledby="sites-title" id="connected-sites">
      <h3 id="sites-title">Connected sites</h3>
      {sites?.length === 0 && <p class="muted small">No site is connected.</p>}
      <ul class="sites">
        {sites?.map((site) => (
          <li key={site.origin} class="line" data-origin={site.origin}>
            <span class="mono small">{site.origin}</span>
            <span class="muted small">{DURATION[site.duration]}</span>
            <button
              type="button"
              class="secondary small"
              aria-label={`Disconnect ${site.origin}`}
              onClick={() => void revoke.act(site.origin)}
            >
              Disconnect
            </button>
          </li>
        ))}
      </ul>
      <ErrorText error={revoke.error} />
    </section>
  );
}
