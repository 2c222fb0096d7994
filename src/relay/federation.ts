import type { IdentifyResult, Libp2p, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr';
import { DHT_PROTOCOL } from '../network/dht-records.ts';

/** The circuit relay v2 server protocol: with the DHT server protocol, what makes a peer a relay. */
const HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop';
/** Above libp2p's own tags, so connection pruning keeps the federation together. */
const FEDERATION_TAG = 'petal-federation';
const FEDERATION_TAG_VALUE = 100;

export interface FederationOptions {
  /** Relays to join through (multiaddrs with /p2p/<id>); they are redialled for as long as we run. */
  bootstrap?: string[];
  /** Other relays kept connected at most; past it, relays are still reached through the DHT. */
  maxLinks?: number;
  /** How often unlinked relays are redialled and the DHT is asked for more. */
  intervalMs?: number;
  /** A relay that is neither a bootstrap peer nor answering after this many attempts is forgotten. */
  maxFailures?: number;
  log?: (message: string) => void;
}

export const DEFAULT_MAX_RELAY_LINKS = 64;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_MAX_FAILURES = 10;
const DIAL_TIMEOUT_MS = 10_000;

interface KnownRelay {
  peer: PeerId;
  addrs: Multiaddr[];
  bootstrap: boolean;
  failures: number;
}

/** The part of a relay node federation needs: libp2p with a peer-routing DHT. */
type FederatedNode = Pick<
  Libp2p,
  | 'peerId'
  | 'dial'
  | 'getConnections'
  | 'peerStore'
  | 'peerRouting'
  | 'addEventListener'
  | 'removeEventListener'
>;

/**
 * Keeps a relay linked to the other relays of the network. Relays join through bootstrap
 * addresses, learn of more through the Kademlia DHT (every relay is a DHT server, members are
 * clients), and stay connected to every relay they know, up to `maxLinks`: GossipSub only
 * forwards along connections, and a relay follows only the topics of its own members
 * (topic-follower.ts), so two members on different relays hear each other through the one hop
 * between their relays. A peer is a relay when identify says it serves both the DHT and circuit
 * relay protocols.
 */
export class Federation {
  readonly #node: FederatedNode;
  readonly #known = new Map<string, KnownRelay>();
  /** Relays connected now (linked or not), for the topic follower and health. */
  readonly #connectedRelays = new Set<string>();
  readonly #maxLinks: number;
  readonly #intervalMs: number;
  readonly #maxFailures: number;
  readonly #log: (message: string) => void;
  readonly #stopping = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #maintaining: Promise<void> | undefined;

  readonly #onIdentify = (event: CustomEvent<IdentifyResult>) => {
    const { peerId, protocols, listenAddrs } = event.detail;
    if (!isRelayProtocols(protocols)) return;
    this.#connectedRelays.add(peerId.toString());
    // Dialled with the peer id, so a different node now at that address is not taken for it.
    const withId = listenAddrs.map((a) =>
      a.getComponents().some((c) => c.name === 'p2p') ? a : a.encapsulate(`/p2p/${peerId}`),
    );
    this.#remember(peerId, withId, false);
  };

  readonly #onDisconnect = (event: CustomEvent<PeerId>) => {
    const id = event.detail.toString();
    this.#connectedRelays.delete(id);
    // A relay that went away is redialled soon, not at the next full round.
    if (this.#known.has(id)) this.#schedule(1_000);
  };

  constructor(node: FederatedNode, options: FederationOptions = {}) {
    this.#node = node;
    this.#maxLinks = options.maxLinks ?? DEFAULT_MAX_RELAY_LINKS;
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.#maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
    this.#log = options.log ?? (() => undefined);
    for (const address of options.bootstrap ?? []) {
      const { peer, addr } = parseBootstrapAddress(address);
      if (peer.equals(node.peerId)) continue; // a default list may name this very relay
      this.#remember(peer, [addr], true);
    }
  }

  /** Starts linking; does not wait for the bootstrap relays (they may be down for now). */
  start(): void {
    this.#node.addEventListener('peer:identify', this.#onIdentify);
    this.#node.addEventListener('peer:disconnect', this.#onDisconnect);
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    clearTimeout(this.#timer);
    this.#node.removeEventListener('peer:identify', this.#onIdentify);
    this.#node.removeEventListener('peer:disconnect', this.#onDisconnect);
    await this.#maintaining?.catch(() => undefined);
  }

  /** Whether `peer` is a relay we are connected to (its subscriptions are not a member's). */
  isRelay(peer: PeerId | string): boolean {
    return this.#connectedRelays.has(peer.toString());
  }

  /** Relays connected now. */
  get linkedRelays(): number {
    return this.#connectedRelays.size;
  }

  /** Relays this one knows of (connected or being redialled). */
  get knownRelays(): number {
    return this.#known.size;
  }

  #remember(peer: PeerId, addrs: Multiaddr[], bootstrap: boolean): void {
    const id = peer.toString();
    const known = this.#known.get(id);
    if (known) {
      known.failures = 0;
      if (addrs.length > 0 && !known.bootstrap) known.addrs = addrs;
      return;
    }
    if (!bootstrap && this.#known.size >= this.#maxLinks) return;
    this.#known.set(id, { peer, addrs, bootstrap, failures: 0 });
    void this.#node.peerStore
      .merge(peer, { tags: { [FEDERATION_TAG]: { value: FEDERATION_TAG_VALUE } } })
      .catch(() => undefined);
  }

  #schedule(delayMs: number): void {
    if (this.#stopping.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#maintaining ??= this.#maintain().finally(() => {
        this.#maintaining = undefined;
        this.#schedule(this.#intervalMs);
      });
    }, delayMs);
  }

  /** Redials every known relay that is not connected, then asks the DHT for relays near us. */
  async #maintain(): Promise<void> {
    const signal = this.#stopping.signal;
    await Promise.all(
      [...this.#known.values()].map(async (relay) => {
        if (this.#node.getConnections(relay.peer).length > 0) return;
        try {
          const timeout = AbortSignal.any([signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)]);
          await this.#node.dial(relay.addrs.length > 0 ? relay.addrs : relay.peer, {
            signal: timeout,
          });
          relay.failures = 0;
        } catch {
          relay.failures += 1;
          if (!relay.bootstrap && relay.failures >= this.#maxFailures) {
            this.#known.delete(relay.peer.toString());
            void this.#node.peerStore
              .merge(relay.peer, { tags: { [FEDERATION_TAG]: undefined } })
              .catch(() => undefined);
            this.#log(`forgot relay ${relay.peer.toString()} after ${relay.failures} failed dials`);
          }
        }
      }),
    );
    // With no relay connected the DHT has nobody to ask (its queries would wait for one).
    if (signal.aborted || this.#connectedRelays.size === 0) return;
    // The lookup dials the relays closest to us; identify then tells us they are relays.
    try {
      const timeout = AbortSignal.any([signal, AbortSignal.timeout(DIAL_TIMEOUT_MS * 3)]);
      for await (const _peer of this.#node.peerRouting.getClosestPeers(
        this.#node.peerId.toMultihash().bytes,
        { signal: timeout },
      )) {
        // drain: each answer is a relay the query already connected to
      }
    } catch {
      // no relay reachable yet: the next round tries again
    }
  }
}

/** A bootstrap relay's multiaddr and peer id; throws `FederationConfigError` on anything else. */
export function parseBootstrapAddress(address: string): { peer: PeerId; addr: Multiaddr } {
  let addr: Multiaddr;
  let peer: PeerId;
  try {
    addr = multiaddr(address);
    const id = addr.getComponents().findLast((c) => c.name === 'p2p')?.value;
    if (!id) throw new Error('no /p2p/<peer id>');
    peer = peerIdFromString(id);
  } catch (err) {
    throw new FederationConfigError(
      `Not a relay address with its peer id (${(err as Error).message}): ${address}`,
    );
  }
  return { peer, addr };
}

export function isRelayProtocols(protocols: readonly string[]): boolean {
  return protocols.includes(DHT_PROTOCOL) && protocols.includes(HOP_PROTOCOL);
}

export class FederationConfigError extends Error {
  override name = 'FederationConfigError';
}
