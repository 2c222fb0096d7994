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

/**
 * The service worker (Chromium) or persistent background page (Firefox): wires core logic to the
 * browser. Handlers stay thin; the rules live in src/core. Listeners are registered at the top
 * level, as MV3 requires for a worker that wakes on events.
 */
const version = extensionVersion();
// Frames the network host receives go to the signing protocol (Firefox: in-process).
const offscreen = createOffscreenHost((message) => signingHost.inbound(message));
const walletHost = createWalletHost();
const signingHost = createSigningHost({
  wallet: walletHost.wallet,
  records: openWalletDb(),
  ready: walletHost.ready,
  network: offscreen,
});

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
    const status = await offscreen.client.request(
      'petal_networkStart',
      { relays },
      { timeoutMs: 30_000 },
    );
    // Remembered, so the node comes back on these relays after the browser restarts.
    await walletHost.ready;
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
  ...dappHandlers(providerHost),
});

listen(router);
providerHost.attach(router);
