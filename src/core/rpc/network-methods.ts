import * as v from 'valibot';

/** A multiaddr string as the user or a peer gives it; parsed for real by the network host. */
const MultiaddrString = v.pipe(v.string(), v.minLength(4), v.maxLength(512), v.startsWith('/'));
const Relays = v.pipe(v.array(MultiaddrString), v.minLength(1), v.maxLength(8));

/** Methods of the P2P network host (offscreen document, or Firefox's background page). */
export const networkMethodSpecs = {
  /** Start the node (idempotent) and reserve slots on the given relays. */
  petal_networkStart: { target: 'offscreen', params: v.strictObject({ relays: Relays }) },
  petal_networkStatus: { target: 'offscreen', params: v.optional(v.strictObject({})) },
  /** Dial a peer (e.g. another member's /p2p-circuit/webrtc address). */
  petal_networkDial: {
    target: 'offscreen',
    params: v.strictObject({ multiaddr: MultiaddrString }),
  },
  petal_networkStop: { target: 'offscreen', params: v.optional(v.strictObject({})) },
  /** Extension pages ask the background, which makes sure the host exists and forwards. */
  petal_connectNetwork: { target: 'background', params: v.strictObject({ relays: Relays }) },
  petal_getNetworkStatus: { target: 'background', params: v.optional(v.strictObject({})) },
} as const;

/** How a connection reaches the peer: direct WebRTC is the goal, relayed is the fallback. */
export type ConnectionKind = 'webrtc' | 'relayed' | 'websockets' | 'other';

export interface ConnectionInfo {
  peerId: string;
  remoteAddr: string;
  kind: ConnectionKind;
  /** Relayed links carry data/duration limits; session traffic should not stay on them. */
  limited: boolean;
}

export interface NetworkStatus {
  running: boolean;
  peerId?: string;
  multiaddrs: string[];
  connections: ConnectionInfo[];
}

export interface NetworkMethodResults {
  petal_networkStart: NetworkStatus;
  petal_networkStatus: NetworkStatus;
  petal_networkDial: ConnectionInfo;
  petal_networkStop: NetworkStatus;
  petal_connectNetwork: NetworkStatus;
  petal_getNetworkStatus: NetworkStatus;
}
