/**
 * A relay's health, as Settings shows it: the relay serves `GET /health` over plain HTTP on its
 * WebSocket port + 1 (src/relay/health.ts, `--health-port`), so the URL follows from a
 * WebSocket multiaddr. Pure apart from the `fetch` passed in.
 */

/**
 * The health URL of a relay at a WebSocket multiaddr, or undefined when the address is not
 * `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/ws|wss|tls/ws[/p2p/<id>]` (a circuit or WebRTC
 * address has no health endpoint of its own). Assumes the relay's default `--health-port`.
 * @example relayHealthUrl('/dns4/relay.example/tcp/443/wss/p2p/12D3…')
 *   // 'http://relay.example:444/health'
 */
export function relayHealthUrl(multiaddr: string): string | undefined {
  const parts = multiaddr.trim().split('/');
  if (parts[0] !== '') return undefined;
  const [, proto, host, tcp, portText, ...rest] = parts;
  if (!proto || !host || tcp !== 'tcp' || !portText || !/^\d{1,5}$/.test(portText))
    return undefined;
  const port = Number(portText);
  if (port < 1 || port >= 65535) return undefined;
  let hostPart: string;
  if (proto === 'ip4') {
    if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(host) || host.split('.').some((n) => Number(n) > 255))
      return undefined;
    hostPart = host;
  } else if (proto === 'ip6') {
    if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(':')) return undefined;
    hostPart = `[${host}]`;
  } else if (proto === 'dns' || proto === 'dns4' || proto === 'dns6') {
    if (!/^[A-Za-z0-9.-]+$/.test(host) || host.startsWith('.') || host.startsWith('-'))
      return undefined;
    hostPart = host.toLowerCase();
  } else return undefined;
  let i = 0;
  if (rest[i] === 'tls') {
    i++;
    if (rest[i] === 'sni') i += 2;
    if (rest[i] !== 'ws') return undefined;
  } else if (rest[i] !== 'ws' && rest[i] !== 'wss') return undefined;
  i++;
  if (rest[i] === 'p2p' && rest[i + 1]) i += 2;
  if (i !== rest.length && !(i === rest.length - 1 && rest[i] === '')) return undefined;
  return `http://${hostPart}:${port + 1}/health`;
}

export type RelayHealth =
  | { state: 'ok'; connections?: number; uptimeSeconds?: number }
  /** It answered, but the browser keeps the report from the popup (no CORS headers). */
  | { state: 'reachable' }
  | { state: 'down'; error: string }
  | { state: 'unknown'; reason: string };

/**
 * Asks a relay's health endpoint how it is. Never throws: a relay that does not answer within
 * `timeoutMs` is `down`, an address with no derivable health URL is `unknown`.
 */
export async function checkRelayHealth(
  multiaddr: string,
  fetchFn: typeof fetch,
  timeoutMs = 4000,
): Promise<RelayHealth> {
  const url = relayHealthUrl(multiaddr);
  if (!url) return { state: 'unknown', reason: 'not a WebSocket address' };
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetchFn(url, { signal, cache: 'no-store' });
    if (!res.ok) return { state: 'down', error: `health check answered ${res.status}` };
    const report = (await res.json()) as {
      status?: unknown;
      connections?: unknown;
      uptimeSeconds?: unknown;
    };
    if (report.status !== 'ok') return { state: 'down', error: 'health check did not say ok' };
    return {
      state: 'ok',
      ...(typeof report.connections === 'number' ? { connections: report.connections } : {}),
      ...(typeof report.uptimeSeconds === 'number' ? { uptimeSeconds: report.uptimeSeconds } : {}),
    };
  } catch (err) {
    if (signal.aborted) return { state: 'down', error: 'no answer' };
    // A cross-origin answer without CORS headers is refused as a TypeError; ask again opaquely
    // to tell "answered" from "nothing there".
    try {
      await fetchFn(url, { signal, cache: 'no-store', mode: 'no-cors' });
      return { state: 'reachable' };
    } catch {
      return { state: 'down', error: signal.aborted ? 'no answer' : (err as Error).message };
    }
  }
}
