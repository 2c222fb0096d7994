import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type {
  ConnectionInfo,
  NetworkStatus,
  SessionInfo,
  VaultInfo,
} from '../../src/core/rpc/index.ts';
import { createMnemonic } from '../../src/core/wallet/keys.ts';
import { createVault, encodeVaultDescriptor } from '../../src/core/wallet/vault.ts';
import { until } from '../support/until.ts';
import {
  CHROMIUM,
  EXTENSION_DIR,
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
} from './harness.ts';
import {
  type Home,
  type Internet,
  PUBLIC_ADDRESS,
  buildInternet,
  canBuildInternet,
} from './netns.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PASSWORD = 'nat e2e password';
const runnable = await canBuildInternet();

/** Starts a Node entry point inside a namespace and resolves with the JSON line it prints. */
async function startIn(
  ns: string,
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(ROOT, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<Record<string, unknown>>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${script} did not start`)), 30_000);
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      done(JSON.parse(line) as Record<string, unknown>);
    });
  });
  return { child, ready };
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

interface Member {
  home: Home;
  ext: LaunchedExtension;
  page: Page;
  peerId: string;
}

// Two homes, each behind its own router doing NAT, meet through a relay on the "public" network.
// Where the NATs allow hole punching the spend runs over a direct WebRTC link, as the browsers'
// own ICE stats show; where they do not (symmetric NAT, UDP blocked), it completes over the relay
// and the status says so. Needs root, `ip` and `iptables` (CI installs them).
describe.skipIf(!runnable && !process.env.CI)('vault spends across real NAT', () => {
  let internet: Internet;
  let relay: ChildProcess | undefined;
  let devnet: ChildProcess | undefined;
  let relayAddr: string;
  let stunUrl: string;
  let devnetUrl: string;
  let keyDir: string;
  let extensionCopy: string;
  let alice: Member;
  const others: Member[] = [];

  async function enter(home: Home): Promise<Member> {
    const ext = await launchExtension(extensionCopy, { executablePath: home.chromium });
    const page = await extensionPage(ext);
    await callExtension(page, 'petal_walletSettings', {
      network: 'regtest',
      chronikUrl: devnetUrl,
    });
    await callExtension(page, 'petal_walletImport', {
      password: PASSWORD,
      mnemonic: createMnemonic(12),
    });
    const status = await callExtension<NetworkStatus>(page, 'petal_connectNetwork', {
      relays: [relayAddr],
    });
    return { home, ext, page, peerId: status.peerId as string };
  }

  async function post(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${devnetUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.ok).toBe(true);
  }

  /** Forms a 2-of-2 vault of Alice and `bob`, funds it, and has Bob approve Alice's spend. */
  async function spend(bob: Member): Promise<SessionInfo> {
    const keys = await Promise.all(
      [alice, bob].map(async (m) =>
        hexToBytes(
          (await callExtension<{ memberKey: string }>(m.page, 'petal_vaultMemberKey')).memberKey,
        ),
      ),
    );
    const descriptor = encodeVaultDescriptor(createVault(keys, regtest, `NAT ${bob.home.name}`));
    const [vault] = await Promise.all(
      [alice, bob].map((m) => callExtension<VaultInfo>(m.page, 'petal_vaultAdd', { descriptor })),
    );
    await post('/faucet', { address: (vault as VaultInfo).address, sats: '50000000', mine: true });
    const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);
    const proposed = await until(
      () =>
        callExtension<SessionInfo>(alice.page, 'petal_vaultPropose', {
          vaultId: (vault as VaultInfo).id,
          to: payee,
          sats: '12000000',
        }).catch(() => undefined),
      30_000,
      500,
    );
    await until(
      async () => {
        const list = await callExtension<SessionInfo[]>(bob.page, 'petal_sessionList');
        return list.some((s) => s.id === proposed.id);
      },
      45_000,
      250,
    );
    await callExtension(bob.page, 'petal_sessionApprove', { id: proposed.id });
    return until(
      async () => {
        const list = await callExtension<SessionInfo[]>(alice.page, 'petal_sessionList');
        const s = list.find((x) => x.id === proposed.id);
        return s?.phase === 'completed' ? s : undefined;
      },
      60_000,
      250,
    );
  }

  async function linksTo(from: Member, to: Member): Promise<ConnectionInfo[]> {
    const status = await callExtension<NetworkStatus>(from.page, 'petal_getNetworkStatus');
    return status.connections.filter((c) => c.peerId === to.peerId);
  }

  beforeAll(async () => {
    internet = await buildInternet(
      [
        { name: 'alice', nat: 'cone' },
        { name: 'bob', nat: 'cone' },
        { name: 'carol', nat: 'symmetric' },
        { name: 'dave', nat: 'udp-blocked' },
      ],
      CHROMIUM,
    );
    keyDir = await mkdtemp(join(tmpdir(), 'petal-nat-relay-'));
    // Its own copy of the built extension: a rebuild meanwhile must not pull it from under us.
    extensionCopy = join(keyDir, 'extension');
    await cp(EXTENSION_DIR, extensionCopy, { recursive: true });
    // Bound to 0.0.0.0, as a public relay is: the STUN address it hands out must still be real.
    const started = await startIn(internet.publicNs, 'src/relay/main.ts', [
      ...['--host', '0.0.0.0', '--port', '4003', '--health-port=-1', '--standalone'],
      ...['--key-file', join(keyDir, 'key')],
    ]);
    relay = started.child;
    const addrs = started.ready.multiaddrs as string[];
    relayAddr = addrs.find((a) => a.startsWith(`/ip4/${PUBLIC_ADDRESS}/`)) as string;
    stunUrl = started.ready.stun as string;
    const chain = await startIn(internet.publicNs, 'src/devnet/main.ts', [
      ...['--host', PUBLIC_ADDRESS, '--port', '0'],
    ]);
    devnet = chain.child;
    devnetUrl = chain.ready.url as string;
    alice = await enter(internet.homes[0] as Home);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([alice?.ext.close(), ...others.map((m) => m.ext.close())]);
    await Promise.all([stop(relay), stop(devnet)]);
    await internet?.destroy();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('the relay hands out a reachable STUN address, never the 0.0.0.0 it is bound to', async () => {
    expect(relayAddr).toBeDefined();
    expect(stunUrl).toMatch(/^stun:\d+\.\d+\.\d+\.\d+:4003$/);
    expect(stunUrl).not.toContain('0.0.0.0');
    const status = await callExtension<NetworkStatus>(alice.page, 'petal_getNetworkStatus');
    // The browser uses the STUN service at the address it reached the relay at, and nothing else.
    expect(status.iceServers?.[0]).toBe(`stun:${PUBLIC_ADDRESS}:4003`);
    expect(status.iceServers?.every((u) => u.endsWith(':4003'))).toBe(true);
  });

  it('behind two ordinary NATs, the spend runs over a direct WebRTC link (ICE connected)', async () => {
    const bob = await enter(internet.homes[1] as Home);
    others.push(bob);
    // Bring the direct link up first, so the whole signing round can use it.
    const bobStatus = await callExtension<NetworkStatus>(bob.page, 'petal_getNetworkStatus');
    const bobWebRtc = await until(async () => {
      const s = await callExtension<NetworkStatus>(bob.page, 'petal_getNetworkStatus');
      return s.multiaddrs.find((a) => a.includes('/p2p-circuit/webrtc'));
    }, 20_000);
    expect(bobStatus.peerId).toBe(bob.peerId);
    const dialled = await until(
      () =>
        callExtension<ConnectionInfo>(
          alice.page,
          'petal_networkDial',
          { multiaddr: bobWebRtc },
          'offscreen',
        ).catch(() => undefined),
      30_000,
      500,
    );
    expect(dialled).toMatchObject({ kind: 'webrtc', direct: true });
    // The browser's stats name the selected pair a moment after ICE connects (under load, later
    // than the dial's answer): ask until they do.
    const route = await until(
      async () =>
        (await linksTo(alice, bob)).find((c) => c.kind === 'webrtc' && c.direct && c.route)?.route,
      20_000,
      250,
    );
    // Through NAT, each side is reached at the address its router mapped (server- or
    // peer-reflexive), never a private host address.
    expect(route.local).toMatch(/^(srflx|prflx)$/);
    expect(route.remote).toMatch(/^(srflx|prflx)$/);
    expect(route.remoteAddress).toContain(bob.home.wanAddress);
    const before = route.bytesReceived ?? 0;

    const done = await spend(bob);
    expect(done.txid).toMatch(/^[0-9a-f]{64}$/);

    const links = await linksTo(alice, bob);
    const direct = links.find((c) => c.kind === 'webrtc' && c.direct);
    expect(direct?.ice).toMatch(/^(connected|completed)$/);
    // The signing round's frames arrived over that pair, not through the relay.
    expect(direct?.route?.bytesReceived ?? 0).toBeGreaterThan(before);
    const seenByBob = await linksTo(bob, alice);
    expect(seenByBob.some((c) => c.kind === 'webrtc' && c.direct)).toBe(true);
    await bob.ext.close();
    others.splice(others.indexOf(bob), 1);
  }, 180_000);

  for (const [index, nat] of [
    [2, 'symmetric NAT'],
    [3, 'UDP blocked'],
  ] as const) {
    it(`with ${nat} at one home, the spend completes over the relay and says so`, async () => {
      const peer = await enter(internet.homes[index] as Home);
      others.push(peer);
      const webrtc = await until(async () => {
        const s = await callExtension<NetworkStatus>(peer.page, 'petal_getNetworkStatus');
        return s.multiaddrs.find((a) => a.includes('/p2p-circuit/webrtc'));
      }, 20_000);
      // A direct link cannot come up: the dial fails, and neither side lists a phantom one.
      await expect(
        callExtension(alice.page, 'petal_networkDial', { multiaddr: webrtc }, 'offscreen'),
      ).rejects.toThrow();
      const done = await spend(peer);
      expect(done.txid).toMatch(/^[0-9a-f]{64}$/);
      for (const [from, to] of [
        [alice, peer],
        [peer, alice],
      ] as const) {
        const links = await linksTo(from, to);
        expect(links.some((c) => c.direct)).toBe(false);
        expect(links.some((c) => c.kind === 'relayed' && c.limited)).toBe(true);
        // A `/webrtc` entry, if any, is one whose ICE never connected: not counted as direct.
        for (const c of links.filter((l) => l.kind === 'webrtc'))
          expect(c.ice).not.toMatch(/^(connected|completed)$/);
      }
      await peer.ext.close();
      others.splice(others.indexOf(peer), 1);
    }, 180_000);
  }
});
