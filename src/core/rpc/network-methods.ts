import * as v from 'valibot';
import { type IceServer, IceServerList } from '../network/ice-servers.ts';

/** A multiaddr string as the user or a peer gives it; parsed for real by the network host. */
const MultiaddrString = v.pipe(v.string(), v.minLength(4), v.maxLength(512), v.startsWith('/'));
const Relays = v.pipe(v.array(MultiaddrString), v.minLength(1), v.maxLength(8));

/** Methods of the P2P network host (offscreen document, or Firefox's background page). */
export const networkMethodSpecs = {
  /** Start the node (idempotent) and reserve slots on the given relays. */
  /** `iceServers`: the user's STUN/TURN servers, besides each relay's own STUN service. */
  petal_networkStart: {
    target: 'offscreen',
    params: v.strictObject({ relays: Relays, iceServers: v.optional(IceServerList) }),
  },
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
  /** The transport libp2p negotiated; `webrtc` alone does not mean bytes flow directly. */
  kind: ConnectionKind;
  /** Relayed links carry data/duration limits; session traffic should not stay on them. */
  limited: boolean;
  /**
   * Bytes flow straight to this peer with no relay between: a WebSocket link, or a WebRTC link
   * whose ICE reached "connected"/"completed" (read from the RTCPeerConnection, not the address).
   */
  direct: boolean;
  /** WebRTC only: the RTCPeerConnection's ICE connection state. */
  ice?: 'new' | 'checking' | 'connected' | 'completed' | 'disconnected' | 'failed' | 'closed';
  /** WebRTC only, once ICE selected one: the candidate pair from the browser's own stats. */
  route?: {
    local: 'host' | 'srflx' | 'prflx' | 'relay' | 'unknown';
    remote: 'host' | 'srflx' | 'prflx' | 'relay' | 'unknown';
    localAddress?: string;
    remoteAddress?: string;
    /** Bytes over the selected pair so far (peer to peer, no relay). */
    bytesSent?: number;
    bytesReceived?: number;
  };
}

export interface NetworkStatus {
  running: boolean;
  peerId?: string;
  multiaddrs: string[];
  connections: ConnectionInfo[];
  /** The STUN/TURN URLs new WebRTC links use: the joined relays' STUN, then the user's. */
  iceServers?: string[];
  /**
   * Peer ids of the relays holding a circuit reservation for this node (from its own
   * `/p2p-circuit` addresses): others reach it through these. Two when all is well.
   */
  reservedRelays?: string[];
}

export type { IceServer };

export interface NetworkMethodResults {
  petal_networkStart: NetworkStatus;
  petal_networkStatus: NetworkStatus;
  petal_networkDial: ConnectionInfo;
  petal_networkStop: NetworkStatus;
  petal_connectNetwork: NetworkStatus;
  petal_getNetworkStatus: NetworkStatus;
}
