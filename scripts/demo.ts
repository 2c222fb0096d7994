/**
 * `npm run demo [-- --headed] [-- --browsers N]`: the live demo. Builds the extension if needed,
 * starts a local relay, launches Chromium instances with Petal, and connects their P2P nodes
 * directly over WebRTC, printing every step with its timing and the connection types between
 * browsers. (Wallet creation, vault formation and a signing round join as those features land.)
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startRelay } from '../src/relay/start.ts';
import type { ConnectionInfo, NetworkStatus } from '../src/core/rpc/index.ts';
import { callExtension, extensionPage, launchExtension } from '../test/e2e/harness.ts';

const { values } = parseArgs({
  options: {
    headed: { type: 'boolean', default: false },
    browsers: { type: 'string', default: '3' },
  },
});
const count = Number(values.browsers);
if (!Number.isInteger(count) || count < 2 || count > 10)
  throw new Error('--browsers must be 2..10');

const t0 = performance.now();
const step = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await work();
  const ms = Math.round(performance.now() - started);
  console.log(`${`[${Math.round(performance.now() - t0)} ms]`.padEnd(11)} ${label} (${ms} ms)`);
  return result;
};

if (!existsSync(resolve('extension/manifest.json'))) {
  await step('build extension', async () =>
    execFileSync('npm', ['run', 'build'], { stdio: 'ignore' }),
  );
}
const relay = await step('start local relay', () =>
  startRelay({ host: '127.0.0.1', port: 0, healthPort: 0 }),
);
console.log(`           relay ${relay.multiaddrs[0]}`);

const names = [
  'Alice',
  'Bob',
  'Carol',
  'Dave',
  'Erin',
  'Frank',
  'Grace',
  'Heidi',
  'Ivan',
  'Judy',
].slice(0, count);
const browsers = await step(`launch ${count} Chromium instances with Petal`, () =>
  Promise.all(names.map(() => launchExtension(undefined, { headless: !values.headed }))),
);
const pages = await Promise.all(browsers.map((b) => extensionPage(b)));

const statuses = await step(
  'start each P2P node in its offscreen document and reserve on the relay',
  () =>
    Promise.all(
      pages.map((page) =>
        callExtension<NetworkStatus>(page, 'petal_connectNetwork', { relays: relay.multiaddrs }),
      ),
    ),
);
const webrtcAddr = async (i: number) => {
  for (;;) {
    const s = await callExtension<NetworkStatus>(pages[i]!, 'petal_getNetworkStatus', {});
    const addr = s.multiaddrs.find((m) => m.includes('/p2p-circuit/webrtc'));
    if (addr) return addr;
    await new Promise((done) => setTimeout(done, 50));
  }
};
const addrs = await step('wait for WebRTC-dialable addresses', () =>
  Promise.all(names.map((_, i) => webrtcAddr(i))),
);

await step('connect every pair of browsers', async () => {
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      const link = await callExtension<ConnectionInfo>(
        pages[i]!,
        'petal_networkDial',
        { multiaddr: addrs[j] },
        'offscreen',
      );
      console.log(
        `           ${names[i]} → ${names[j]}: ${link.kind}${link.limited ? ' (limited, relayed)' : ' (direct)'}`,
      );
    }
  }
});
statuses.forEach((s, i) => console.log(`           ${names[i]} is ${s.peerId}`));

console.log(
  `Done in ${Math.round(performance.now() - t0)} ms.${values.headed ? ' Close the browsers to exit.' : ''}`,
);
if (values.headed)
  await Promise.all(browsers.map((b) => new Promise((done) => b.context.on('close', done))));
await Promise.all(browsers.map((b) => b.close()));
await relay.stop();
