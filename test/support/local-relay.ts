import type { PeerNodeOptions } from '../../src/network/peer-node.ts';
import { type RunningRelay, type StartRelayOptions, startRelay } from '../../src/relay/start.ts';

/**
 * A relay on 127.0.0.1 that also serves STUN: WebRTC never gathers loopback host candidates, so
 * on a machine whose only interface is loopback (CI) the relay's reflexive answer is the only
 * address two peers can meet on.
 */
export function startLocalRelay(options: Partial<StartRelayOptions> = {}): Promise<RunningRelay> {
  return startRelay({ host: '127.0.0.1', port: 0, stunPort: 0, ...options });
}

/** Options for a member node that uses `relay` for circuits and STUN. */
export function memberOptions(relay: RunningRelay): PeerNodeOptions {
  return { relays: relay.multiaddrs, iceServers: relay.stunUrl ? [relay.stunUrl] : [] };
}
