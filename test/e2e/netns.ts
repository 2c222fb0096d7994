/**
 * A small internet in Linux network namespaces, for tests that need real NAT (nat.test.ts):
 *
 *   root ns ──veth── public ns: bridge 198.18.0.1/24 (relay, devnet)
 *                      ├──veth── router-X ns (WAN 198.18.0.1N, iptables NAT) ──veth── home-X ns
 *                      └──veth── router-Y ns …                                     (192.168.N.2)
 *
 * The public side is one switched segment with one address, as the internet looks to a home:
 * a multi-homed public host would answer UDP (STUN) from whichever address routing picks, and a
 * NAT drops answers from an address it did not send to.
 * Each router masquerades its home behind its WAN address and drops unsolicited inbound packets,
 * as a household router does. Addresses come from 198.18.0.0/15 (RFC 2544, reserved for such
 * tests) so nothing collides with the machine's own networks. Needs root, `ip` and `iptables`.
 * Every namespace name carries a random tag, and `destroy()` removes them all, so a failed run
 * leaves nothing behind and two runs never meet.
 */
import { execFile as execFileCb } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

export const PUBLIC_ADDRESS = '198.18.0.1';

/** How a home's router treats UDP and maps ports. */
export type NatKind =
  /** Port-preserving masquerade, replies only from where we sent to: hole punching works. */
  | 'cone'
  /** A fresh random port per destination (`--random-fully`): the relay's STUN answer is useless. */
  | 'symmetric'
  /** No UDP leaves or enters the home at all: only TCP (the relay) works. */
  | 'udp-blocked';

export interface Home {
  name: string;
  /** The namespace the browser runs in. */
  ns: string;
  router: string;
  lanAddress: string;
  wanAddress: string;
  nat: NatKind;
  /** An executable that runs Chromium inside this home (for playwright's `executablePath`). */
  chromium: string;
}

export interface Internet {
  publicNs: string;
  homes: Home[];
  /** Runs a command inside a namespace. */
  exec(ns: string, ...command: string[]): Promise<string>;
  destroy(): Promise<void>;
}

async function run(...command: string[]): Promise<string> {
  const [file, ...args] = command;
  const { stdout } = await execFile(file as string, args);
  return stdout;
}

/** True when this machine can build the topology (root, with `ip` and `iptables`). */
export async function canBuildInternet(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run('ip', '-V');
    await run('iptables', '--version');
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the public network and one home per entry of `nats`. On any failure everything built so
 * far is removed before the error is thrown.
 */
export async function buildInternet(
  nats: { name: string; nat: NatKind }[],
  chromiumPath: string,
): Promise<Internet> {
  const tag = Math.random().toString(16).slice(2, 8);
  const created: string[] = [];
  const rootLink = `pt${tag}`; // the root side of the root↔public link (≤ 15 characters)
  const exec = (ns: string, ...command: string[]) => run('ip', 'netns', 'exec', ns, ...command);
  const addNs = async (name: string) => {
    await run('ip', 'netns', 'add', name);
    created.push(name);
    await run('ip', '-n', name, 'link', 'set', 'lo', 'up');
    return name;
  };
  const scripts: string[] = [];
  const destroy = async () => {
    await run('ip', 'link', 'del', rootLink).catch(() => undefined);
    for (const script of scripts.splice(0)) await rm(script, { force: true });
    for (const ns of created.splice(0).reverse())
      await run('ip', 'netns', 'del', ns).catch(() => undefined);
  };

  try {
    const publicNs = await addNs(`petal-${tag}-public`);
    await run('ip', '-n', publicNs, 'link', 'add', 'br0', 'type', 'bridge');
    await run('ip', '-n', publicNs, 'addr', 'add', `${PUBLIC_ADDRESS}/24`, 'dev', 'br0');
    await run('ip', '-n', publicNs, 'link', 'set', 'br0', 'up');
    // The test process (root namespace) reaches the public services over one point-to-point link.
    await run(
      'ip',
      'link',
      'add',
      rootLink,
      'type',
      'veth',
      'peer',
      'name',
      'root',
      'netns',
      publicNs,
    );
    await run('ip', 'addr', 'add', '198.19.0.2/30', 'dev', rootLink);
    await run('ip', 'link', 'set', rootLink, 'up');
    await run('ip', '-n', publicNs, 'addr', 'add', '198.19.0.1/30', 'dev', 'root');
    await run('ip', '-n', publicNs, 'link', 'set', 'root', 'up');
    await run('ip', 'route', 'add', `${PUBLIC_ADDRESS}/32`, 'via', '198.19.0.1', 'dev', rootLink);

    const homes: Home[] = [];
    for (const [i, { name, nat }] of nats.entries()) {
      const n = i + 1;
      const router = await addNs(`petal-${tag}-router-${name}`);
      const ns = await addNs(`petal-${tag}-home-${name}`);
      const wanAddress = `198.18.0.${10 + n}`;
      const lanAddress = `192.168.${n}.2`;
      // public switch ↔ router (WAN)
      await run(
        'ip',
        '-n',
        publicNs,
        'link',
        'add',
        `wan-${n}`,
        'type',
        'veth',
        'peer',
        'name',
        'wan',
        'netns',
        router,
      );
      await run('ip', '-n', publicNs, 'link', 'set', `wan-${n}`, 'master', 'br0', 'up');
      await run('ip', '-n', router, 'addr', 'add', `${wanAddress}/24`, 'dev', 'wan');
      await run('ip', '-n', router, 'link', 'set', 'wan', 'up');
      // router (LAN) ↔ home
      await run(
        'ip',
        '-n',
        router,
        'link',
        'add',
        'lan',
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      );
      await run('ip', '-n', router, 'addr', 'add', `192.168.${n}.1/24`, 'dev', 'lan');
      await run('ip', '-n', router, 'link', 'set', 'lan', 'up');
      await run('ip', '-n', ns, 'addr', 'add', `${lanAddress}/24`, 'dev', 'eth0');
      await run('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
      await run('ip', '-n', ns, 'route', 'add', 'default', 'via', `192.168.${n}.1`);
      await configureRouter(exec, router, nat);

      const chromium = join(tmpdir(), `petal-${tag}-chromium-${name}.sh`);
      scripts.push(chromium);
      await writeFile(chromium, `#!/bin/sh\nexec ip netns exec ${ns} ${chromiumPath} "$@"\n`);
      await chmod(chromium, 0o755);
      homes.push({ name, ns, router, lanAddress, wanAddress, nat, chromium });
    }
    return { publicNs, homes, exec, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

async function configureRouter(
  exec: (ns: string, ...command: string[]) => Promise<string>,
  router: string,
  nat: NatKind,
): Promise<void> {
  const ipt = (...args: string[]) => exec(router, 'iptables', ...args);
  await exec(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  if (nat === 'udp-blocked') await ipt('-A', 'FORWARD', '-p', 'udp', '-j', 'DROP');
  // Replies to what the home sent out come back in; nothing else does. Unsolicited packets die in
  // the filter table, before conntrack confirms an entry for them: a confirmed entry would take
  // the mapping the home's own reply needs, and the masquerade would move it to another port.
  await ipt(
    '-A',
    'INPUT',
    '-i',
    'wan',
    '-m',
    'conntrack',
    '--ctstate',
    'ESTABLISHED,RELATED',
    '-j',
    'ACCEPT',
  );
  await ipt('-A', 'INPUT', '-i', 'wan', '-j', 'DROP');
  await ipt('-A', 'FORWARD', '-i', 'lan', '-o', 'wan', '-j', 'ACCEPT');
  await ipt(
    '-A',
    'FORWARD',
    '-i',
    'wan',
    '-o',
    'lan',
    '-m',
    'conntrack',
    '--ctstate',
    'ESTABLISHED,RELATED',
    '-j',
    'ACCEPT',
  );
  await ipt('-P', 'FORWARD', 'DROP');
  await ipt(
    '-t',
    'nat',
    '-A',
    'POSTROUTING',
    '-o',
    'wan',
    '-j',
    'MASQUERADE',
    ...(nat === 'symmetric' ? ['--random-fully'] : []),
  );
}
