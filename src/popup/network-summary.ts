import type { NetworkStatus } from '../core/rpc/index.ts';

/** How the node reaches others, per peer: what Settings says in one line. */
export interface NetworkSummary {
  /** Relays joined (a WebSocket link). */
  relays: number;
  /** Peers with a link whose bytes flow straight to them (ICE connected). */
  direct: number;
  /** Peers reached only through a relay (a circuit, or WebRTC whose ICE has not connected). */
  relayed: number;
  /** Relays holding a circuit reservation for this node: how many ways others can reach it. */
  reserved: number;
}

/** Counts peers, not connections: one peer often has a circuit and a WebRTC link at once. */
export function summarizeNetwork(status: NetworkStatus): NetworkSummary {
  const relayPeers = new Set(
    status.connections.filter((c) => c.kind === 'websockets').map((c) => c.peerId),
  );
  const direct = new Set<string>();
  const others = new Set<string>();
  for (const c of status.connections) {
    if (relayPeers.has(c.peerId)) continue;
    others.add(c.peerId);
    if (c.direct) direct.add(c.peerId);
  }
  return {
    relays: relayPeers.size,
    direct: direct.size,
    relayed: others.size - direct.size,
    reserved: status.reservedRelays?.length ?? 0,
  };
}

/** "Online: 2 relays, reserved on 2 relays, 1 direct peer, 2 relayed peers". */
export function describeNetwork(status: NetworkStatus | undefined): string {
  if (!status?.running) return 'Offline: no relay joined';
  const { relays, direct, relayed, reserved } = summarizeNetwork(status);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  // A reservation needs a relay link, so with no relay there is nothing to add. Joined but not
  // reserved, the node can dial out but no member can reach it: say so.
  const reachable =
    relays === 0
      ? ''
      : reserved > 0
        ? `, reserved on ${count(reserved, 'relay')}`
        : ', no reservation yet';
  return `Online: ${count(relays, 'relay')}${reachable}, ${count(direct, 'direct peer')}, ${count(relayed, 'relayed peer')}`;
}
