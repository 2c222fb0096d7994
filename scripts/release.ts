/**
 * `npm run release`: builds every file of a release into release/, from the sources alone.
 *
 *   petal-<version>-chrome.zip    Chrome Web Store package (Manifest V3)
 *   petal-<version>-firefox.xpi   Firefox package (Manifest V2, persistent background), lint-clean
 *   petal-node-<version>.tgz      npm package: the petal-relay and petal-cosigner programs
 *   (each archive carries THIRD-PARTY-NOTICES.txt: the bundled packages and their licenses)
 *   RELEASE-NOTES.md              the version's section of CHANGELOG.md
 *   SHA256SUMS                    hashes of the files above
 *
 * Every archive is reproducible: the same sources give the same bytes in any folder at any time
 * (test/release/reproducible.test.ts builds a second copy and compares).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { extensionBuilds } from '../vite.config.ts';
import type { BrowserTarget } from './manifest.ts';
import { releaseNotes } from './release/changelog.ts';
import { sha256Sums } from './release/checksums.ts';
import { lintFirefoxBuild } from './release/firefox-lint.ts';
import { packNodePackage } from './release/npm-package.ts';
import { releaseFileNames } from './release/names.ts';
import {
  NOTICES_FILE,
  collectBundledModules,
  thirdPartyNotices,
} from './release/third-party-notices.ts';
import { zipFolder } from './release/zip.ts';

// A release is a production build whatever the shell says: Vite builds for development when
// NODE_ENV is set otherwise (a test runner sets it to `test`), which changes the bytes.
process.env.NODE_ENV = 'production';

const root = resolve(import.meta.dirname, '..');
const releaseDir = join(root, 'release');
const started = performance.now();

const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
  version: string;
};
const names = releaseFileNames(version);
// Before building anything: a version without release notes is not ready to ship.
const notes = releaseNotes(await readFile(join(root, 'CHANGELOG.md'), 'utf8'), version);

warnIfDirty();
await rm(releaseDir, { recursive: true, force: true });
await mkdir(releaseDir, { recursive: true });
const work = await mkdtemp(join(tmpdir(), 'petal-release-'));
try {
  const extensionDir = (target: BrowserTarget) => join(work, target);
  for (const target of ['chromium', 'firefox'] as const) {
    const bundled = new Set<string>();
    for (const config of extensionBuilds(target, extensionDir(target))) {
      const plugins = [...(config.plugins ?? []), collectBundledModules(bundled)];
      await build({ ...config, plugins, mode: target });
    }
    const notices = await thirdPartyNotices(bundled, root, 'the Petal browser extension');
    await writeFile(join(extensionDir(target), NOTICES_FILE), notices);
  }
  await lintFirefoxBuild(extensionDir('firefox'));
  await writeFile(join(releaseDir, names.chrome), await zipFolder(extensionDir('chromium')));
  await writeFile(join(releaseDir, names.firefox), await zipFolder(extensionDir('firefox')));
} finally {
  await rm(work, { recursive: true, force: true });
}

const npmTarball = await packNodePackage(root, releaseDir);
if (npmTarball !== names.npm)
  throw new Error(`npm pack wrote ${npmTarball}, expected ${names.npm}`);
await writeFile(join(releaseDir, names.notes), notes);
const sums = await sha256Sums(releaseDir, [names.chrome, names.firefox, names.npm, names.notes]);
await writeFile(join(releaseDir, names.sums), sums);

process.stdout.write(sums);
console.log(`Release ${version} in release/ (${Math.round(performance.now() - started)} ms)`);

/** A release is meant to come from a commit; say so when the tree has uncommitted changes. */
function warnIfDirty(): void {
  try {
    const status = execFileSync('git', ['status', '--porcelain'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (status.trim()) console.warn('warning: the working tree has uncommitted changes');
  } catch {
    // not a git checkout (e.g. a source archive): nothing to compare against
  }
}
