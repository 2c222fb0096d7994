/**
 * Applies the @libp2p/webrtc init-channel fix (webrtc-init-fix.ts) to plain Node processes such
 * as the relay and the headless cosigner, which load the library from node_modules without a
 * bundler. Import this module before anything that imports libp2p.
 */
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WEBRTC_INIT_FILE, patchInitiateConnection } from './webrtc-init-fix.ts';

registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (!url.startsWith('file:') || !WEBRTC_INIT_FILE.test(fileURLToPath(url))) return result;
    const source =
      typeof result.source === 'string'
        ? result.source
        : new TextDecoder().decode(result.source as Uint8Array);
    return { ...result, source: patchInitiateConnection(source) };
  },
});
