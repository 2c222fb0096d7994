import { useCallback, useEffect, useState } from 'preact/hooks';
import { NETWORKS } from '../../core/chain/network.ts';
import type { PingResult } from '../../core/rpc/index.ts';
import type { ReplayView, WalletView } from '../../core/wallet/wallet-service.ts';
import { Screen } from '../ui.tsx';
import { useRpc } from '../state.ts';
import { describeReplaySide, formatUtc } from '../replay-time.ts';

type Check =
  { state: 'pending' } | { state: 'ok'; result: PingResult } | { state: 'error'; message: string };

/**
 * Shows that each extension context is up and reachable (the original status panel), and which
 * side of the replay-protection switch signatures are on. About renders before the wallet's
 * state arrives (it needs none to check the contexts), so `view` may still be undefined.
 */
export function About({ view }: { view: WalletView | undefined }) {
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
      {(view?.status === 'unlocked' || view?.status === 'locked') && <ReplayStatus view={view} />}
    </Screen>
  );
}

function CheckLabel({ check }: { check: Check }) {
  if (check.state === 'pending') return <span>checking…</span>;
  if (check.state === 'ok') return <span class="ok">running</span>;
  return <span class="err">{check.message}</span>;
}

/** The current network's replay-protection side: what signatures use, from when, and why. */
function ReplayStatus({ view }: { view: WalletView }) {
  const network = view.settings.network;
  const replay = view.replay;
  return (
    // In a stack for the space below "Check again", which has no margin of its own.
    <div class="stack">
      <section class="card" aria-labelledby="replay-status-heading" id="replay-status">
        <h3 id="replay-status-heading">Replay protection on {network}</h3>
        {!replay ? (
          <p class="muted" id="replay-side">
            {view.status === 'unlocked'
              ? 'Shown once the wallet has synced with the network.'
              : 'Unlock the wallet to see which side signatures use.'}
          </p>
        ) : (
          <ReplaySide
            replay={replay}
            lotusdTime={NETWORKS[network].replayProtectionActivationTime}
          />
        )}
      </section>
    </div>
  );
}

function ReplaySide({ replay, lotusdTime }: { replay: ReplayView; lotusdTime: number }) {
  const text = describeReplaySide(replay, lotusdTime);
  return (
    <>
      <p id="replay-side">
        <strong>{text.headline}</strong>
        <br />
        <span class="muted">
          {replay.active
            ? 'Signatures use replay protection.'
            : 'Signatures are made without replay protection.'}
        </span>
      </p>
      <dl class="status">
        <dt>Activation</dt>
        <dd id="replay-activation">
          {formatUtc(replay.activationTime)}
          <br />
          <small class="muted" id="replay-source">
            {text.source}
          </small>
        </dd>
        <dt>Chain time</dt>
        <dd id="replay-chain-time">{formatUtc(replay.medianTime)}</dd>
      </dl>
      <p id="replay-confirmation">{text.confirmation}</p>
      <p class="muted">
        <small>
          Lotus switches when the chain's median time, about an hour behind the clock, reaches the
          activation time.
        </small>
      </p>
    </>
  );
}
