import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PeerNode,
  createPeerNode,
  dialWithRetry,
  waitForWebRtcAddress,
} from '../../src/network/peer-node.ts';
import { SessionPeerGuard } from '../../src/network/session-peers.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';

describe('session peer protection', () => {
  let relay: RunningRelay;
  let alice: PeerNode;
  let others: PeerNode[];

  beforeAll(async () => {
    relay = await startLocalRelay();
    alice = await createPeerNode(memberOptions(relay));
    others = await Promise.all([0, 1].map(() => createPeerNode(memberOptions(relay))));
  });

  afterAll(async () => {
    await Promise.all([alice, ...others].map((n) => n?.stop()));
    await relay?.stop();
  });

  it('tags session members above everything else and redials them if the link drops', async () => {
    const guard = new SessionPeerGuard(alice);
    const [member, stranger] = others as [PeerNode, PeerNode];
    await dialWithRetry(alice, multiaddr(await waitForWebRtcAddress(member)));
    await dialWithRetry(alice, multiaddr(await waitForWebRtcAddress(stranger)));
    await guard.protect('s1', [member.peerId.toString(), alice.peerId.toString()]);

    const tags = (await alice.peerStore.get(member.peerId)).tags;
    expect(tags.get('petal-session-s1')?.value).toBe(100);
    expect(alice.redialer.size).toBeGreaterThanOrEqual(2); // the relay and the member

    // A dropped link to a member comes back by itself; a stranger's does not.
    await alice.hangUp(member.peerId);
    await alice.hangUp(stranger.peerId);
    await expect
      .poll(() => alice.getConnections(member.peerId).length, { timeout: 15_000 })
      .toBeGreaterThan(0);
    expect(alice.getConnections(stranger.peerId)).toEqual([]);

    await guard.release('s1');
    expect(guard.size).toBe(0);
    const after = (await alice.peerStore.get(member.peerId)).tags;
    expect([...after.keys()].filter((t) => t.includes('petal-session'))).toEqual([]);
  });
});
