import { describe, expect, it } from 'vitest';
import type { ConnectionInfo, NetworkStatus } from '../../src/core/rpc/index.ts';
import { describeNetwork, summarizeNetwork } from '../../src/popup/network-summary.ts';

const link = (peerId: string, kind: ConnectionInfo['kind'], direct: boolean): ConnectionInfo => ({
  peerId,
  remoteAddr: `/${kind}/p2p/${peerId}`,
  kind,
  limited: kind === 'relayed',
  direct,
});

describe('the network line in Settings', () => {
  it('counts a WebRTC link whose ICE has not connected as relayed, not direct', () => {
    const status: NetworkStatus = {
      running: true,
      multiaddrs: [],
      reservedRelays: ['relay'],
      connections: [
        link('relay', 'websockets', true),
        // Bob: a circuit and a WebRTC link still checking (or a phantom): not direct.
        link('bob', 'relayed', false),
        { ...link('bob', 'webrtc', false), ice: 'checking' },
        // Carol: ICE connected.
        link('carol', 'relayed', false),
        { ...link('carol', 'webrtc', true), ice: 'connected' },
      ],
    };
    expect(summarizeNetwork(status)).toEqual({ relays: 1, direct: 1, relayed: 1, reserved: 1 });
    expect(describeNetwork(status)).toBe(
      'Online: 1 relay, reserved on 1 relay, 1 direct peer, 1 relayed peer',
    );
  });

  it('says how many relays hold a reservation, and when none does yet', () => {
    const relays = ['relay-a', 'relay-b'].map((id) => link(id, 'websockets', true));
    const reserved: NetworkStatus = {
      running: true,
      multiaddrs: [],
      reservedRelays: ['relay-a', 'relay-b'],
      connections: relays,
    };
    expect(describeNetwork(reserved)).toBe(
      'Online: 2 relays, reserved on 2 relays, 0 direct peers, 0 relayed peers',
    );
    // Joined but not yet reserved: the node can dial out, but no member can reach it.
    expect(describeNetwork({ ...reserved, reservedRelays: [] })).toBe(
      'Online: 2 relays, no reservation yet, 0 direct peers, 0 relayed peers',
    );
    // No relay joined: no reservation can exist, and the line says only that.
    expect(describeNetwork({ ...reserved, connections: [] })).toBe(
      'Online: 0 relays, 0 direct peers, 0 relayed peers',
    );
  });

  it('says offline when the node is not running', () => {
    expect(describeNetwork({ running: false, multiaddrs: [], connections: [] })).toBe(
      'Offline: no relay joined',
    );
    expect(describeNetwork(undefined)).toBe('Offline: no relay joined');
  });
});
