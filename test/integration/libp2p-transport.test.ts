import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { createPeerNode } from '../../src/network/peer-node.ts';
import { startRelay } from '../../src/relay/start.ts';
import { transportContract } from '../support/transport-contract.ts';

transportContract('libp2p (relay + three real nodes on loopback)', async () => {
  const relay = await startRelay({ host: '127.0.0.1', port: 0 });
  const nodes = await Promise.all(
    [0, 1, 2].map(() => createPeerNode({ relays: relay.multiaddrs })),
  );
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
