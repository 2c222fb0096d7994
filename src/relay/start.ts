import type { Server } from 'node:http';
import { startHealthServer } from './health.ts';
import { loadOrCreateIdentity } from './identity.ts';
import { type RecordStats, RecordQuota } from './record-quota.ts';
import { type RelayNode, type RelayOptions, createRelayNode } from './relay-node.ts';
import { type StunServer, startStunServer } from './stun-server.ts';
import { followPeerTopics } from './topic-follower.ts';

export interface StartRelayOptions extends Omit<RelayOptions, 'privateKey'> {
  /** Where the persistent identity lives; omitted → a fresh identity (tests). */
  keyFile?: string;
  /** Port for the `/health` endpoint; omitted → no health server. 0 → any free port. */
  healthPort?: number;
  /** UDP port for the STUN responder; omitted → none. 0 → any free port. */
  stunPort?: number;
}

export interface RunningRelay {
  node: RelayNode;
  peerId: string;
  multiaddrs: string[];
  healthUrl?: string;
  /** `stun:host:port` when the relay serves STUN. */
  stunUrl?: string;
  /** What the DHT store holds for peers, within its quotas. */
  records(): RecordStats;
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
  const unfollow = followPeerTopics(node);
  let health: { server: Server; url: string } | undefined;
  if (options.healthPort !== undefined) {
    health = await startHealthServer(node, options.host, options.healthPort);
  }
  let stun: StunServer | undefined;
  if (options.stunPort !== undefined) stun = await startStunServer(options.host, options.stunPort);
  return {
    node,
    peerId: node.peerId.toString(),
    multiaddrs: node.getMultiaddrs().map((ma) => ma.toString()),
    ...(health ? { healthUrl: health.url } : {}),
    ...(stun ? { stunUrl: stun.url } : {}),
    records: () => records.stats(),
    async stop() {
      unfollow();
      await stun?.close();
      await new Promise<void>((done) => (health ? health.server.close(() => done()) : done()));
      await node.stop();
    },
  };
}
