import { useState } from 'preact/hooks';
import type { WalletView } from '../../core/wallet/wallet-service.ts';
import {
  MAX_USER_ICE_SERVERS,
  SAVED_PASSWORD,
  formatIceServerLines,
  parseIceServerLines,
} from '../../core/network/ice-servers.ts';
import { notify } from '../components/Toast.tsx';
import { ErrorText, Field } from '../ui.tsx';
import { useAction, useRpc } from '../state.ts';

/**
 * Extra STUN/TURN servers for direct links. Each joined relay's own STUN service is always used;
 * these are for networks where it is not enough (a TURN server carries the bytes when both sides
 * sit behind strict NAT). None by default: such a server learns who talks to whom.
 */
export function IceServerSettings({ view }: { view: WalletView }) {
  const rpc = useRpc();
  // The stored servers: the box shows their passwords masked and takes them back from here.
  const [saved, setSaved] = useState(view.settings.iceServers ?? []);
  const [text, setText] = useState(formatIceServerLines(saved));
  const save = useAction(async (typed: string) => {
    const iceServers = parseIceServerLines(typed, saved);
    await rpc.request('petal_walletSettings', { iceServers });
    // A running node takes them for its next WebRTC link; relays are rejoined as they are.
    const relays = view.settings.relays;
    const status = await rpc.request('petal_getNetworkStatus', {}).catch(() => undefined);
    if (status?.running && relays.length > 0) await rpc.request('petal_connectNetwork', { relays });
    setSaved(iceServers);
    setText(formatIceServerLines(iceServers));
    notify(
      iceServers.length === 0
        ? 'Using only your relays’ STUN'
        : `Saved ${iceServers.length} STUN/TURN server${iceServers.length === 1 ? '' : 's'}`,
    );
  });
  return (
    <section class="card" aria-labelledby="ice-title" id="ice-settings">
      <h3 id="ice-title">Direct links (STUN/TURN)</h3>
      <Field
        label="Extra servers, one per line"
        id="ice-servers"
        hint={`stun:host:3478, or turn:host:3478 username password (${SAVED_PASSWORD} keeps the saved one). Your relays’ STUN is always used.`}
      >
        <textarea
          id="ice-servers"
          // Every server in view, with a row to spare for a TURN line that wraps.
          rows={Math.min(text.split('\n').length + 1, 2 * MAX_USER_ICE_SERVERS)}
          value={text}
          aria-describedby="ice-servers-hint"
          onInput={(e) => {
            setText(e.currentTarget.value);
            save.clear();
          }}
        />
      </Field>
      <button type="button" id="ice-save" disabled={save.busy} onClick={() => void save.act(text)}>
        Save
      </button>
      <ErrorText error={save.error} id="ice-error" />
    </section>
  );
}
