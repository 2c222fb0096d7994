import type { Connection } from '@libp2p/interface';

/**
 * What a libp2p connection really rides on. A `/webrtc` address says only that a WebRTC
 * negotiation was started: @libp2p/webrtc 6.0.33's answering side can open a connection whose
 * ICE never connected (see webrtc-answer-fix.ts), and such a link carries nothing. So "direct"
 * is read from the RTCPeerConnection itself, and the selected candidate pair from its stats.
 */

/** The RTCPeerConnection under a WebRTC connection, if this is one. */
export function peerConnectionOf(connection: Connection): RTCPeerConnection | undefined {
  // @libp2p/webrtc keeps it on its MultiaddrConnection; libp2p keeps that as `maConn`. Neither is
  // typed API, so read defensively: a library change makes this undefined, never a crash.
  const maConn = (connection as unknown as { maConn?: { peerConnection?: unknown } }).maConn;
  const pc = maConn?.peerConnection as RTCPeerConnection | undefined;
  return pc && typeof pc === 'object' && 'iceConnectionState' in pc ? pc : undefined;
}

/** ICE found a working path and DTLS is up: bytes flow peer to peer. */
export function iceConnected(pc: RTCPeerConnection): boolean {
  return (
    (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') &&
    pc.connectionState === 'connected'
  );
}

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay' | 'unknown';

/** The candidate pair ICE selected: how each side is reached (e.g. srflx ↔ srflx through NAT). */
export interface IceRoute {
  local: CandidateType;
  remote: CandidateType;
  localAddress?: string;
  remoteAddress?: string;
  /** Bytes sent and received over this pair so far: traffic that did not touch a relay. */
  bytesSent?: number;
  bytesReceived?: number;
}

interface StatsEntry {
  id: string;
  type: string;
  selectedCandidatePairId?: string;
  state?: string;
  nominated?: boolean;
  localCandidateId?: string;
  remoteCandidateId?: string;
  candidateType?: string;
  address?: string;
  ip?: string;
  port?: number;
  bytesSent?: number;
  bytesReceived?: number;
}

const CANDIDATE_TYPES = new Set(['host', 'srflx', 'prflx', 'relay']);

/**
 * The selected candidate pair from `pc.getStats()` (the browser's own record of the path), or
 * undefined while there is none. Chromium names it on the `transport` entry; stacks without one
 * (node-datachannel) report a single succeeded, nominated pair.
 */
export async function selectedRoute(pc: RTCPeerConnection): Promise<IceRoute | undefined> {
  const report = await pc.getStats();
  const entries = new Map<string, StatsEntry>();
  report.forEach((entry: StatsEntry) => entries.set(entry.id, entry));
  const all = [...entries.values()];
  const selectedId = all.find(
    (e) => e.type === 'transport' && e.selectedCandidatePairId,
  )?.selectedCandidatePairId;
  const pair =
    (selectedId ? entries.get(selectedId) : undefined) ??
    all.find((e) => e.type === 'candidate-pair' && e.state === 'succeeded' && e.nominated);
  if (!pair || pair.state !== 'succeeded') return undefined;
  const side = (id: string | undefined) => {
    const candidate = id ? entries.get(id) : undefined;
    const type = candidate?.candidateType ?? 'unknown';
    const host = candidate?.address ?? candidate?.ip;
    return {
      type: (CANDIDATE_TYPES.has(type) ? type : 'unknown') as CandidateType,
      ...(host ? { address: candidate?.port ? `${host}:${candidate.port}` : host } : {}),
    };
  };
  const local = side(pair.localCandidateId);
  const remote = side(pair.remoteCandidateId);
  return {
    local: local.type,
    remote: remote.type,
    ...(local.address ? { localAddress: local.address } : {}),
    ...(remote.address ? { remoteAddress: remote.address } : {}),
    ...(typeof pair.bytesSent === 'number' ? { bytesSent: pair.bytesSent } : {}),
    ...(typeof pair.bytesReceived === 'number' ? { bytesReceived: pair.bytesReceived } : {}),
  };
}
