import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import {
  IceServerError,
  IceServerList,
  SAVED_PASSWORD,
  checkIceServer,
  formatIceServerLines,
  parseIceServerLines,
  relayStunUrls,
} from '../../../src/core/network/ice-servers.ts';

describe('user STUN/TURN servers', () => {
  it('accepts STUN and TURN URLs, TURN with its credentials', () => {
    const servers = parseIceServerLines(
      'stun:stun.example.org:3478\n\n  turn:198.51.100.7:3478?transport=tcp alice s3cret  \nstuns:[2001:db8::1]',
    );
    expect(servers).toEqual([
      { urls: 'stun:stun.example.org:3478' },
      { urls: 'turn:198.51.100.7:3478?transport=tcp', username: 'alice', credential: 's3cret' },
      { urls: 'stuns:[2001:db8::1]' },
    ]);
    expect(parseIceServerLines(formatIceServerLines(servers), servers)).toEqual(servers);
  });

  it('never shows a saved TURN password, and keeps it when its line is saved unchanged', () => {
    const saved = [
      { urls: 'stun:stun.example.org' },
      { urls: 'turn:t.example.org:3478', username: 'alice', credential: 'garden gate' },
      { urls: 'turn:u.example.org', username: 'bob', credential: SAVED_PASSWORD + 'x' },
    ];
    const text = formatIceServerLines(saved);
    expect(text).toBe(
      'stun:stun.example.org\nturn:t.example.org:3478 alice ••••\nturn:u.example.org bob ••••',
    );
    expect(text).not.toContain('garden');
    // Saved untouched, or with a server added: every password is the stored one, intact.
    expect(parseIceServerLines(text, saved)).toEqual(saved);
    expect(parseIceServerLines(`${text}\nstun:new.example.org`, saved)).toEqual([
      ...saved,
      { urls: 'stun:new.example.org' },
    ]);
    // A retyped password replaces the stored one.
    expect(parseIceServerLines('turn:t.example.org:3478 alice n3w', saved)[0]?.credential).toBe(
      'n3w',
    );
    // The mask never becomes a password: for another address or username, or with nothing
    // saved, it asks for the password.
    for (const [line, from] of [
      ['turn:t.example.org:3479 alice ••••', saved],
      ['turn:t.example.org:3478 carol ••••', saved],
      ['turn:t.example.org:3478 alice ••••', []],
    ] as const) {
      expect(() => parseIceServerLines(line, from)).toThrow(IceServerError);
      expect(() => parseIceServerLines(line, from)).toThrow(
        /Type the password for turn:t\.example/,
      );
    }
  });

  it.each([
    ['https://stun.example.org', /neither a stun: nor a turn:/],
    ['stun:stun.example.org:99999', /not a STUN address/],
    ['stun:0.0.0.0:3478', /not a STUN address/],
    ['stun:host user pass', /takes no username/],
    ['turn:turn.example.org', /needs a username and a password/],
    ['turn:turn.example.org user', /needs a username and a password/],
    ['turn:turn.example.org u p extra', /Too many words/],
  ])('refuses %s with a clear IceServerError', (line, message) => {
    expect(() => parseIceServerLines(line)).toThrow(IceServerError);
    expect(() => parseIceServerLines(line)).toThrow(message);
  });

  it('refuses more than eight servers', () => {
    const nine = Array.from({ length: 9 }, (_, i) => `stun:s${i}.example.org`).join('\n');
    expect(() => parseIceServerLines(nine)).toThrow(/At most 8/);
  });

  it('the RPC and storage schema applies the same checks', () => {
    expect(v.safeParse(IceServerList, [{ urls: 'stun:a.example:3478' }]).success).toBe(true);
    expect(v.safeParse(IceServerList, [{ urls: 'turn:a.example:3478' }]).success).toBe(false);
    expect(v.safeParse(IceServerList, [{ urls: 'stun:a.example', extra: 1 }]).success).toBe(false);
    expect(checkIceServer({ urls: ' stun:a.example ' })).toEqual({ urls: 'stun:a.example' });
  });
});

describe('a relay’s STUN addresses', () => {
  it('puts the host the member reached the relay at first, then the advertised ones', () => {
    expect(
      relayStunUrls('/dns4/relay.example.org/tcp/443/wss/p2p/12D3KooW', {
        port: 4003,
        urls: ['stun:203.0.113.5:4003', 'stun:0.0.0.0:4003', 'not a url'],
      }),
    ).toEqual(['stun:relay.example.org:4003', 'stun:203.0.113.5:4003']);
    expect(relayStunUrls('/ip6/2001:db8::5/tcp/4003/ws', { port: 4003, urls: [] })).toEqual([
      'stun:[2001:db8::5]:4003',
    ]);
  });

  it('ignores a bad port and addresses that are no host', () => {
    expect(relayStunUrls('/ip4/203.0.113.5/tcp/4003/ws', { port: 70000, urls: [] })).toEqual([]);
    expect(relayStunUrls('/p2p-circuit/p2p/12D3KooW', { port: 4003, urls: [] })).toEqual([]);
  });
});
