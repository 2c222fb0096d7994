import { Router } from '../core/rpc/index.ts';
import { NetworkHost } from './network-host.ts';

/**
 * Requests the P2P node's host answers. In Chromium this runs in the offscreen document (the only
 * extension context with RTCPeerConnection); in Firefox the persistent background page hosts it.
 */
export function createOffscreenRouter(version: string, network = new NetworkHost()): Router {
  return new Router('offscreen', {
    petal_networkStart: ({ relays }) => network.start(relays),
    petal_networkStatus: () => network.status(),
    petal_networkDial: ({ multiaddr }) => network.dial(multiaddr),
    petal_networkStop: () => network.stop(),
    petal_offscreenPing: (params, caller) => ({
      pong: true,
      echo: params?.echo,
      answeredBy: 'offscreen',
      origin: caller.origin,
      version,
    }),
  });
}
