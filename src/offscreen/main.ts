import { extensionVersion } from '../ext/browser.ts';
import { listen } from '../ext/messaging.ts';
import { createOffscreenRouter } from './router.ts';

listen(createOffscreenRouter(extensionVersion()));
