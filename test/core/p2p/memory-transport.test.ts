import { MemoryNetwork } from '../../../src/core/p2p/memory-transport.ts';
import { transportContract } from '../../support/transport-contract.ts';

transportContract('in-memory network', async () => {
  const network = new MemoryNetwork();
  const peers = [network.join('a'), network.join('b'), network.join('c')] as const;
  return {
    peers: [...peers],
    cutOff: async () => network.disconnect('c'),
    teardown: async () => {},
  };
});
