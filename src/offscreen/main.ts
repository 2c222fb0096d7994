import { extensionVersion } from '../ext/browser.ts';
import { listen, runtimeClient } from '../ext/messaging.ts';
import { openSessionDb } from '../background/session-db.ts';
import { NetworkHost } from './network-host.ts';
import { indexedDbPeerKeyStorage } from './peer-key.ts';
import { createOffscreenRouter } from './router.ts';
import { SigningRunner } from './signing-runner.ts';

const background = runtimeClient({ timeoutMs: 10_000 });
// The stored identity: the peer id survives this document closing (see peer-key.ts).
const network = new NetworkHost(
  (message) => background.request('petal_p2pInbound', message),
  indexedDbPeerKeyStorage(),
);
// Session news wakes a sleeping service worker; a lost one is made up by the next (views are
// whole, not deltas) or by the background's own start, which reads every session back.
const runner = new SigningRunner(
  network,
  (event) => void background.request('petal_runnerEvent', event).catch(() => undefined),
  () => openSessionDb(),
);
listen(createOffscreenRouter(extensionVersion(), network, runner));
