import { describe, expect, it } from 'vitest';
import { checkRelayHealth, relayHealthUrl } from '../../../src/core/network/relay-health.ts';
import { DEFAULT_RELAYS } from '../../../src/core/network/default-relays.ts';

const ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';

describe('relay health URL from a multiaddr', () => {
  it.each([
    [`/ip4/127.0.0.1/tcp/4003/ws/p2p/${ID}`, 'http://127.0.0.1:4004/health'],
    ['/ip4/10.0.0.7/tcp/4003/ws', 'http://10.0.0.7:4004/health'],
    [`/dns4/Relay.Example.org/tcp/443/wss/p2p/${ID}`, 'http://relay.example.org:444/health'],
    [`/dns/relay.example.org/tcp/443/tls/ws/p2p/${ID}`, 'http://relay.example.org:444/health'],
    [
      '/dns6/relay.example.org/tcp/8443/tls/sni/relay.example.org/ws',
      'http://relay.example.org:8444/health',
    ],
    [`/ip6/::1/tcp/4003/ws/p2p/${ID}`, 'http://[::1]:4004/health'],
  ])('%s → %s', (addr, url) => {
    expect(relayHealthUrl(addr)).toBe(url);
  });

  it.each([
    ['a WebRTC address', `/ip4/127.0.0.1/udp/4003/webrtc-direct/p2p/${ID}`],
    ['a circuit address', `/ip4/127.0.0.1/tcp/4003/ws/p2p/${ID}/p2p-circuit/p2p/${ID}`],
    ['plain TCP', '/ip4/127.0.0.1/tcp/4003'],
    ['an out-of-range octet', '/ip4/256.0.0.1/tcp/4003/ws'],
    ['the last port (no port + 1)', '/ip4/127.0.0.1/tcp/65535/ws'],
    ['a host with a path in it', '/dns4/evil.example%2Fx/tcp/443/wss'],
    ['no leading slash', 'ip4/127.0.0.1/tcp/4003/ws'],
    ['an unknown protocol', '/onion3/abc/tcp/1/ws'],
  ])('has none for %s', (_what, addr) => {
    expect(relayHealthUrl(addr)).toBeUndefined();
  });
});

describe('relay health check', () => {
  const addr = `/ip4/127.0.0.1/tcp/4003/ws/p2p/${ID}`;

  it('reads the relay’s report', async () => {
    const fetchFn = (async (url: string) => {
      expect(url).toBe('http://127.0.0.1:4004/health');
      return new Response(JSON.stringify({ status: 'ok', connections: 3, uptimeSeconds: 60 }));
    }) as typeof fetch;
    expect(await checkRelayHealth(addr, fetchFn)).toEqual({
      state: 'ok',
      connections: 3,
      uptimeSeconds: 60,
    });
  });

  it('calls a relay that answers only opaquely (no CORS) reachable, and one that does not down', async () => {
    const opaque = (async (_url: string, init?: RequestInit) => {
      if (init?.mode === 'no-cors') return new Response(null);
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    expect(await checkRelayHealth(addr, opaque)).toEqual({ state: 'reachable' });
    const nothing = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    expect(await checkRelayHealth(addr, nothing)).toEqual({
      state: 'down',
      error: 'Failed to fetch',
    });
  });

  it('does not guess for an address with no health endpoint', async () => {
    const fetchFn = (async () => {
      throw new Error('must not be called');
    }) as typeof fetch;
    expect(await checkRelayHealth('/ip4/1.2.3.4/udp/1/webrtc-direct', fetchFn)).toEqual({
      state: 'unknown',
      reason: 'not a WebSocket address',
    });
  });
});

describe('default relays', () => {
  it('lists only relays whose health can be checked, and none for the local devnet', () => {
    expect(DEFAULT_RELAYS.regtest).toEqual([]);
    for (const list of Object.values(DEFAULT_RELAYS))
      for (const addr of list) expect(relayHealthUrl(addr)).toBeDefined();
  });
});
