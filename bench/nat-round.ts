/**
 * bench:network's NAT round: 2-of-2 vault spends between browsers in separate homes behind real
 * NAT routers (test/e2e/netns.ts), each home's link to the internet 50 ms slower, once over a
 * direct WebRTC link (two port-preserving NATs) and once over the relay (UDP blocked at one
 * home), beside the same 2-of-2 round on loopback measured in the same run.
 *
 * The delay: every packet leaving a home's router for the internet waits 50 ms, what
 * `tc qdisc add dev wan root netem delay 50ms` on the router does. This VM's kernel has no
 * netem, so an iptables NFQUEUE rule hands those packets to bench/link-delay.c, which accepts
 * each one 50 ms after it arrived. Home ↔ relay round trips take 50 ms more, home ↔ home 100 ms
 * more (either path: the relay sits on the internet side with no delay of its own).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { hexToBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { encodeAddress, p2pkhScript, regtest } from '../src/core/chain/index.ts';
import type { ConnectionInfo, NetworkStatus, SessionInfo } from '../src/core/rpc/index.ts';
import type { VaultInfo } from '../src/core/rpc/index.ts';
import { createMnemonic } from '../src/core/wallet/keys.ts';
import { createVault, encodeVaultDescriptor } from '../src/core/wallet/vault.ts';
import {
  CHROMIUM,
  EXTENSION_DIR,
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
} from '../test/e2e/harness.ts';
import { type Home, PUBLIC_ADDRESS, buildInternet, canBuildInternet } from '../test/e2e/netns.ts';
import { until } from '../test/support/until.ts';

const ROOT = resolve(import.meta.dirname, '..');
export const HOME_LINK_DELAY_MS = 50;
const QUEUE = 1;

export type Report = (name: string, ms: number, target: string) => void;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const quiet = () => new Promise((done) => setTimeout(done, 1_000));

/** A wallet in a browser: its page, for router requests. */
interface Wallet {
  page: Page;
  peerId: string;
}

/** Imports a fresh wallet on regtest at `chronikUrl` and joins `relays`. */
async function openWallet(page: Page, chronikUrl: string, relays: string[]): Promise<Wallet> {
  await callExtension(page, 'petal_walletSettings', { network: 'regtest', chronikUrl });
  await callExtension(page, 'petal_walletImport', {
    password: 'bench nat password',
    mnemonic: createMnemonic(12),
  });
  const status = await callExtension<NetworkStatus>(page, 'petal_connectNetwork', { relays });
  return { page, peerId: status.peerId as string };
}

/**
 * Forms a 2-of-2 vault of `a` and `b`, funds it once per run, and times `runs` spends from b's
 * approval (the last one: a proposed) until both held the final signature, and until both saw
 * the session completed. Each wallet stamps those moments itself (same machine, same clock).
 */
async function twoOfTwo(
  a: Wallet,
  b: Wallet,
  devnetUrl: string,
  runs: number,
): Promise<{ final: number; completed: number }> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${devnetUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  const keys = await Promise.all(
    [a, b].map(async (w) =>
      hexToBytes(
        (await callExtension<{ memberKey: string }>(w.page, 'petal_vaultMemberKey')).memberKey,
      ),
    ),
  );
  const descriptor = encodeVaultDescriptor(createVault(keys, regtest, 'bench 2-of-2'));
  const [vault] = await Promise.all(
    [a, b].map((w) => callExtension<VaultInfo>(w.page, 'petal_vaultAdd', { descriptor })),
  );
  for (let i = 0; i < runs; i++)
    await post('/faucet', { address: (vault as VaultInfo).address, sats: '20000000' });
  await post('/mine', {});
  const payee = encodeAddress(p2pkhScript(new Uint8Array(20).fill(9)), regtest);
  const list = (w: Wallet) => callExtension<SessionInfo[]>(w.page, 'petal_sessionList');
  const final: number[] = [];
  const completed: number[] = [];
  for (let run = 0; run < runs; run++) {
    // Retried until the proposer's wallet has seen the funding (its chain view lags a little).
    const view = await until(
      () =>
        callExtension<SessionInfo>(a.page, 'petal_vaultPropose', {
          vaultId: (vault as VaultInfo).id,
          to: payee,
          sats: String(1_000_000 + run),
        }).catch(() => undefined),
      30_000,
      500,
    );
    await until(async () => (await list(b)).some((s) => s.id === view.id), 60_000, 250);
    await quiet();
    const start = Date.now();
    await callExtension(b.page, 'petal_sessionApprove', { id: view.id });
    const views = await until(
      async () => {
        const both = await Promise.all([a, b].map(list));
        const views = both.map((l) => l.find((s) => s.id === view.id));
        return views.every((v) => v?.phase === 'completed') && (views as SessionInfo[]);
      },
      60_000,
      250,
    );
    final.push(Math.max(...views.map((v) => v.finalizedAt ?? v.endedAt!)) - start);
    completed.push(Math.max(...views.map((v) => v.endedAt!)) - start);
    await post('/mine', {});
  }
  return { final: median(final), completed: median(completed) };
}

/** The links `from` holds to `to`, as its own status reports them. */
async function linksTo(from: Wallet, to: Wallet): Promise<ConnectionInfo[]> {
  const status = await callExtension<NetworkStatus>(from.page, 'petal_getNetworkStatus');
  return status.connections.filter((c) => c.peerId === to.peerId);
}

/** Starts a Node entry point inside a namespace; resolves with the JSON line it prints. */
async function startIn(ns: string, script: string, args: string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(ROOT, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await firstLine(child, (line) => line.startsWith('{'), script);
  return { child, ready: JSON.parse(ready) as Record<string, unknown> };
}

function firstLine(child: ChildProcess, match: (line: string) => boolean, what: string) {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start`)), 30_000);
    child.once('exit', (code) => fail(new Error(`${what} exited with ${code}`)));
    lines.on('line', (line) => {
      if (!match(line)) return;
      clearTimeout(timer);
      done(line);
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

/** Builds bench/link-delay.c; undefined (with the reason printed) when it cannot be built. */
function buildLinkDelay(dir: string): string | undefined {
  const out = join(dir, 'link-delay');
  try {
    execFileSync('cc', ['-O2', '-o', out, join(ROOT, 'bench/link-delay.c'), '-lnetfilter_queue'], {
      stdio: 'pipe',
    });
    return out;
  } catch (err) {
    console.log(
      `NAT round skipped: bench/link-delay.c did not build (needs cc and libnetfilter-queue-dev): ${(err as Error).message.split('\n')[0]}`,
    );
    return undefined;
  }
}

/** The loopback reference: the same 2-of-2 round, two browsers and the relay on 127.0.0.1. */
export async function loopbackTwoOfTwo(
  relayAddrs: string[],
  devnetUrl: string,
  runs: number,
  report: Report,
): Promise<number> {
  const exts = await Promise.all([0, 1].map(() => launchExtension()));
  try {
    const pages = await Promise.all(exts.map((e) => extensionPage(e)));
    const [a, b] = await Promise.all(pages.map((p) => openWallet(p, devnetUrl, relayAddrs)));
    const { final, completed } = await twoOfTwo(a as Wallet, b as Wallet, devnetUrl, runs);
    report('2-of-2 browsers, loopback: last approval → final signature', final, '—');
    report('2-of-2 browsers, loopback: last approval → completed', completed, '—');
    return final;
  } finally {
    await Promise.all(exts.map((e) => e.close()));
  }
}

/**
 * The NAT round. Skipped, with the reason printed, where namespaces cannot be built (not root,
 * no `ip`/`iptables`) or the delay helper cannot be compiled.
 */
export async function natTwoOfTwo(runs: number, report: Report, loopbackMs: number) {
  if (!(await canBuildInternet())) {
    console.log('NAT round skipped: needs root, ip and iptables (test/e2e/netns.ts)');
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'petal-bench-nat-'));
  const children: ChildProcess[] = [];
  const exts: LaunchedExtension[] = [];
  let internet: Awaited<ReturnType<typeof buildInternet>> | undefined;
  try {
    const linkDelay = buildLinkDelay(work);
    if (!linkDelay) return;
    internet = await buildInternet(
      [
        { name: 'alice', nat: 'cone' },
        { name: 'bob', nat: 'cone' },
        { name: 'carol', nat: 'udp-blocked' },
      ],
      CHROMIUM,
    );
    for (const home of internet.homes) {
      // --queue-bypass: should the helper die, packets pass undelayed instead of being dropped.
      await internet.exec(
        home.router,
        ...['iptables', '-t', 'mangle', '-A', 'POSTROUTING', '-o', 'wan'],
        ...['-j', 'NFQUEUE', '--queue-num', String(QUEUE), '--queue-bypass'],
      );
      const delay = spawn(
        'ip',
        ['netns', 'exec', home.router, linkDelay, String(QUEUE), String(HOME_LINK_DELAY_MS)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(delay);
      await firstLine(delay, (line) => line === 'ready', 'link-delay');
    }
    const extension = join(work, 'extension');
    await cp(EXTENSION_DIR, extension, { recursive: true });
    const relay = await startIn(internet.publicNs, 'src/relay/main.ts', [
      ...['--host', '0.0.0.0', '--port', '4003', '--health-port=-1', '--standalone'],
      ...['--key-file', join(work, 'relay-key')],
    ]);
    children.push(relay.child);
    const relayAddr = (relay.ready.multiaddrs as string[]).find((a) =>
      a.startsWith(`/ip4/${PUBLIC_ADDRESS}/`),
    ) as string;
    const devnet = await startIn(internet.publicNs, 'src/devnet/main.ts', [
      ...['--host', PUBLIC_ADDRESS, '--port', '0'],
    ]);
    children.push(devnet.child);
    const devnetUrl = devnet.ready.url as string;

    // The delay is really there: a TCP handshake from a home to the relay takes one round trip.
    const rtt = await internet.exec(
      internet.homes[0]!.ns,
      process.execPath,
      '-e',
      `const net = require('node:net'); const times = [];
       const one = () => new Promise((done) => { const t = performance.now();
         const s = net.connect(4003, '${PUBLIC_ADDRESS}', () => { times.push(performance.now() - t); s.destroy(); done(); }); });
       (async () => { for (let i = 0; i < 5; i++) await one();
         console.log(times.sort((a, b) => a - b)[2].toFixed(1)); })();`,
    );
    report('home → relay TCP handshake (one round trip)', Number(rtt.trim()), '≈ 50 ms');

    const enter = async (home: Home) => {
      const ext = await launchExtension(extension, { executablePath: home.chromium });
      exts.push(ext);
      return openWallet(await extensionPage(ext), devnetUrl, [relayAddr]);
    };
    const homes = internet.homes as [Home, Home, Home];
    const a = await enter(homes[0]);
    const b = await enter(homes[1]);
    const c = await enter(homes[2]);

    // Direct: bring the WebRTC link up first (as nat.test.ts does), so every round can use it.
    const bobWebRtc = await until(async () => {
      const s = await callExtension<NetworkStatus>(b.page, 'petal_getNetworkStatus');
      return s.multiaddrs.find((addr) => addr.includes('/p2p-circuit/webrtc'));
    }, 30_000);
    await until(
      () =>
        callExtension<ConnectionInfo>(
          a.page,
          'petal_networkDial',
          { multiaddr: bobWebRtc },
          'offscreen',
        ).catch(() => undefined),
      30_000,
      500,
    );
    const direct = await twoOfTwo(a, b, devnetUrl, runs);
    const ab = await linksTo(a, b);
    const wasDirect = ab.some((l) => l.kind === 'webrtc' && l.direct);
    const d = `2-of-2 NAT +${HOME_LINK_DELAY_MS} ms/home, ${wasDirect ? 'direct WebRTC' : 'NOT direct (!)'}`;
    report(`${d}: → final signature`, direct.final, '—');
    report(`${d}: → completed`, direct.completed, '—');

    const relayed = await twoOfTwo(a, c, devnetUrl, runs);
    const ac = await linksTo(a, c);
    const wasRelayed = !ac.some((l) => l.direct) && ac.some((l) => l.kind === 'relayed');
    const r = `2-of-2 NAT +${HOME_LINK_DELAY_MS} ms/home, ${wasRelayed ? 'relayed (UDP blocked)' : 'NOT relayed (!)'}`;
    report(`${r}: → final signature`, relayed.final, '—');
    report(`${r}: → completed`, relayed.completed, '—');
    console.log(
      `NAT round vs loopback (final signature): direct ${(direct.final / loopbackMs).toFixed(2)}×, ` +
        `relayed ${(relayed.final / loopbackMs).toFixed(2)}× the loopback time`,
    );
  } finally {
    await Promise.all(exts.map((e) => e.close().catch(() => undefined)));
    await Promise.all(children.map(stop));
    await internet?.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

// `node bench/nat-round.ts`: these rows alone, with their own relay and devnet on loopback.
if (import.meta.main) {
  const { startLocalRelay } = await import('../test/support/local-relay.ts');
  const { startDevnet } = await import('../src/devnet/server.ts');
  const [relay, devnet] = await Promise.all([startLocalRelay(), startDevnet({ port: 0 })]);
  const report: Report = (name, ms, target) =>
    console.log(`${name.padEnd(60)} ${ms.toFixed(1).padStart(9)} ms   target ${target}`);
  console.log(
    `Petal NAT round — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  );
  try {
    const loopback = await loopbackTwoOfTwo(relay.multiaddrs, devnet.url, 5, report);
    await natTwoOfTwo(5, report, loopback);
  } finally {
    await Promise.all([relay.stop(), devnet.close()]);
  }
  process.exit(0);
}
