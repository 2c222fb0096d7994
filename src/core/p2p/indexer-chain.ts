/**
 * The protocol's view of the chain (broadcast, "was it seen", read an output) over the wallet's
 * indexer client, so the extension and the cosigner use the same Chronik connection for both.
 */
import { BroadcastRejectedError, type ChainIndexer } from '../chain/chronik.ts';
import { BroadcastError, type ChainAccess, type ChainOutput } from './chain.ts';

export function indexerChainAccess(indexer: ChainIndexer): Required<ChainAccess> {
  return {
    async broadcast(tx) {
      try {
        return await indexer.broadcast(tx);
      } catch (err) {
        if (err instanceof BroadcastRejectedError) throw new BroadcastError(err.message);
        throw err;
      }
    },
    async medianTimePast() {
      return (await indexer.tip()).medianTime;
    },
    async seen(txid) {
      try {
        await indexer.tx(txid);
        return true;
      } catch {
        return false;
      }
    },
    async getOutput(txid, vout): Promise<ChainOutput | undefined> {
      let tx;
      try {
        tx = await indexer.tx(txid);
      } catch {
        return undefined;
      }
      const output = tx.outputs[vout];
      if (!output) return undefined;
      const height = tx.block?.height;
      const tip = height === undefined ? undefined : (await indexer.tip()).height;
      const confirmations = height === undefined || tip === undefined ? 0 : tip - height + 1;
      return { value: output.value, script: output.script, confirmations };
    },
  };
}
