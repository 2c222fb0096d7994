import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestFor } from '../../scripts/manifest.ts';

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
const manifest = JSON.parse(readFileSync(resolve(root, 'manifest.json'), 'utf8')) as {
  permissions: string[];
  host_permissions?: string[];
  optional_permissions?: string[];
  content_scripts: { matches: string[] }[];
};

/** README's "Permissions and why" table: one row per permission, first cell as written. */
function permissionRows(): string[] {
  const section = readme.split('### Permissions and why')[1]?.split('\n#')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `') || line.startsWith('| content scripts'))
    .map((line) => line.split('|')[1]!.trim());
}

// Store reviewers read the README's table; it must say exactly what the manifest asks for.
describe("README's permissions table", () => {
  const rows = permissionRows();
  const named = rows.filter((row) => !row.startsWith('content scripts'));
  const names = named.map((row) => /^`([^`]+)`/.exec(row)![1]!);

  it('lists every permission the manifest asks for, and no other', () => {
    expect(names.sort()).toEqual([...manifest.permissions].sort());
    expect(manifest.host_permissions ?? []).toEqual([]);
    expect(manifest.optional_permissions ?? []).toEqual([]);
    expect(readme).toContain('No host permissions');
  });

  it('marks as "Chromium only" exactly the permissions the Firefox build drops', () => {
    const firefox = manifestFor(manifest, 'firefox') as { permissions: string[] };
    const chromiumOnly = named
      .filter((row) => row.includes('(Chromium only)'))
      .map((row) => /^`([^`]+)`/.exec(row)![1]!);
    expect(chromiumOnly.sort()).toEqual(
      manifest.permissions.filter((p) => !firefox.permissions.includes(p)).sort(),
    );
  });

  it("names the content scripts' match patterns", () => {
    const row = rows.find((r) => r.startsWith('content scripts'));
    const patterns = [...(row ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const matches = [...new Set(manifest.content_scripts.flatMap((cs) => cs.matches))];
    expect(patterns.sort()).toEqual(matches.sort());
  });
});
