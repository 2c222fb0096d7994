import { extensionVersion } from '../ext/browser.ts';
import { listen } from '../ext/messaging.ts';
import { Router, UnauthorizedError } from '../core/rpc/index.ts';
import { createOffscreenHost } from './offscreen-host.ts';
import { createSigningHost } from './signing-host.ts';
import { signingHandlers } from './signing-handlers.ts';
import { walletHandlers } from './wallet-handlers.ts';
import { openWalletDb } from './wallet-db.ts';
import { createWalletHost } from './wallet-host.ts';
import { createProviderHost } from './provider-host.ts';
import { dappHandlers } from './dapp-handlers.ts';
import { contactHandlers } from './contact-handlers.ts';
import { ContactStore } from '../core/wallet/contact-store.ts';
import { createFormationHost } from './formation-host.ts';
import { formationHandlers } from './formation-handlers.ts';
import { openFormationDb } from './formation-db.ts';

/**
 * The service worker (Chromium) or persistent background page (Firefox): wires core logic to the
 * browser. Handlers stay thin; the rules live in src/core. Listeners are registered at the top
 * level, as MV3 requires for a worker that wakes on events.
 */
const version = extensionVersion();
// The network host hands over vault-formation frames and the signing runner's session news
// (Firefox: in-process).
const offscreen = createOffscreenHost(
  (message) => signingHost.inbound(message),
  (event) => signingHost.runnerEvent(event),
);
const walletHost = createWalletHost();
// Names of vault members (one store: the contacts screen and vault formation both write here).
const contacts = new ContactStore(openWalletDb());
const signingHost = createSigningHost({
  wallet: walletHost.wallet,
  records: openWalletDb(),
  contacts,
  ready: walletHost.ready,
  network: offscreen,
});

// One-code vault formation rides on the signing protocol's transport; names go to the contacts.
// Open formations are kept in IndexedDB and resume when the worker starts with the wallet unlocked.
const formationHost = createFormationHost({
  wallet: walletHost.wallet,
  ready: walletHost.ready,
  signing: signingHost,
  network: offscreen,
  contacts,
  store: openFormationDb(),
});
void formationHost.resume();

const providerHost = createProviderHost({
  wallet: walletHost.wallet,
  ready: walletHost.ready,
  signing: signingHost,
  records: openWalletDb(),
});

const router = new Router('background', {
  lotus_ping: (params, caller) => ({
    pong: true,
    echo: params?.echo,
    answeredBy: 'background',
    origin: caller.origin,
    version,
  }),
  petal_offscreenStatus: async (_params, caller) => {
    if (caller.kind !== 'extension')
      throw new UnauthorizedError('Only extension pages may query the network host');
    await offscreen.ensure();
    return offscreen.client.request('petal_offscreenPing', {});
  },
  petal_connectNetwork: async ({ relays }, caller) => {
    if (caller.kind !== 'extension') throw new UnauthorizedError();
    await offscreen.ensure();
    await walletHost.ready;
    const status = await offscreen.client.request(
      'petal_networkStart',
      { relays, iceServers: walletHost.wallet.settings.iceServers },
      { timeoutMs: 30_000 },
    );
    // Remembered, so the node comes back on these relays after the browser restarts.
    await walletHost.wallet.updateSettings({ relays });
    return status;
  },
  petal_getNetworkStatus: async (_params, caller) => {
    if (caller.kind !== 'extension') throw new UnauthorizedError();
    await offscreen.ensure();
    return offscreen.client.request('petal_networkStatus', {});
  },
  ...walletHandlers(walletHost),
  ...signingHandlers(signingHost),
  ...formationHandlers(formationHost),
  ...contactHandlers(contacts, () => walletHost.ready.then(() => walletHost.activity())),
  ...dappHandlers(providerHost),
});

listen(router);
providerHost.attach(router);
