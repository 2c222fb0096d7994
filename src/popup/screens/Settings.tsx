import { useState } from 'preact/hooks';
import type { WalletView } from '../../core/wallet/wallet-service.ts';
import { ErrorText, Field, Screen } from '../ui.tsx';
import { useAction, useRpc } from '../state.ts';
import { ConnectedSites } from './ConnectedSites.tsx';
import { RelaySettings } from './RelaySettings.tsx';
import { IceServerSettings } from './IceServerSettings.tsx';
import { ReplaySettings } from './ReplaySettings.tsx';
import { ExplorerSettings, LabelSettings } from './HistorySettings.tsx';
import { notify } from '../components/Toast.tsx';
import { downloadFile } from '../download-file.ts';

export function Settings({ view }: { view: WalletView }) {
  const unlocked = view.status === 'unlocked';
  return (
    <Screen title="Settings" back="/" id="settings">
      <NetworkSettings key={view.settings.network} view={view} />
      {unlocked && (
        <>
          <AutoLock view={view} />
          <RelaySettings view={view} />
          <IceServerSettings view={view} />
          <ReplaySettings key={view.settings.network} view={view} />
          <ExplorerSettings key={`explorer-${view.settings.network}`} view={view} />
          <LabelSettings />
          <p>
            <a class="link" href="#/contacts" id="go-contacts">
              Contacts: names for vault members
            </a>
          </p>
          <ConnectedSites />
          <ChangePassword />
          <RevealPhrase />
          <Backup />
        </>
      )}
      <p>
        <a class="link" href="#/about" id="go-about">
          About Petal
        </a>
      </p>
    </Screen>
  );
}

function NetworkSettings({ view }: { view: WalletView }) {
  const rpc = useRpc();
  const [network, setNetwork] = useState(view.settings.network);
  const [url, setUrl] = useState(view.settings.chronikUrl);
  const save = useAction(async () => {
    const switched = network !== view.settings.network;
    const next = await rpc.request('petal_walletSettings', {
      network,
      ...(switched ? {} : { chronikUrl: url }),
    });
    setUrl(next.chronikUrl);
    notify(
      switched ? `Switched to ${next.network}; indexer reset to its default` : 'Network saved',
    );
  });
  return (
    <form
      class="card"
      aria-labelledby="network-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void save.act();
      }}
    >
      <h3 id="network-heading">Network</h3>
      <Field label="Network" id="settings-network">
        <select
          id="settings-network"
          value={network}
          onChange={(e) => setNetwork(e.currentTarget.value as typeof network)}
        >
          <option value="mainnet">Mainnet</option>
          <option value="testnet">Testnet</option>
          <option value="regtest">Regtest (devnet)</option>
        </select>
      </Field>
      <Field
        label="Chronik indexer URL"
        id="settings-chronik"
        hint="Changing the network resets this to that network's default"
      >
        <input
          id="settings-chronik"
          type="url"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </Field>
      <ErrorText error={save.error} />
      <button type="submit" id="settings-save" disabled={save.busy}>
        Save network
      </button>
    </form>
  );
}

function AutoLock({ view }: { view: WalletView }) {
  const rpc = useRpc();
  const [minutes, setMinutes] = useState(String(view.settings.autoLockMinutes));
  const save = useAction(async () => {
    const next = await rpc.request('petal_walletSettings', { autoLockMinutes: Number(minutes) });
    notify(
      `Saved: locks after ${next.autoLockMinutes} idle minute${next.autoLockMinutes === 1 ? '' : 's'}`,
    );
  });
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        void save.act();
      }}
    >
      <Field label="Lock after idle (minutes)" id="settings-autolock">
        <input
          id="settings-autolock"
          type="number"
          min={1}
          max={1440}
          value={minutes}
          onInput={(e) => setMinutes(e.currentTarget.value)}
        />
      </Field>
      <ErrorText error={save.error} />
      <div class="row">
        <button type="submit">Save</button>
        <button
          type="button"
          id="lock-now"
          onClick={async () => {
            await rpc.request('petal_walletLock', {});
            location.hash = '/';
          }}
        >
          Lock now
        </button>
      </div>
    </form>
  );
}

function ChangePassword() {
  const rpc = useRpc();
  const [oldPassword, setOld] = useState('');
  const [newPassword, setNew] = useState('');
  const [done, setDone] = useState(false);
  const run = useAction(async () => {
    await rpc.request('petal_walletChangePassword', { oldPassword, newPassword });
    setOld('');
    setNew('');
    setDone(true);
  });
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        void run.act();
      }}
    >
      <h3>Change password</h3>
      <Field label="Current password" id="pw-old">
        <input
          id="pw-old"
          type="password"
          autoComplete="current-password"
          value={oldPassword}
          onInput={(e) => setOld(e.currentTarget.value)}
        />
      </Field>
      <Field label="New password" id="pw-new" hint="At least 8 characters">
        <input
          id="pw-new"
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onInput={(e) => setNew(e.currentTarget.value)}
        />
      </Field>
      <ErrorText error={run.error} />
      {done && <p role="status">Password changed.</p>}
      <button type="submit" disabled={run.busy}>
        Change password
      </button>
    </form>
  );
}

function RevealPhrase() {
  const rpc = useRpc();
  const [password, setPassword] = useState('');
  const [mnemonic, setMnemonic] = useState<string>();
  const run = useAction(async () => {
    setMnemonic((await rpc.request('petal_walletRevealMnemonic', { password })).mnemonic);
    setPassword('');
  });
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        void run.act();
      }}
    >
      <h3>Recovery phrase</h3>
      {mnemonic ? (
        <>
          <p class="warn">Never share these words.</p>
          <p class="mono" id="revealed-phrase">
            {mnemonic}
          </p>
          <button type="button" onClick={() => setMnemonic(undefined)}>
            Hide
          </button>
        </>
      ) : (
        <>
          <Field label="Password" id="reveal-password">
            <input
              id="reveal-password"
              type="password"
              autoComplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </Field>
          <ErrorText error={run.error} />
          <button type="submit" disabled={run.busy || !password}>
            Reveal recovery phrase
          </button>
        </>
      )}
    </form>
  );
}

function Backup() {
  const rpc = useRpc();
  const [password, setPassword] = useState('');
  const run = useAction(async () => {
    const { backup, filename } = await rpc.request('petal_walletExportBackup', { password });
    setPassword('');
    downloadFile(backup, filename, 'application/json');
  });
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        void run.act();
      }}
    >
      <h3>Encrypted backup</h3>
      <p class="small muted">
        Recovery phrase, addresses, vaults, contacts and settings, encrypted with your password.
      </p>
      <Field label="Password" id="backup-export-password">
        <input
          id="backup-export-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <ErrorText error={run.error} />
      <button type="submit" disabled={run.busy || !password}>
        Download backup
      </button>
    </form>
  );
}
