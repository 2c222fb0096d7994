#!/usr/bin/env node
/**
 * `npm run devnet [-- --port 7321] [--block-interval 10]`: a local regtest chain with a
 * Chronik-compatible API and a faucet, on 127.0.0.1 only. Prints one JSON line once listening.
 */
import { parseArgs } from 'node:util';
import { startDevnet } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7321' },
    'block-interval': { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm run devnet -- [--port 7321] [--block-interval SECONDS]

Endpoints (all on http://127.0.0.1:PORT):
  Chronik subset   GET /blockchain-info, /block/:id, /blocks/:a/:b, /tx/:txid,
                   /script/:type/:payload/{utxos,history}; POST /broadcast-tx(s),
                   /validate-utxos; WebSocket /ws
  Faucet           POST /faucet {"address":"lotusR…","sats":"1000000000","mine":false}
  Blocks           POST /mine {"blocks":1}
  Info             GET /devnet`);
  process.exit(0);
}

const port = Number(values.port);
const interval = Number(values['block-interval']);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !(interval >= 0)) {
  console.error('Invalid --port or --block-interval');
  process.exit(2);
}

const devnet = await startDevnet({ port, blockIntervalMs: interval * 1000 });
console.log(
  JSON.stringify({
    url: devnet.url,
    network: devnet.chain.network.name,
    tipHeight: devnet.chain.tip.height,
    faucetAddress: devnet.faucet.address,
  }),
);

const stop = () => {
  devnet.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
