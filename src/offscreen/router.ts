import { Router } from '../core/rpc/index.ts';

/**
 * Requests the P2P node's host answers. In Chromium this runs in the offscreen document (the only
 * extension context with RTCPeerConnection); in Firefox the persistent background page hosts it.
 */
export function createOffscreenRouter(version: string): Router {
  return new Router('offscreen', {
    petal_offscreenPing: (params, caller) => ({
      pong: true,
      echo: params?.echo,
      answeredBy: 'offscreen',
      origin: caller.origin,
      version,
    }),
  });
}
