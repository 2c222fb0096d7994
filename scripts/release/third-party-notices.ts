/**
 * THIRD-PARTY-NOTICES.txt: the npm packages whose code a build bundled, each with its version,
 * its declared license and the license files it ships (LICENSE*, LICENCE*, COPYING*, NOTICE*).
 *
 * The list comes from the bundler itself: `collectBundledModules` records the module ids that made
 * it into the output (rendered code, after tree-shaking), and each id under node_modules/ names its
 * package. The text depends only on those packages' files, in sorted order, never on where the
 * checkout lives, so archives that carry it stay reproducible.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plugin } from 'vite';

export const NOTICES_FILE = 'THIRD-PARTY-NOTICES.txt';

/** Bundler-injected helpers: virtual module ids whose code comes from the bundler's package. */
const VIRTUAL_OWNERS: [RegExp, string][] = [
  [/^vite\//, 'vite'],
  [/^rolldown\//, 'rolldown'],
];

const LICENSE_FILE = /^(licen[cs]e|copying|notice)([-._].*)?$/i;
const RULE = '='.repeat(80);

interface BundledPackage {
  name: string;
  version: string;
  license: string;
  homepage?: string;
  /** License files, name → text, in file-name order. */
  texts: [string, string][];
}

/** A Vite plugin that adds the id of every module with rendered code in the output to `ids`. */
export function collectBundledModules(ids: Set<string>): Plugin {
  return {
    name: 'petal-collect-bundled-modules',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const output of Object.values(bundle)) {
        if (output.type !== 'chunk') continue;
        for (const [id, module] of Object.entries(output.modules)) {
          if (module.renderedLength > 0) ids.add(id);
        }
      }
    },
  };
}

/**
 * The package folder (`…/node_modules/<name>`) a module id belongs to, or undefined for the
 * project's own sources. Bundler helpers map to the bundler's package under `root`.
 */
export function packageFolderOf(id: string, root: string): string | undefined {
  const path = id.replace(/^\0/, '').split('?')[0]!;
  const marker = '/node_modules/';
  const at = path.lastIndexOf(marker);
  if (at < 0) {
    const owner = VIRTUAL_OWNERS.find(([pattern]) => pattern.test(path))?.[1];
    return owner ? join(root, 'node_modules', owner) : undefined;
  }
  const parts = path.slice(at + marker.length).split('/');
  const name = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  return path.slice(0, at + marker.length) + name;
}

async function readPackage(folder: string): Promise<BundledPackage> {
  const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license?: string | { type: string };
    licenses?: { type: string }[];
    homepage?: string;
  };
  const license =
    typeof manifest.license === 'string'
      ? manifest.license
      : (manifest.license?.type ??
        manifest.licenses?.map((l) => l.type).join(' OR ') ??
        'UNDECLARED');
  const files = (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && LICENSE_FILE.test(entry.name))
    .map((entry) => entry.name)
    .sort(byCodeUnit);
  const texts = await Promise.all(
    files.map(
      async (file) =>
        [file, (await readFile(join(folder, file), 'utf8')).replace(/\r\n?/g, '\n').trim()] as [
          string,
          string,
        ],
    ),
  );
  return {
    name: manifest.name,
    version: manifest.version,
    license,
    homepage: manifest.homepage,
    texts,
  };
}

/** The packages behind `moduleIds`, one entry per name and version, sorted. */
export async function bundledPackages(
  moduleIds: Iterable<string>,
  root: string,
): Promise<BundledPackage[]> {
  const folders = new Set<string>();
  for (const id of moduleIds) {
    const folder = packageFolderOf(id, root);
    if (folder) folders.add(folder);
  }
  const byKey = new Map<string, BundledPackage>();
  for (const folder of folders) {
    const pkg = await readPackage(folder);
    byKey.set(`${pkg.name}@${pkg.version}`, pkg);
  }
  return [...byKey.values()].sort(
    (a, b) => byCodeUnit(a.name, b.name) || byCodeUnit(a.version, b.version),
  );
}

/**
 * The notices text for the packages behind `moduleIds`. Identical license texts (a monorepo's
 * packages share one) are printed once and referred to by number.
 */
export async function thirdPartyNotices(
  moduleIds: Iterable<string>,
  root: string,
  product: string,
): Promise<string> {
  const packages = await bundledPackages(moduleIds, root);
  const texts: string[] = [];
  const numberOf = (text: string) => {
    const at = texts.indexOf(text);
    if (at >= 0) return at + 1;
    texts.push(text);
    return texts.length;
  };
  const lines = [
    `Third-party software in ${product}`,
    '',
    `${product} bundles the open-source packages below (npm name, version, declared license).`,
    'Their license texts follow the list; Petal itself is under the MIT license (LICENSE).',
    '',
  ];
  for (const pkg of packages) {
    const refs = pkg.texts.map(([file, text]) => `${file}: text ${numberOf(text)}`);
    lines.push(`${pkg.name} ${pkg.version}`);
    lines.push(`  License: ${pkg.license}`);
    if (pkg.homepage) lines.push(`  Homepage: ${pkg.homepage}`);
    lines.push(refs.length ? `  ${refs.join(', ')}` : '  (the package ships no license file)');
  }
  texts.forEach((text, i) => lines.push('', RULE, `Text ${i + 1}`, RULE, '', text));
  return `${lines.join('\n')}\n`;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
