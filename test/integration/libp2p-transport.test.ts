import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { createPeerNode } from '../../src/network/peer-node.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { transportContract } from '../support/transport-contract.ts';

transportContract('libp2p (relay + three real nodes on loopback)', async () => {
  const relay = await startLocalRelay();
  const nodes = await Promise.all([0, 1, 2].map(() => createPeerNode(memberOptions(relay))));
  const peers = nodes.map((node) => new Libp2pMessaging(node)) as [
    Libp2pMessaging,
    Libp2pMessaging,
    Libp2pMessaging,
  ];
  await Promise.all(peers.map((p) => p.start()));
  return {
    peers,
    cutOff: async () => {
      await nodes[2]?.stop();
    },
    teardown: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await relay.stop();
    },
  };
});
