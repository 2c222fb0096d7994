import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { releaseFileNames } from '../../scripts/release/names.ts';
import { NOTICES_FILE, packageFolderOf } from '../../scripts/release/third-party-notices.ts';
import { REPO, run } from './copy-checkout.ts';

const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
};
const names = releaseFileNames(version);
const release = (file: string) => join(REPO, 'release', file);

async function installed(name: string): Promise<{ version: string; license: string }> {
  return JSON.parse(await readFile(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
  };
}

const fromZip = async (file: string) =>
  strFromU8(unzipSync(await readFile(release(file)))[NOTICES_FILE]!);
const fromTarball = async () =>
  (await run('tar', ['-xzOf', release(names.npm), `package/${NOTICES_FILE}`])).stdout;

describe('package folder of a bundled module id', () => {
  it('takes the innermost node_modules package, scoped or not, and ignores queries', () => {
    expect(packageFolderOf('/r/node_modules/@noble/curves/esm/secp256k1.js', '/r')).toBe(
      '/r/node_modules/@noble/curves',
    );
    expect(packageFolderOf('/r/node_modules/a/node_modules/ms/index.js?commonjs-es', '/r')).toBe(
      '/r/node_modules/a/node_modules/ms',
    );
    expect(packageFolderOf('\0rolldown/runtime.js', '/r')).toBe('/r/node_modules/rolldown');
    expect(packageFolderOf('/r/src/core/wallet/vault.ts', '/r')).toBeUndefined();
  });
});

// In the archives users install: what the bundler actually took in, with licenses.
describe.each([
  ['Chrome Web Store zip', () => fromZip(names.chrome), false],
  ['Firefox package', () => fromZip(names.firefox), false],
  ['npm package', fromTarball, true],
])('%s', (_label, notices, bundlesNodeOnly) => {
  it('lists bundled packages at their installed versions, with license texts', async () => {
    const text = await notices();
    for (const name of ['@noble/curves', 'libp2p', '@libp2p/crypto']) {
      const pkg = await installed(name);
      expect(text).toContain(`\n${name} ${pkg.version}\n  License: ${pkg.license}\n`);
    }
    const nobleLicense = await readFile(join(REPO, 'node_modules/@noble/curves/LICENSE'), 'utf8');
    expect(text).toContain(nobleLicense.replace(/\r\n?/g, '\n').trim());
    expect(text).not.toContain('UNDECLARED');
    // Paths of the machine that built it never show.
    expect(text).not.toContain(REPO);
  });

  it('lists only what was bundled, not every dependency', async () => {
    const text = await notices();
    // ws is the relay's WebSocket server (Node only); eslint is a development tool.
    expect(text.includes(`\nws ${(await installed('ws')).version}\n`)).toBe(bundlesNodeOnly);
    expect(text).not.toMatch(/\neslint /);
  });
});
