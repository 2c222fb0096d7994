/**
 * The STUN and TURN servers a member's WebRTC stack asks for its public address (and, for TURN,
 * borrows a relay address from). Petal asks only servers the user chose: the STUN service of each
 * Petal relay it joined, and whatever the user adds in Settings. No third-party server is used
 * by default, since a STUN/TURN server learns who talks to whom. Pure: no browser or Node APIs.
 */
import * as v from 'valibot';

/** One server as an RTCPeerConnection takes it (a single URL; TURN needs its credentials). */
export interface IceServer {
  urls: string;
  username?: string;
  credential?: string;
}

/**
 * A relay tells members where its STUN responder listens on this libp2p protocol: one
 * length-prefixed JSON frame, `{"port": N, "urls": ["stun:host:N", …]}`, then the stream closes
 * (src/relay/stun-announce.ts serves it, src/network/ice-config.ts asks).
 */
export const STUN_ANNOUNCE_PROTOCOL = '/petal/stun/1.0.0';

export interface StunAdvertisement {
  port: number;
  urls: string[];
}

/** At most this many user servers: each one is asked on every connection attempt. */
export const MAX_USER_ICE_SERVERS = 8;

export class IceServerError extends Error {
  override name = 'IceServerError';
}

// RFC 7064/7065: stun:host[:port], turn:host[:port][?transport=udp|tcp]; stuns/turns over TLS.
const HOST = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])`;
const STUN_URL = new RegExp(String.raw`^stuns?:${HOST}(?::(\d{1,5}))?$`);
const TURN_URL = new RegExp(
  String.raw`^turns?:${HOST}(?::(\d{1,5}))?(?:\?transport=(?:udp|tcp))?$`,
);

function portIsValid(url: string, pattern: RegExp): boolean {
  const port = pattern.exec(url)?.[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/** True for a STUN URL a browser accepts, e.g. `stun:relay.example.org:3478`. */
export function isStunUrl(url: string): boolean {
  return STUN_URL.test(url) && portIsValid(url, STUN_URL) && !isWildcardHost(url);
}

function isWildcardHost(url: string): boolean {
  return /^[a-z]+:(0\.0\.0\.0|\[::\])(:|$)/.test(url);
}

/**
 * Checks one server the user typed. STUN takes no credentials; TURN needs both a username and a
 * credential (browsers refuse a TURN server without them).
 * @throws IceServerError naming what is wrong.
 * @example checkIceServer({ urls: 'turn:turn.example.org:3478', username: 'me', credential: 's' })
 */
export function checkIceServer(server: IceServer): IceServer {
  const url = server.urls.trim();
  if (url.startsWith('stun')) {
    if (!isStunUrl(url))
      throw new IceServerError(`"${url}" is not a STUN address such as stun:host:3478`);
    if (server.username || server.credential)
      throw new IceServerError(`A STUN server takes no username or password (${url})`);
    return { urls: url };
  }
  if (url.startsWith('turn')) {
    if (!TURN_URL.test(url) || !portIsValid(url, TURN_URL) || isWildcardHost(url))
      throw new IceServerError(`"${url}" is not a TURN address such as turn:host:3478`);
    if (!server.username || !server.credential)
      throw new IceServerError(`A TURN server needs a username and a password (${url})`);
    return { urls: url, username: server.username, credential: server.credential };
  }
  throw new IceServerError(`"${url}" is neither a stun: nor a turn: address`);
}

/**
 * Stands for a saved TURN password in the Settings text box, which never shows the password
 * itself: a line left as it was keeps the stored one (parseIceServerLines' `saved`).
 */
export const SAVED_PASSWORD = '••••';

/**
 * Reads the Settings text box: one server per line, `URL` or `URL username password` (TURN).
 * Blank lines are skipped. A password of SAVED_PASSWORD takes the one saved in `saved` for the
 * same URL and username, so saving the box untouched keeps every password.
 * @throws IceServerError for the first bad line, a SAVED_PASSWORD with no saved password for its
 *   URL and username, or more than MAX_USER_ICE_SERVERS servers.
 * @example parseIceServerLines('stun:stun.example.org\nturn:t.example.org user secret')
 */
export function parseIceServerLines(text: string, saved: readonly IceServer[] = []): IceServer[] {
  const servers = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [urls = '', username, typed, ...extra] = line.split(/\s+/);
      if (extra.length > 0)
        throw new IceServerError(`Too many words on "${line}": URL, then username and password`);
      const credential = typed === SAVED_PASSWORD ? savedPassword(saved, urls, username) : typed;
      return checkIceServer({
        urls,
        ...(username ? { username } : {}),
        ...(credential ? { credential } : {}),
      });
    });
  if (servers.length > MAX_USER_ICE_SERVERS)
    throw new IceServerError(`At most ${MAX_USER_ICE_SERVERS} STUN/TURN servers`);
  return servers;
}

function savedPassword(saved: readonly IceServer[], urls: string, username = ''): string {
  const match = saved.find((s) => s.urls === urls && s.username === username && s.credential);
  if (!match?.credential)
    throw new IceServerError(
      `Type the password for ${urls}: ${SAVED_PASSWORD} keeps a saved one only for the same ` +
        'address and username',
    );
  return match.credential;
}

/**
 * The Settings text for saved servers, each password shown as SAVED_PASSWORD (parseIceServerLines
 * with the same `saved` reads it back).
 * @example formatIceServerLines([{ urls: 'turn:t.example.org', username: 'me', credential: 's' }])
 *   // 'turn:t.example.org me ••••'
 */
export function formatIceServerLines(servers: readonly IceServer[]): string {
  return servers
    .map((s) =>
      [s.urls, s.username, s.credential === undefined ? undefined : SAVED_PASSWORD]
        .filter((part) => part !== undefined)
        .join(' '),
    )
    .join('\n');
}

/** The schema the RPC and the stored settings share. */
export const IceServerSchema = v.pipe(
  v.strictObject({
    urls: v.pipe(v.string(), v.minLength(6), v.maxLength(300)),
    username: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
    credential: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    try {
      checkIceServer(dataset.value);
    } catch (err) {
      addIssue({ message: (err as Error).message });
    }
  }),
);
export const IceServerList = v.pipe(v.array(IceServerSchema), v.maxLength(MAX_USER_ICE_SERVERS));

/**
 * The STUN URLs to use for a relay: the host the member reached it at (that host answered, so its
 * UDP port is the likeliest to) first, then the ones the relay advertises, without repeats.
 * `advertised` comes from the relay (src/relay/stun-announce.ts): its STUN port and URLs.
 * @example relayStunUrls('/ip4/203.0.113.5/tcp/443/wss/p2p/12D3…', { port: 4003, urls: [] })
 *   // ['stun:203.0.113.5:4003']
 */
export function relayStunUrls(reachedAt: string, advertised: StunAdvertisement): string[] {
  const urls: string[] = [];
  const [, proto, host] = reachedAt.split('/');
  if (
    host &&
    Number.isInteger(advertised.port) &&
    advertised.port > 0 &&
    advertised.port < 65536 &&
    (proto === 'ip4' || proto === 'ip6' || proto === 'dns' || proto === 'dns4' || proto === 'dns6')
  ) {
    urls.push(`stun:${proto === 'ip6' ? `[${host}]` : host}:${advertised.port}`);
  }
  for (const url of advertised.urls) if (isStunUrl(url)) urls.push(url);
  return [...new Set(urls.filter(isStunUrl))].slice(0, 4);
}
