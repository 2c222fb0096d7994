import { extensionVersion } from '../ext/browser.ts';
import { listen, runtimeClient } from '../ext/messaging.ts';
import { NetworkHost } from './network-host.ts';
import { indexedDbPeerKeyStorage } from './peer-key.ts';
import { createOffscreenRouter } from './router.ts';

const background = runtimeClient({ timeoutMs: 10_000 });
// The stored identity: the peer id survives this document closing (see peer-key.ts).
const network = new NetworkHost(
  (message) => background.request('petal_p2pInbound', message),
  indexedDbPeerKeyStorage(),
);
listen(createOffscreenRouter(extensionVersion(), network));
