#!/usr/bin/env node
/**
 * `petal-relay` / `npm run relay`: run a Petal relay/bootstrap node.
 *
 *   --host 127.0.0.1        interface to listen on
 *   --port 4003             WebSocket port (0 = any free port)
 *   --key-file PATH         persistent identity (created on first run; default .petal-relay/key)
 *   --tls-cert PEM --tls-key PEM   serve wss directly (otherwise plain ws, e.g. behind a proxy)
 *   --announce MULTIADDR    address to advertise instead (repeatable)
 *   --max-reservations N    circuit relay slots (default 256)
 *   --health-port N         HTTP GET /health (default: port + 1; -1 disables)
 *   --stun-port N           UDP STUN responder for WebRTC (default: the WebSocket port; -1 disables)
 *   --bootstrap MULTIADDR   a relay to join the network through (repeatable; replaces the defaults)
 *   --network NAME          mainnet|testnet|regtest: whose default relay list to bootstrap from
 *                           when no --bootstrap is given (default mainnet; src/core/network/default-relays.ts)
 *   --standalone            join no network (ignore the default list)
 *
 * Prints one JSON line {peerId, multiaddrs, health, stun} once listening; stops cleanly on SIGINT/SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import { parseCommandLine } from '../cli/args.ts';
import { NETWORKS, type NetworkName } from '../core/chain/network.ts';
import { DEFAULT_RELAYS } from '../core/network/default-relays.ts';
import { parseBootstrapAddress } from './federation.ts';
import { type RunningRelay, startRelay } from './start.ts';

const USAGE = `Usage: petal-relay [options]

  --host ADDR              interface to listen on (default 127.0.0.1)
  --port N                 WebSocket port (default 4003; 0 = any free port)
  --key-file PATH          persistent identity, created on first run (default .petal-relay/key)
  --tls-cert PEM --tls-key PEM
                           serve wss directly (otherwise plain ws, e.g. behind a TLS proxy)
  --announce MULTIADDR     address to advertise instead of the listening ones (repeatable)
  --max-reservations N     circuit relay slots (default 256)
  --health-port N          HTTP GET /health (default: port + 1; -1 disables)
  --stun-port N            UDP STUN responder (default: the WebSocket port; -1 disables)
  --bootstrap MULTIADDR    a relay to join the network through (repeatable; replaces the defaults)
  --network NAME           mainnet|testnet|regtest: whose default relay list to bootstrap from
                           when no --bootstrap is given (default mainnet)
  --standalone             join no network (ignore the default list)
  -h, --help               show this help

Prints one JSON line {peerId, multiaddrs, health, stun} once listening; stops on SIGINT/SIGTERM.
Running a relay: docs/OPERATORS.md.`;

const { values } = parseCommandLine(USAGE, {
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '4003' },
    'key-file': { type: 'string', default: '.petal-relay/key' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    announce: { type: 'string', multiple: true },
    'max-reservations': { type: 'string', default: '256' },
    'health-port': { type: 'string' },
    'stun-port': { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    network: { type: 'string', default: 'mainnet' },
    standalone: { type: 'boolean', default: false },
  },
});

function intOption(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const port = intOption('port', values.port, 0);
const healthPort = intOption(
  'health-port',
  values['health-port'] ?? String(port === 0 ? 0 : port + 1),
  -1,
);
const stunPort = intOption('stun-port', values['stun-port'] ?? String(port), -1);
if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
  console.error('--tls-cert and --tls-key go together');
  process.exit(2);
}
const tls =
  values['tls-cert'] && values['tls-key']
    ? {
        cert: await readFile(values['tls-cert'], 'utf8'),
        key: await readFile(values['tls-key'], 'utf8'),
      }
    : undefined;

if (!Object.hasOwn(NETWORKS, values.network)) {
  console.error(`--network must be one of ${Object.keys(NETWORKS).join(', ')}`);
  process.exit(2);
}
if (values.standalone && values.bootstrap) {
  console.error('--standalone and --bootstrap exclude each other');
  process.exit(2);
}
const bootstrap = values.standalone
  ? []
  : (values.bootstrap ?? [...DEFAULT_RELAYS[values.network as NetworkName]]);
for (const address of bootstrap) {
  try {
    parseBootstrapAddress(address);
  } catch (err) {
    console.error(`--bootstrap: ${(err as Error).message}`);
    process.exit(2);
  }
}

// Handlers go in before startup and before the "ready" line: a supervisor may signal as soon as
// it reads that line, and until a handler exists SIGTERM's default action kills the process
// without a clean stop.
let relay: RunningRelay | undefined;
let stopRequested = false;

function shutdown(): void {
  if (!relay) return; // still starting: shut down as soon as startup finishes
  const running = relay;
  relay = undefined;
  running.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('Relay did not stop cleanly:', err);
      process.exit(1);
    },
  );
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopRequested = true;
    shutdown();
  });
}

relay = await startRelay({
  host: values.host,
  port,
  keyFile: values['key-file'],
  maxReservations: intOption('max-reservations', values['max-reservations'], 1),
  ...(tls ? { tls } : {}),
  ...(values.announce ? { announce: values.announce } : {}),
  ...(healthPort >= 0 ? { healthPort } : {}),
  ...(stunPort >= 0 ? { stunPort } : {}),
  bootstrap,
  federation: { log: (message) => console.error(message) },
});
console.log(
  JSON.stringify({
    peerId: relay.peerId,
    multiaddrs: relay.multiaddrs,
    health: relay.healthUrl,
    stun: relay.stunUrl,
  }),
);
if (stopRequested) shutdown();
