import type { Server } from 'node:http';
import { Federation, type FederationOptions } from './federation.ts';
import { startHealthServer } from './health.ts';
import { loadOrCreateIdentity } from './identity.ts';
import { type RecordStats, RecordQuota } from './record-quota.ts';
import { type RelayNode, type RelayOptions, createRelayNode } from './relay-node.ts';
import { type StunServer, startStunServer } from './stun-server.ts';
import { advertisedStunUrls, serveStunAnnouncement } from './stun-announce.ts';
import { followPeerTopics } from './topic-follower.ts';

export interface StartRelayOptions extends Omit<RelayOptions, 'privateKey'> {
  /** Where the persistent identity lives; omitted → a fresh identity (tests). */
  keyFile?: string;
  /** Port for the `/health` endpoint; omitted → no health server. 0 → any free port. */
  healthPort?: number;
  /** UDP port for the STUN responder; omitted → none. 0 → any free port. */
  stunPort?: number;
  /** Relays to join the network through (multiaddrs with /p2p/<id>); omitted → standalone. */
  bootstrap?: string[];
  /** How the relay keeps linked to other relays (federation.ts). */
  federation?: Omit<FederationOptions, 'bootstrap'>;
}

export interface RunningRelay {
  node: RelayNode;
  peerId: string;
  multiaddrs: string[];
  healthUrl?: string;
  /**
   * `stun:host:port` when the relay serves STUN: the first address it advertises to members
   * (an announced or interface address, never the 0.0.0.0 it may be bound to).
   */
  stunUrl?: string;
  /** What the DHT store holds for peers, within its quotas. */
  records(): RecordStats;
  /** The other relays of the network this one is linked to. */
  federation: Federation;
  stop(): Promise<void>;
}

/** Starts a relay (and its health endpoint) and returns handles to inspect and stop it. */
export async function startRelay(options: StartRelayOptions): Promise<RunningRelay> {
  const privateKey = options.keyFile ? await loadOrCreateIdentity(options.keyFile) : undefined;
  const records =
    options.records instanceof RecordQuota ? options.records : new RecordQuota(options.records);
  const node = await createRelayNode({
    ...options,
    records,
    ...(privateKey ? { privateKey } : {}),
  });
  await node.start();
  const federation = new Federation(node, {
    ...options.federation,
    ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
  });
  federation.start();
  const unfollow = followPeerTopics(node, { isRelay: (peer) => federation.isRelay(peer) });
  let health: { server: Server; url: string } | undefined;
  if (options.healthPort !== undefined) {
    health = await startHealthServer(node, federation, options.host, options.healthPort);
  }
  let stun: StunServer | undefined;
  let unannounce = () => {};
  if (options.stunPort !== undefined) {
    stun = await startStunServer(options.host, options.stunPort);
    unannounce = await serveStunAnnouncement(node, stun.port);
  }
  const stunUrl = stun && advertisedStunUrls(node.getMultiaddrs(), stun.port)[0];
  return {
    node,
    peerId: node.peerId.toString(),
    multiaddrs: node.getMultiaddrs().map((ma) => ma.toString()),
    ...(health ? { healthUrl: health.url } : {}),
    ...(stunUrl ? { stunUrl } : {}),
    records: () => records.stats(),
    federation,
    async stop() {
      unfollow();
      await federation.stop();
      unannounce();
      await stun?.close();
      await new Promise<void>((done) => (health ? health.server.close(() => done()) : done()));
      await node.stop();
    },
  };
}
