import type { Connection, Libp2p } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import {
  type IceServer,
  STUN_ANNOUNCE_PROTOCOL,
  type StunAdvertisement,
  relayStunUrls,
} from '../core/network/ice-servers.ts';

const ASK_TIMEOUT_MS = 5_000;
const MAX_ADVERT_BYTES = 2048;

/**
 * The ICE servers this member's WebRTC stack uses, kept current: the STUN service of every relay
 * it joined (asked over STUN_ANNOUNCE_PROTOCOL as each relay connection opens) and the servers
 * the user added. The WebRTC transport reads `rtcConfiguration()` for every new peer
 * connection, so a relay joined later, or a server added in Settings, applies to the next dial.
 * Never a third-party default: an empty list means host candidates only.
 */
export class IceConfig {
  readonly #fromRelays = new Map<string, string[]>();
  /** One question per connection, however many callers wait for its answer. */
  readonly #asked = new WeakMap<Connection, Promise<void>>();
  #user: IceServer[];
  #policy: RTCIceTransportPolicy;

  constructor(user: IceServer[] = [], policy: RTCIceTransportPolicy = 'all') {
    this.#user = user;
    this.#policy = policy;
  }

  setUserServers(servers: IceServer[]): void {
    this.#user = [...servers];
  }

  /** The configuration for the next RTCPeerConnection (a fresh object: libp2p mutates it). */
  rtcConfiguration(): RTCConfiguration {
    return {
      iceServers: this.servers().map((s) => ({ ...s })),
      iceTransportPolicy: this.#policy,
    };
  }

  /** Relay STUN first (trusted, and what lets two members meet), then the user's servers. */
  servers(): IceServer[] {
    const relayUrls = [...new Set([...this.#fromRelays.values()].flat())];
    return [...relayUrls.map((urls) => ({ urls })), ...this.#user];
  }

  /**
   * Asks the relay at the other end of `connection` where its STUN service is and remembers the
   * answer under that relay. Never throws: a relay without STUN leaves the list as it was.
   */
  learnFromRelay(node: Libp2p, connection: Connection): Promise<void> {
    let asked = this.#asked.get(connection);
    if (!asked) {
      asked = this.#ask(node, connection);
      this.#asked.set(connection, asked);
    }
    return asked;
  }

  async #ask(node: Libp2p, connection: Connection): Promise<void> {
    const relay = connection.remotePeer.toString();
    try {
      const stream = await connection.newStream(STUN_ANNOUNCE_PROTOCOL, {
        signal: AbortSignal.timeout(ASK_TIMEOUT_MS),
      });
      const frame = await lpStream(stream, { maxDataLength: MAX_ADVERT_BYTES }).read({
        signal: AbortSignal.timeout(ASK_TIMEOUT_MS),
      });
      await stream.close().catch(() => undefined);
      const advert = JSON.parse(new TextDecoder().decode(frame.subarray())) as unknown;
      if (!isAdvert(advert) || node.status !== 'started') return;
      const urls = relayStunUrls(connection.remoteAddr.toString(), advert);
      if (urls.length > 0) this.#fromRelays.set(relay, urls);
    } catch {
      // an older relay, or one run with --stun-port -1
    }
  }
}

function isAdvert(value: unknown): value is StunAdvertisement {
  if (typeof value !== 'object' || value === null) return false;
  const { port, urls } = value as { port?: unknown; urls?: unknown };
  return (
    typeof port === 'number' &&
    Array.isArray(urls) &&
    urls.length <= 16 &&
    urls.every((u) => typeof u === 'string' && u.length < 300)
  );
}
