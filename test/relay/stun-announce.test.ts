import { multiaddr } from '@multiformats/multiaddr';
import { describe, expect, it } from 'vitest';
import { advertisedStunUrls } from '../../src/relay/stun-announce.ts';

describe('the STUN addresses a relay advertises', () => {
  it('never a wildcard; interface or announced hosts; loopback only when alone', () => {
    const bound = [
      '/ip4/0.0.0.0/tcp/4003/ws',
      '/ip4/127.0.0.1/tcp/4003/ws',
      '/ip4/203.0.113.5/tcp/4003/ws',
    ];
    expect(
      advertisedStunUrls(
        bound.map((a) => multiaddr(a)),
        4003,
      ),
    ).toEqual(['stun:203.0.113.5:4003']);
    expect(advertisedStunUrls([multiaddr('/dns4/relay.example.org/tcp/443/wss')], 3478)).toEqual([
      'stun:relay.example.org:3478',
    ]);
    expect(advertisedStunUrls([multiaddr('/ip4/127.0.0.1/tcp/4003/ws')], 4003)).toEqual([
      'stun:127.0.0.1:4003',
    ]);
    expect(advertisedStunUrls([multiaddr('/ip6/::/tcp/4003/ws')], 4003)).toEqual([]);
  });
});
