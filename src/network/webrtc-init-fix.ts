/**
 * Fix for a race in @libp2p/webrtc 6.0.33 (private-to-private/initiate-connection.js).
 *
 * The dialer opens an `init` data channel, then waits for its `open` event before closing it.
 * The answering side closes any `init` channel as soon as it sees it; when that close reaches
 * the dialer before the DCEP ACK, the channel goes straight to `closed`, `open` never fires and
 * the dial hangs until its 6 s timeout (about 6 % of browser-to-browser dials on this machine).
 *
 * The fix waits for `open` *or* `close`, and listens for `close` before calling close() so an
 * early close is not missed either. Applied at build time (Vite plugin) and in tests (vitest
 * inlines @libp2p/webrtc so the same transform runs); the transform refuses to build if the
 * upstream code changed, so a library upgrade forces a fresh look instead of silently unpatching.
 */
import { WEBRTC_UTIL_FILE, patchReadCandidates } from './webrtc-answer-fix.ts';

export const WEBRTC_INIT_FILE =
  /@libp2p[\\/]webrtc[\\/]dist[\\/]src[\\/]private-to-private[\\/]initiate-connection\.js$/;

export const ORIGINAL_INIT_BLOCK = `        if (channel.readyState !== 'open') {
            log.trace('wait for init channel to open');
            await pEvent(channel, 'open', {
                signal
            });
        }
        log.trace('closing init channel');
        channel.close();
        // wait for init channel to close before proceeding, otherwise the channel
        // id can be reused before both sides have seen the channel close
        log.trace('waiting for init channel to close');
        await pEvent(channel, 'close', {
            signal
        });`;

export const PATCHED_INIT_BLOCK = `        /* petal: webrtc init-channel race fix (see src/network/webrtc-init-fix.ts) */
        if (channel.readyState !== 'closed') {
            const initClosed = pEvent(channel, 'close', { signal });
            initClosed.catch(() => {});
            if (channel.readyState !== 'open' && channel.readyState !== 'closing') {
                log.trace('wait for init channel to open or close');
                await Promise.race([pEvent(channel, 'open', { signal }), initClosed]);
            }
            log.trace('closing init channel');
            channel.close();
            log.trace('waiting for init channel to close');
            await initClosed;
        }`;

export class WebRtcPatchError extends Error {
  override name = 'WebRtcPatchError';
}

/** Returns the patched module source; throws if the expected upstream code is not there. */
export function patchInitiateConnection(source: string): string {
  if (source.includes('petal: webrtc init-channel race fix')) return source;
  if (!source.includes(ORIGINAL_INIT_BLOCK)) {
    throw new WebRtcPatchError(
      'initiate-connection.js changed upstream: re-check whether the init-channel race is fixed ' +
        'and update or drop src/network/webrtc-init-fix.ts',
    );
  }
  return source.replace(ORIGINAL_INIT_BLOCK, PATCHED_INIT_BLOCK);
}

/**
 * Every fix Petal applies to @libp2p/webrtc, by file: this one and the phantom-link fix of the
 * answering side (webrtc-answer-fix.ts). Returns undefined for any other file.
 */
export function patchWebRtcModule(path: string, source: string): string | undefined {
  if (WEBRTC_INIT_FILE.test(path)) return patchInitiateConnection(source);
  if (WEBRTC_UTIL_FILE.test(path)) return patchReadCandidates(source);
  return undefined;
}

/** The Vite/Rolldown plugin form (typed structurally so core build code needs no Vite types). */
export function webRtcInitFixPlugin() {
  return {
    name: 'petal-webrtc-init-fix',
    enforce: 'pre' as const,
    transform(code: string, id: string) {
      const patched = patchWebRtcModule(id.split('?')[0] ?? id, code);
      return patched === undefined ? undefined : { code: patched, map: null };
    },
  };
}
