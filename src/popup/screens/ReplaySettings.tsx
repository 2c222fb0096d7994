import { useState } from 'preact/hooks';
import { NETWORKS } from '../../core/chain/network.ts';
import type { WalletView } from '../../core/wallet/wallet-service.ts';
import { ErrorText } from '../ui.tsx';
import { useAction, useRpc } from '../state.ts';
import { formatUtc, formatUtcInput, parseActivationTime } from '../replay-time.ts';

/**
 * The current network's replay-protection activation time, for a lotusd release that moves it.
 * Mount it keyed by network so switching networks starts from that network's setting.
 */
export function ReplaySettings({ view }: { view: WalletView }) {
  const rpc = useRpc();
  const network = view.settings.network;
  const saved = view.settings.replayActivation[network];
  const lotusd = NETWORKS[network].replayProtectionActivationTime;
  const [text, setText] = useState(saved === undefined ? '' : formatUtcInput(saved));
  // Checked on Save; once an error shows, every keystroke re-checks so it clears when fixed.
  const [invalid, setInvalid] = useState<string>();
  const [done, setDone] = useState<string>();
  const parsed = parseActivationTime(text);
  const save = useAction(async (time: number | null) => {
    await rpc.request('petal_walletSettings', { replayActivation: { network, time } });
    setDone(
      time === null
        ? `Using lotusd's time again: ${formatUtc(lotusd)}.`
        : `Saved: ${network} signs replay-protected from ${formatUtc(time)}.`,
    );
  });
  const submit = () => {
    setDone(undefined);
    if (!parsed.ok) setInvalid(parsed.error.message);
    else void save.act(parsed.time);
  };
  const describedBy = ['replay-time-hint', invalid && 'replay-time-error', 'replay-time-preview']
    .filter(Boolean)
    .join(' ');
  return (
    <form
      class="card"
      aria-labelledby="replay-heading"
      id="replay-settings"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h3 id="replay-heading">Replay protection</h3>
      <p class="muted" id="replay-time-hint">
        Change this only if your lotusd release moved the switch. lotusd's time for {network}:{' '}
        <span id="replay-lotusd-time">{formatUtc(lotusd)}</span> ({lotusd}). Saving forgets what the
        network confirmed.
      </p>
      <div class="field">
        <label for="replay-time">Activation time (UTC)</label>
        <input
          id="replay-time"
          type="text"
          autoComplete="off"
          spellcheck={false}
          placeholder={`${formatUtcInput(lotusd)} or ${lotusd}`}
          value={text}
          aria-invalid={invalid ? 'true' : undefined}
          aria-describedby={describedBy}
          onInput={(e) => {
            const next = e.currentTarget.value;
            setText(next);
            setDone(undefined);
            if (invalid) {
              const check = parseActivationTime(next);
              setInvalid(check.ok ? undefined : check.error.message);
            }
          }}
        />
        <small class="hint" id="replay-time-preview" aria-live="polite">
          {parsed.ok
            ? `${formatUtc(parsed.time)} = ${parsed.time} seconds`
            : 'A date as YYYY-MM-DD HH:MM, or unix seconds'}
        </small>
      </div>
      <ErrorText error={invalid} id="replay-time-error" />
      <ErrorText error={save.error} />
      {done && (
        <p role="status" class="ok" id="replay-saved">
          {done}
        </p>
      )}
      <div class="row">
        <button type="submit" id="replay-save" disabled={save.busy}>
          Save
        </button>
        <button
          type="button"
          id="replay-clear"
          disabled={save.busy || saved === undefined}
          onClick={() => {
            setText('');
            setInvalid(undefined);
            setDone(undefined);
            void save.act(null);
          }}
        >
          Use lotusd's time
        </button>
      </div>
    </form>
  );
}
