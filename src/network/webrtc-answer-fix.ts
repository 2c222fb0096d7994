/**
 * Fix for phantom direct links in @libp2p/webrtc 6.0.33 (private-to-private/util.js,
 * `readCandidatesUntilConnected`).
 *
 * Both sides read ICE candidates from the signalling stream until their RTCPeerConnection is
 * connected or the stream ends. Upstream treats the *end* of the stream as success: a read that
 * returns nothing breaks the loop, and a read that throws (the dialer gave up and reset the
 * stream) is logged and swallowed unless the caller's signal already fired. The answering side
 * (signaling-stream-handler.js → transport.js `_onProtocol`) then builds a `/webrtc` connection
 * and upgrades it without any handshake of its own, so libp2p lists a direct, unlimited
 * connection whose ICE is still "checking". It prefers that connection for new streams, which
 * stall until ICE finally fails 13–28 s later and the connection vanishes.
 *
 * The fix: when the loop ends and the peer connection is not "connected", wait for it to become
 * connected, and fail if it fails, closes, or the caller's signal (libp2p's inbound upgrade
 * timeout on the answering side, the dial timeout on the dialling side) fires first. A dialler
 * that closes the stream after its own side connected is still fine: ICE connects on both ends
 * within moments, and the answerer simply waits for it.
 *
 * What upstream should change: in `readCandidatesUntilConnected`, the end of the signalling
 * stream must not count as success; after the loop (and in the catch), await the
 * `connectedPromise` (bounded by `options.signal`) unless `pc.connectionState === 'connected'`.
 *
 * Applied like webrtc-init-fix.ts (Vite plugin at build time, Node load hook, vitest transform);
 * refuses to build if the upstream code changed.
 */
export const WEBRTC_UTIL_FILE =
  /@libp2p[\\/]webrtc[\\/]dist[\\/]src[\\/]private-to-private[\\/]util\.js$/;

export const ORIGINAL_READ_END = `    catch (err) {
        options.log.error('%s error parsing ICE candidate - %e', options.direction, err);
        if (options.signal?.aborted === true && pc.connectionState !== 'connected') {
            throw err;
        }
    }
};`;

export const PATCHED_READ_END = `    catch (err) {
        options.log.error('%s error parsing ICE candidate - %e', options.direction, err);
        if (options.signal?.aborted === true && pc.connectionState !== 'connected') {
            throw err;
        }
    }
    /* petal: webrtc phantom-link fix (see src/network/webrtc-answer-fix.ts) */
    if (pc.connectionState !== 'connected') {
        options.log.trace('%s signalling ended before ICE connected; waiting', options.direction);
        await new Promise((resolve, reject) => {
            const signal = options.signal;
            const finish = (settle) => {
                pc.removeEventListener('connectionstatechange', check);
                signal?.removeEventListener('abort', onAbort);
                settle();
            };
            const check = () => {
                if (pc.connectionState === 'connected') finish(resolve);
                else if (pc.connectionState === 'failed' || pc.connectionState === 'closed')
                    finish(() => reject(new ConnectionFailedError(\`RTCPeerConnection connection state became "\${pc.connectionState}" before ICE connected\`)));
            };
            const onAbort = () => finish(() => reject(signal?.reason ?? new ConnectionFailedError('Signalling ended before ICE connected')));
            pc.addEventListener('connectionstatechange', check);
            signal?.addEventListener('abort', onAbort);
            if (signal?.aborted === true) onAbort();
            else check();
        });
    }
};`;

export class WebRtcAnswerPatchError extends Error {
  override name = 'WebRtcAnswerPatchError';
}

/** Returns the patched module source; throws if the expected upstream code is not there. */
export function patchReadCandidates(source: string): string {
  if (source.includes('petal: webrtc phantom-link fix')) return source;
  if (!source.includes(ORIGINAL_READ_END) || !source.includes('ConnectionFailedError')) {
    throw new WebRtcAnswerPatchError(
      'private-to-private/util.js changed upstream: re-check whether a closed signalling stream ' +
        'still counts as a connected peer, and update or drop src/network/webrtc-answer-fix.ts',
    );
  }
  return source.replace(ORIGINAL_READ_END, PATCHED_READ_END);
}
