import { circuitRelayServer } from '@libp2p/circuit-relay-v2';
import { PETAL_SCORE_PARAMS, PETAL_SCORE_THRESHOLDS } from '../network/gossip-scoring.ts';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { PrivateKey } from '@libp2p/interface';
import { type KadDHTComponents, kadDHT, passthroughMapper } from '@libp2p/kad-dht';
import { noise } from '@libp2p/noise';
import { ping } from '@libp2p/ping';
import { webSockets } from '@libp2p/websockets';
import { yamux } from '@libp2p/yamux';
import { createLibp2p } from 'libp2p';
import {
  DHT_PROTOCOL,
  RECORD_NAMESPACE,
  selectRecord,
  validateRecord,
} from '../network/dht-records.ts';
import { type RecordLimits, RecordQuota, quotaComponents } from './record-quota.ts';

export interface RelayOptions {
  host: string;
  port: number;
  privateKey?: PrivateKey;
  /** PEM certificate and key: listen on wss (/tls/ws) instead of plain ws. */
  tls?: { cert: string; key: string };
  /** Addresses to announce instead of the listen address (e.g. behind a reverse proxy). */
  announce?: string[];
  /** Circuit reservations held at once; libp2p's default of 15 is too few for large councils. */
  maxReservations?: number;
  /** Quotas of the DHT store (default `DEFAULT_RECORD_LIMITS`), or the accounting to use. */
  records?: RecordQuota | Partial<RecordLimits>;
}

export const DEFAULT_MAX_RESERVATIONS = 256;
/** How long one relayed circuit lasts before the relay cuts it (members redial at once). */
export const CIRCUIT_DURATION_LIMIT_MS = 30 * 60_000;
/** Bytes one circuit may carry each way: a signing session's frames are a few KiB per member. */
export const CIRCUIT_DATA_LIMIT_BYTES = 1n << 20n;

/**
 * A Petal relay/bootstrap node: WebSockets listener, circuit relay v2 server (browsers reserve a
 * slot, then upgrade to direct WebRTC), Kademlia DHT server for `/petal/` records, GossipSub
 * router, identify and ping. It forwards encrypted, signed traffic and holds no secrets.
 */
export async function createRelayNode(options: RelayOptions) {
  const scheme = options.tls ? 'tls/ws' : 'ws';
  const records =
    options.records instanceof RecordQuota ? options.records : new RecordQuota(options.records);
  const dht = kadDHT({
    protocol: DHT_PROTOCOL,
    clientMode: false,
    peerInfoMapper: passthroughMapper,
    validators: { [RECORD_NAMESPACE]: (key, value) => validateRecord(key, value) },
    selectors: { [RECORD_NAMESPACE]: selectRecord },
  });
  return createLibp2p({
    ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    addresses: {
      listen: [`/ip4/${options.host}/tcp/${options.port}/${scheme}`],
      ...(options.announce ? { announce: options.announce } : {}),
    },
    transports: [webSockets(options.tls ? { https: options.tls } : {})],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Loopback and LAN relays are legitimate (tests, home servers); don't filter private addresses.
    connectionGater: { denyDialMultiaddr: () => false },
    // Many members can sit behind one address (a household NAT, a test on loopback): libp2p's
    // default of 5 inbound connections per second per host would turn most of them away.
    connectionManager: {
      maxConnections: 1024,
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 64,
    },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({
        // Circuits stay "limited", so peers move onto the direct WebRTC link they negotiate
        // through us; but where NAT allows none, the circuit is the link for a whole session,
        // so it is cut far less often than libp2p's 2 min / 128 KiB (docs/RELAYS.md).
        reservations: {
          maxReservations: options.maxReservations ?? DEFAULT_MAX_RESERVATIONS,
          defaultDurationLimit: CIRCUIT_DURATION_LIMIT_MS,
          defaultDataLimit: CIRCUIT_DATA_LIMIT_BYTES,
        },
      }),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        scoreParams: PETAL_SCORE_PARAMS,
        scoreThresholds: PETAL_SCORE_THRESHOLDS,
      }),
      // Anyone may put records; each putter is held to its quota (record-quota.ts).
      dht: (components: KadDHTComponents) =>
        dht(quotaComponents(components, { protocol: DHT_PROTOCOL, quota: records })),
    },
  });
}

export type RelayNode = Awaited<ReturnType<typeof createRelayNode>>;
