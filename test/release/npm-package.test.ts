import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseFileNames } from '../../scripts/release/names.ts';
import { REPO, run } from './copy-checkout.ts';

const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
};
const tarball = join(REPO, 'release', releaseFileNames(version).npm);

/** The oldest Node the package supports (its `engines`), fetched from npm as the `node` package. */
const OLDEST_NODE = 22;

/** Environment whose `node` (what the programs' `#!/usr/bin/env node` finds) is in `binDir`. */
const withNode = (binDir: string) => ({ ...process.env, PATH: `${binDir}:${process.env.PATH}` });

// The relay and the cosigner as an operator gets them: the release's npm tarball installed into an
// empty folder outside the checkout, run by plain Node (no TypeScript flags): this test's Node 24,
// and the oldest supported Node, 22.
describe('npm package (petal-relay, petal-cosigner)', () => {
  let dir: string;
  const env = withNode(dirname(process.execPath));
  const bin = (name: string) => join(dir, 'node_modules/.bin', name);
  const runtimes = [
    { major: Number(process.versions.node.split('.')[0]), env: () => env },
    {
      major: OLDEST_NODE,
      env: () => withNode(join(dir, `node${OLDEST_NODE}/node_modules/.bin`)),
    },
  ];

  beforeAll(async () => {
    if (!existsSync(tarball)) throw new Error('Run `npm run release` first');
    dir = await mkdtemp(join(tmpdir(), 'petal-npm-install-'));
    await writeFile(join(dir, 'package.json'), '{ "private": true }\n');
    // node-datachannel's tarballs come from the npm cache (`npm ci` put them there); npm asks the
    // registry only for its package metadata.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: dir,
      env,
    });
    // The `node` package's install script fetches the platform's Node binary, also from npm.
    const oldest = join(dir, `node${OLDEST_NODE}`);
    await mkdir(oldest);
    await writeFile(
      join(oldest, 'package.json'),
      `${JSON.stringify({ private: true, allowScripts: { node: true } })}\n`,
    );
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', `node@${OLDEST_NODE}`],
      { cwd: oldest, env },
    );
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships the built programs and documents, not the sources or tests', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'package/dist/petal-relay.js',
        'package/dist/petal-cosigner.js',
        'package/package.json',
        'package/LICENSE',
        'package/docs/OPERATORS.md',
        'package/packaging/petal-relay.service',
        'package/npm-shrinkwrap.json',
      ]),
    );
    expect(files.filter((f) => /^package\/(src|test|scripts|node_modules)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  it('depends on nothing but node-datachannel, pinned by its shrinkwrap', async () => {
    const manifest = JSON.parse(
      await readFile(join(dir, 'node_modules/petal-node/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string>; bin: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['node-datachannel']);
    expect(Object.keys(manifest.bin).sort()).toEqual(['petal-cosigner', 'petal-relay']);
  });

  it('refuses an unknown option with exit code 2 and the usage, not a stack trace', async () => {
    const failure = await run(bin('petal-relay'), ['--no-such-option'], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain("Unknown option '--no-such-option'");
    expect(failure?.stderr).not.toContain('    at ');
  });

  describe.each(runtimes)('run by Node $major', ({ major, env: runtime }) => {
    it(`finds Node ${major} as \`node\` (what the programs' #! line runs)`, async () => {
      const { stdout } = await run('node', ['--version'], { env: runtime() });
      expect(stdout.trim()).toMatch(new RegExp(`^v${major}\\.`));
    });

    it('prints each program’s help', async () => {
      const relay = await run(bin('petal-relay'), ['--help'], { env: runtime() });
      expect(relay.stdout).toMatch(/^Usage: petal-relay/);
      expect(relay.stdout).toContain('--tls-cert');
      const cosigner = await run(bin('petal-cosigner'), ['--help'], { env: runtime() });
      expect(cosigner.stdout).toMatch(/^Usage: petal-cosigner init\|key\|run/);
    });

    it('creates a cosigner keystore and prints its member key (the bundled crypto works)', async () => {
      const { stdout } = await run(
        bin('petal-cosigner'),
        ['init', '--keystore', join(dir, `cosigner-${major}.json`), '--network', 'regtest'],
        { env: { ...runtime(), PETAL_COSIGNER_PASSWORD: 'correct horse battery' } },
      );
      const { memberKey, network } = JSON.parse(stdout) as { memberKey: string; network: string };
      expect(network).toBe('regtest');
      expect(memberKey).toMatch(/^0[23][0-9a-f]{64}$/);
      const again = await run(
        bin('petal-cosigner'),
        ['key', '--keystore', join(dir, `cosigner-${major}.json`)],
        { env: { ...runtime(), PETAL_COSIGNER_PASSWORD: 'correct horse battery' } },
      );
      expect(JSON.parse(again.stdout)).toEqual({ memberKey });
    });

    it('starts the relay on 127.0.0.1, answers /health, and stops cleanly on SIGTERM', async () => {
      const relay: ChildProcess = spawn(
        bin('petal-relay'),
        [
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--key-file',
          join(dir, `relay-key-${major}`),
          '--standalone',
        ],
        { env: runtime(), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise<number | null>((done) => relay.once('exit', done));
      try {
        const lines = createInterface({ input: relay.stdout! });
        const [line] = await Promise.race([
          once(lines, 'line') as Promise<[string]>,
          exited.then((code) => {
            throw new Error(`petal-relay exited with ${code} before listening`);
          }),
        ]);
        const ready = JSON.parse(line!) as { peerId: string; multiaddrs: string[]; health: string };
        expect(ready.multiaddrs[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\//);
        const health = (await (await fetch(ready.health)).json()) as {
          status: string;
          peerId: string;
        };
        expect(health).toMatchObject({ status: 'ok', peerId: ready.peerId });
      } finally {
        relay.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    });
  });
});
