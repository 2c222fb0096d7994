import type { Libp2p } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import type { Multiaddr } from '@multiformats/multiaddr';
import { STUN_ANNOUNCE_PROTOCOL, type StunAdvertisement } from '../core/network/ice-servers.ts';

/*
 * Tells members where this relay's STUN responder listens (STUN_ANNOUNCE_PROTOCOL), so their
 * WebRTC stacks learn their public address from a server they already trust instead of a third
 * party.
 */

/**
 * The STUN URLs a relay can honestly advertise: the hosts of the addresses it announces (its
 * `--announce` addresses, or each interface address when it listens on 0.0.0.0, as libp2p
 * expands them), never a wildcard. Loopback only when nothing else is there (a local test relay).
 */
export function advertisedStunUrls(addrs: readonly Multiaddr[], port: number): string[] {
  const hosts: string[] = [];
  for (const addr of addrs) {
    const [first] = addr.getComponents();
    if (!first?.value) continue;
    if (first.name === 'ip4' && first.value !== '0.0.0.0') hosts.push(first.value);
    else if (first.name === 'ip6' && first.value !== '::') hosts.push(`[${first.value}]`);
    else if (first.name === 'dns' || first.name === 'dns4' || first.name === 'dns6')
      hosts.push(first.value);
  }
  const isLoopback = (host: string) => host.startsWith('127.') || host === '[::1]';
  const routable = hosts.filter((h) => !isLoopback(h));
  return [...new Set(routable.length > 0 ? routable : hosts)].map((h) => `stun:${h}:${port}`);
}

/** Serves the advertisement on `node`; returns the function that stops serving it. */
export async function serveStunAnnouncement(node: Libp2p, port: number): Promise<() => void> {
  await node.handle(
    STUN_ANNOUNCE_PROTOCOL,
    async (stream) => {
      const advert: StunAdvertisement = {
        port,
        urls: advertisedStunUrls(node.getMultiaddrs(), port),
      };
      try {
        await lpStream(stream).write(new TextEncoder().encode(JSON.stringify(advert)));
        await stream.close();
      } catch (err) {
        stream.abort(err as Error);
      }
    },
    // A member behind NAT may only reach us through a circuit: answer there too (tiny frame).
    { runOnLimitedConnection: true },
  );
  return () => void node.unhandle(STUN_ANNOUNCE_PROTOCOL).catch(() => undefined);
}
