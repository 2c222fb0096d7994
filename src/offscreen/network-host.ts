import { multiaddr } from '@multiformats/multiaddr';
import type { Connection } from '@libp2p/interface';
import type { ConnectionInfo, NetworkStatus } from '../core/rpc/index.ts';
import { type PeerNode, createPeerNode } from '../network/peer-node.ts';

/** Classifies a live connection from its remote address. */
export function describeConnection(connection: Connection): ConnectionInfo {
  const addr = connection.remoteAddr.toString();
  const kind = addr.includes('/webrtc')
    ? 'webrtc'
    : addr.includes('/p2p-circuit')
      ? 'relayed'
      : addr.includes('/ws')
        ? 'websockets'
        : 'other';
  return {
    peerId: connection.remotePeer.toString(),
    remoteAddr: addr,
    kind,
    limited: connection.limits !== undefined,
  };
}

/**
 * Owns the one libp2p node of this extension instance. It lives in the offscreen document, which
 * outlives service-worker restarts, so the background re-attaches to a running node instead of
 * starting a new one.
 */
export class NetworkHost {
  #node: PeerNode | undefined;
  #starting: Promise<PeerNode> | undefined;

  async start(relays: string[]): Promise<NetworkStatus> {
    if (!this.#node) {
      this.#starting ??= createPeerNode({ relays }).finally(() => {
        this.#starting = undefined;
      });
      this.#node = await this.#starting;
    } else {
      // Already running: make sure we are connected to every relay asked for.
      await Promise.all(relays.map((addr) => this.#node?.dial(multiaddr(addr))));
    }
    return this.status();
  }

  status(): NetworkStatus {
    const node = this.#node;
    if (!node) return { running: false, multiaddrs: [], connections: [] };
    return {
      running: true,
      peerId: node.peerId.toString(),
      multiaddrs: node.getMultiaddrs().map((ma) => ma.toString()),
      connections: node.getConnections().map(describeConnection),
    };
  }

  async dial(address: string): Promise<ConnectionInfo> {
    if (!this.#node) throw new NetworkNotStartedError();
    return describeConnection(await this.#node.dial(multiaddr(address)));
  }

  async stop(): Promise<NetworkStatus> {
    const node = this.#node;
    this.#node = undefined;
    await node?.stop();
    return this.status();
  }

  get node(): PeerNode | undefined {
    return this.#node;
  }
}

export class NetworkNotStartedError extends Error {
  override name = 'NetworkNotStartedError';
  constructor() {
    super('The P2P node is not running; connect to a relay first');
  }
}
