import type { RpcClient } from '../core/rpc/index.ts';
import type { WalletView } from '../core/wallet/wallet-service.ts';
import { RpcContext, useRoute, useWalletView } from './state.ts';
import { About } from './screens/About.tsx';
import { Approve } from './screens/Approve.tsx';
import { Activity } from './screens/Activity.tsx';
import { ConnectionBadge, Home } from './screens/Home.tsx';
import { CreateWallet, ImportWallet, RestoreBackup, Welcome } from './screens/Onboarding.tsx';
import { Receive } from './screens/Receive.tsx';
import { Send } from './screens/Send.tsx';
import { Sessions } from './screens/Sessions.tsx';
import { Contacts } from './screens/Contacts.tsx';
import { SessionDetails } from './screens/SessionDetails.tsx';
import { JoinVault, NewVault, VaultScreen, Vaults } from './screens/Vaults.tsx';
import { FormationScreen } from './screens/VaultFormation.tsx';
import { Settings } from './screens/Settings.tsx';
import { Damaged, Restore, Unlock } from './screens/Unlock.tsx';
import { Screen } from './ui.tsx';
import { Transaction } from './screens/Transaction.tsx';
import { NetworkMenu } from './components/NetworkMenu.tsx';
import { Toast } from './components/Toast.tsx';

/** The popup: the background pushes the wallet's state; the hash picks the screen. */
export function App({ client }: { client: RpcClient }) {
  return (
    <RpcContext.Provider value={client}>
      <Shell />
    </RpcContext.Provider>
  );
}

function Shell() {
  const view = useWalletView();
  const [route] = useRoute();
  return (
    <>
      <header>
        <h1>Petal</h1>
        {view && <NetworkMenu view={view} />}
        {view?.status === 'unlocked' && <ConnectionBadge view={view} />}
      </header>
      <main>{route === '/about' ? <About view={view} /> : <Body view={view} route={route} />}</main>
      {view?.status === 'unlocked' && route !== '/approve' && <Nav route={route} />}
      <Toast />
    </>
  );
}

function Body({ view, route }: { view: WalletView | undefined; route: string }) {
  if (!view) return <p class="muted">Loading…</p>;
  if (route === '/settings') return <Settings view={view} />;
  switch (view.status) {
    case 'uninitialized':
      if (route === '/create') return <CreateWallet />;
      if (route === '/import') return <ImportWallet replace={false} />;
      if (route === '/restore-backup') return <RestoreBackup replace={false} />;
      return <Welcome />;
    case 'corrupted':
    case 'locked':
      if (route === '/import-replace') return <ImportWallet replace />;
      if (route === '/restore-backup-replace') return <RestoreBackup replace />;
      if (view.status === 'corrupted') return <Damaged problem={view.problem} />;
      if (route === '/restore')
        return (
          <Screen title="Restore your wallet" back="/">
            <p>Restoring replaces the wallet in this browser; your funds stay on chain.</p>
            <Restore />
          </Screen>
        );
      return <Unlock />;
    case 'unlocked':
      if (route === '/receive') return <Receive />;
      if (route === '/send') return <Send view={view} />;
      if (route === '/activity') return <Activity view={view} />;
      if (route.startsWith('/tx/'))
        return <Transaction view={view} txid={route.slice('/tx/'.length)} />;
      if (route.startsWith('/vault-tx/')) {
        const [vaultId = '', txid = ''] = route.slice('/vault-tx/'.length).split('/');
        return <Transaction view={view} txid={txid} vaultId={vaultId} />;
      }
      if (route === '/sessions') return <Sessions />;
      if (route === '/contacts') return <Contacts />;
      if (route === '/vaults') return <Vaults />;
      if (route === '/vault-new') return <NewVault />;
      if (route === '/vault-join') return <JoinVault />;
      // An invite link: #/vault-join/petalinvite1…
      if (route.startsWith('/vault-join/'))
        return <JoinVault code={decodeURIComponent(route.slice('/vault-join/'.length))} />;
      if (route.startsWith('/formation/'))
        return <FormationScreen id={route.slice('/formation/'.length)} />;
      if (route.startsWith('/vault/')) return <VaultScreen id={route.slice('/vault/'.length)} />;
      if (route.startsWith('/session/'))
        return <SessionDetails id={route.slice('/session/'.length)} />;
      if (route === '/approve') return <Approve />;
      return <Home view={view} />;
  }
}

function Nav({ route }: { route: string }) {
  const item = (href: string, label: string) => (
    <a href={`#${href}`} aria-current={route === href ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <nav aria-label="Main">
      {item('/', 'Home')}
      {item('/activity', 'Activity')}
      {item('/vaults', 'Vaults')}
      {item('/settings', 'Settings')}
    </nav>
  );
}
