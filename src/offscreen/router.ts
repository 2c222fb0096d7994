import { Router } from '../core/rpc/index.ts';
import { NetworkHost } from './network-host.ts';
import { SigningNotRunningError, type SigningRunner } from './signing-runner.ts';

/**
 * Requests the P2P node's host answers. In Chromium this runs in the offscreen document (the only
 * extension context with RTCPeerConnection); in Firefox the persistent background page hosts it.
 * Only extension contexts may call it: a content script's runtime message reaches the offscreen
 * document too, and must not be able to dial, publish or send through the node.
 */
export function createOffscreenRouter(
  version: string,
  network = new NetworkHost(),
  runner?: SigningRunner,
): Router {
  const signing = (): SigningRunner => {
    if (!runner) throw new SigningNotRunningError();
    return runner;
  };
  return new Router(
    'offscreen',
    {
      petal_networkStart: ({ relays, iceServers }) => network.start(relays, iceServers),
      petal_networkStatus: () => network.status(),
      petal_networkDial: ({ multiaddr }) => network.dial(multiaddr),
      // The protocol runs on the node: it stops first, with its key and nonces.
      petal_networkStop: async () => {
        await runner?.stop();
        return network.stop();
      },
      petal_p2pSubscribe: ({ topic }) => network.subscribe(topic),
      petal_p2pPublish: ({ topic, data }) => network.publish(topic, data),
      petal_p2pSend: ({ peer, data }) => network.send(peer, data),
      petal_p2pPutRecord: ({ id, payload, expiresAt }) => network.putRecord(id, payload, expiresAt),
      petal_p2pGetRecord: ({ id }) => network.getRecord(id),
      petal_p2pProtect: ({ sessionId, peers }) => network.protect(sessionId, peers),
      petal_p2pRelease: ({ sessionId }) => network.release(sessionId),
      petal_runnerStart: (p) => signing().start(p),
      petal_runnerStop: async () => (runner ? runner.stop() : { ok: true as const }),
      petal_runnerAddVault: (p) => signing().addVault(p),
      petal_runnerPropose: (p) => signing().propose(p),
      petal_runnerApprove: (p) => signing().approve(p),
      petal_runnerDecline: (p) => signing().decline(p),
      petal_runnerMemberPeers: async (p) => signing().memberPeers(p),
      petal_runnerReplay: async (p) => signing().replay(p),
      petal_offscreenPing: (params, caller) => ({
        pong: true,
        echo: params?.echo,
        answeredBy: 'offscreen',
        origin: caller.origin,
        version,
      }),
    },
    { callers: ['extension'] },
  );
}
