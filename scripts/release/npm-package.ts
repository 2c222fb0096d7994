/**
 * The relay and the cosigner as an npm package any machine with Node ≥ 22 installs:
 * `npm install --global petal-node-<version>.tgz` gives `petal-relay` and `petal-cosigner`.
 *
 * The package is staged apart from the repository's package.json, whose dependencies are the
 * extension's build inputs. dist/ is self-contained (scripts/build-node.ts) except node-datachannel,
 * so the staged manifest depends on that one package, and its npm-shrinkwrap.json pins it (and its
 * own dependencies) to the versions and hashes of the repository's package-lock.json: an install
 * gets exactly the native code the release was tested with, or fails on a hash mismatch.
 */
import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NODE_RUNTIME_DEPENDENCIES, buildNodePrograms } from '../build-node.ts';
import { NOTICES_FILE } from './third-party-notices.ts';
import { listFiles } from './zip.ts';

export const NODE_PACKAGE_NAME = 'petal-node';

/** Shipped next to dist/: the operator's documents (package path → repository path). */
const DOCUMENTS: Record<string, string> = {
  'README.md': 'packaging/README.md',
  LICENSE: 'LICENSE',
  'CHANGELOG.md': 'CHANGELOG.md',
  'PRIVACY.md': 'PRIVACY.md',
  'SECURITY.md': 'SECURITY.md',
  'docs/OPERATORS.md': 'docs/OPERATORS.md',
  'docs/RELAYS.md': 'docs/RELAYS.md',
  'packaging/petal-relay.service': 'packaging/petal-relay.service',
};

const BIN = { 'petal-relay': 'dist/petal-relay.js', 'petal-cosigner': 'dist/petal-cosigner.js' };

interface LockEntry {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

/** Builds, stages and packs the package into `destDir`; returns the tarball's file name. */
export async function packNodePackage(root: string, destDir: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const stage = await mkdtemp(join(tmpdir(), 'petal-npm-stage-'));
  try {
    await writeFile(join(stage, NOTICES_FILE), await buildNodePrograms(join(stage, 'dist')));
    for (const [to, from] of Object.entries(DOCUMENTS)) {
      await mkdir(dirname(join(stage, to)), { recursive: true });
      await cp(join(root, from), join(stage, to));
    }
    const dependencies = Object.fromEntries(
      NODE_RUNTIME_DEPENDENCIES.map((name) => [name, lockEntry(lock.packages, name).version]),
    );
    const manifest = {
      name: NODE_PACKAGE_NAME,
      version: pkg.version,
      description: 'Petal relay and headless cosigner: petal-relay, petal-cosigner',
      license: pkg.license,
      type: 'module',
      engines: pkg.engines,
      bin: BIN,
      dependencies,
    };
    await writeFile(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const shrinkwrap = {
      name: NODE_PACKAGE_NAME,
      version: pkg.version,
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: NODE_PACKAGE_NAME, version: pkg.version, dependencies },
        ...closure(lock.packages, NODE_RUNTIME_DEPENDENCIES),
      },
    };
    await writeFile(join(stage, 'npm-shrinkwrap.json'), `${JSON.stringify(shrinkwrap, null, 2)}\n`);
    // npm stores each file's mode, which the umask decided: fix them so the tarball never varies.
    const programs = new Set(Object.values(BIN));
    for (const file of await listFiles(stage)) {
      await chmod(join(stage, file), programs.has(file) ? 0o755 : 0o644);
    }
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destDir], {
      cwd: stage,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return (JSON.parse(out) as { filename: string }[])[0]!.filename;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

function lockEntry(packages: Record<string, LockEntry>, name: string): LockEntry {
  const entry = packages[`node_modules/${name}`];
  if (!entry) throw new Error(`package-lock.json has no top-level ${name}`);
  return entry;
}

/**
 * The lock entries of `names` and everything they depend on, optional platform packages included
 * (npm installs only the one for the machine). Assumes the hoisted layout npm makes when no two
 * versions conflict, and says so when that does not hold.
 */
function closure(packages: Record<string, LockEntry>, names: string[]): Record<string, LockEntry> {
  const entries: Record<string, LockEntry> = {};
  const pending = [...names];
  while (pending.length > 0) {
    const name = pending.pop()!;
    const key = `node_modules/${name}`;
    if (entries[key]) continue;
    if (Object.keys(packages).some((k) => k.endsWith(`/node_modules/${name}`)))
      throw new Error(`${name} is installed in more than one version; pin it before releasing`);
    const {
      dev: _dev,
      peer: _peer,
      devOptional: _devOptional,
      ...entry
    } = lockEntry(packages, name);
    // The repository's lock omits registry URLs; the shrinkwrap names them, so npm fetches by
    // integrity (from its cache when it has the file) without asking the registry first.
    entries[key] = { ...entry, resolved: registryUrl(name, entry.version) };
    pending.push(
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}).filter((n) => packages[`node_modules/${n}`]),
    );
  }
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function registryUrl(name: string, version: string): string {
  return `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`;
}
