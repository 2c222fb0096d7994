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
    host: { type: 'string', default: '127.0.0.1' },
    'block-interval': { type: 'string', default: '0' },
    'replay-protection-time': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm run devnet -- [--port 7321] [--host 127.0.0.1] [--block-interval SECONDS]
                         [--replay-protection-time UNIX_SECONDS|past|future]

  --replay-protection-time  the node's -replayprotectionactivationtime: replay-protected
                            signatures are required once the tip's median time past reaches it
                            (default lotusd's regtest time, 1798074180); past / future = a day ago
                            / a day from now

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

const replayProtectionTime = parseSwitchTime(values['replay-protection-time']);
if (replayProtectionTime === null) {
  console.error('Invalid --replay-protection-time: give unix seconds, past or future');
  process.exit(2);
}

const devnet = await startDevnet({
  port,
  host: values.host,
  blockIntervalMs: interval * 1000,
  ...(replayProtectionTime !== undefined ? { replayProtectionTime } : {}),
});
console.log(
  JSON.stringify({
    url: devnet.url,
    network: devnet.chain.network.name,
    tipHeight: devnet.chain.tip.height,
    faucetAddress: devnet.faucet.address,
    replayProtectionTime: devnet.chain.replayProtectionTime,
    replayProtectionActive: devnet.chain.replayProtectionActive(),
  }),
);

const stop = () => {
  devnet.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

/** `past` / `future` are a day either side of now; a number is unix seconds; null = invalid. */
function parseSwitchTime(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  const now = Math.floor(Date.now() / 1000);
  if (value === 'past') return now - 86_400;
  if (value === 'future') return now + 86_400;
  return /^\d{1,12}$/.test(value) ? Number(value) : null;
}
