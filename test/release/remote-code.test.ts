import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { releaseFileNames } from '../../scripts/release/names.ts';
import { REPO } from './copy-checkout.ts';

const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
};
const names = releaseFileNames(version);

/** Ways code could come from anywhere but the package itself (store rules forbid all of them). */
const REMOTE_CODE = [
  { what: 'eval', pattern: /(?<![\w$.])eval\s*\(/ },
  { what: 'new Function', pattern: /new\s+Function\s*\(/ },
  { what: 'importScripts call', pattern: /importScripts\s*\(/ },
  { what: 'import() of a URL', pattern: /import\s*\(\s*[`'"](https?:)?\/\// },
  { what: 'script element from a URL', pattern: /<script[^>]+src\s*=\s*["']?(https?:)?\/\//i },
  // Firefox's content script does inject a script element, but from runtime.getURL('inpage.js').
  { what: 'element source set to a URL', pattern: /\.src\s*=\s*[`'"](https?:)?\/\// },
];

// Checked in the archives users install (release/), not in a build folder.
describe.each([
  ['Chrome Web Store zip', names.chrome],
  ['Firefox package', names.firefox],
])('%s: no remote code', (_label, file) => {
  const entries = async () => unzipSync(await readFile(join(REPO, 'release', file)));

  it('has no code that evaluates strings or loads scripts from a URL', async () => {
    const found: string[] = [];
    for (const [path, bytes] of Object.entries(await entries())) {
      if (!/\.(js|html)$/.test(path)) continue;
      const text = strFromU8(bytes);
      for (const { what, pattern } of REMOTE_CODE)
        if (pattern.test(text)) found.push(`${path}: ${what}`);
    }
    expect(found).toEqual([]);
  });

  it('loads every page script from the package itself', async () => {
    for (const [path, bytes] of Object.entries(await entries())) {
      if (!path.endsWith('.html')) continue;
      for (const [, src] of strFromU8(bytes).matchAll(/<script[^>]*\ssrc="([^"]+)"/g)) {
        expect(src, path).toMatch(/^(\.{0,2}\/)?[\w./-]+\.js$/);
      }
    }
  });

  it("allows scripts only from 'self' in its content security policy", async () => {
    const manifest = JSON.parse(strFromU8((await entries())['manifest.json']!)) as {
      content_security_policy: string | { extension_pages: string };
    };
    const csp = manifest.content_security_policy;
    const policy = typeof csp === 'string' ? csp : csp.extension_pages;
    const scriptSrc = /script-src ([^;]+)/.exec(policy)?.[1]?.trim().split(/\s+/);
    expect(scriptSrc?.filter((source) => source !== "'wasm-unsafe-eval'")).toEqual(["'self'"]);
  });
});
