import { extensionVersion } from '../ext/browser.ts';
import { listen, runtimeClient } from '../ext/messaging.ts';
import { NetworkHost } from './network-host.ts';
import { createOffscreenRouter } from './router.ts';

const background = runtimeClient({ timeoutMs: 10_000 });
const network = new NetworkHost((message) => background.request('petal_p2pInbound', message));
listen(createOffscreenRouter(extensionVersion(), network));
