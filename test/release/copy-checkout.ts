import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const REPO = resolve(import.meta.dirname, '../..');

/**
 * Copies the checkout's sources (what git tracks, plus new files it does not ignore) into `dest`,
 * as a clean clone would have them, without build outputs. node_modules comes along as hard links
 * (a real folder inside the copy, as `npm ci` would make, in no time), or copied where /tmp is
 * another file system. Never as a symlink: the bundler resolves it to the checkout's real path,
 * and the node build's module comments (`// node_modules/ws/index.js`) would then name that path.
 * Returns how node_modules was provided.
 */
export async function copyCheckout(dest: string): Promise<'hard links' | 'copy'> {
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: REPO,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const files = stdout.split('\0').filter((f) => f && existsSync(join(REPO, f)));
  for (const file of files) {
    await mkdir(dirname(join(dest, file)), { recursive: true });
    await cp(join(REPO, file), join(dest, file), { preserveTimestamps: false });
  }
  try {
    await run('cp', ['-al', join(REPO, 'node_modules'), join(dest, 'node_modules')]);
    return 'hard links';
  } catch {
    await run('cp', ['-a', join(REPO, 'node_modules'), join(dest, 'node_modules')]);
    return 'copy';
  }
}
