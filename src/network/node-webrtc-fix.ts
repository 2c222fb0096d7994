/**
 * Applies the @libp2p/webrtc fixes (webrtc-init-fix.ts, webrtc-answer-fix.ts) to plain Node processes such
 * as the relay and the headless cosigner, which load the library from node_modules without a
 * bundler. Import this module before anything that imports libp2p.
 */
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WEBRTC_INIT_FILE, patchWebRtcModule } from './webrtc-init-fix.ts';
import { WEBRTC_UTIL_FILE } from './webrtc-answer-fix.ts';

registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (!url.startsWith('file:')) return result;
    const path = fileURLToPath(url);
    if (!WEBRTC_INIT_FILE.test(path) && !WEBRTC_UTIL_FILE.test(path)) return result;
    const source =
      typeof result.source === 'string'
        ? result.source
        : new TextDecoder().decode(result.source as Uint8Array);
    return { ...result, source: patchWebRtcModule(path, source) ?? source };
  },
});
