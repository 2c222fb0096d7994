import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSha256Sums } from '../../scripts/release/checksums.ts';
import { REPO, copyCheckout, run } from './copy-checkout.ts';

// release/ holds the main build (`npm run release` in the checkout). A second release from a copy
// of the sources, in another folder, later, in another time zone and with another umask, must give
// byte-identical files, even with NODE_ENV set to something else than production (the release
// must build for production whatever the shell says).
describe('release reproducibility', () => {
  let temp: string | undefined;
  afterAll(async () => {
    if (temp) await rm(temp, { recursive: true, force: true });
  });

  it('builds the same bytes from a copy of the sources in another folder', async () => {
    const sumsFile = join(REPO, 'release/SHA256SUMS');
    if (!existsSync(sumsFile)) throw new Error('Run `npm run release` first');
    const first = parseSha256Sums(await readFile(sumsFile, 'utf8'));
    expect(first.size).toBe(4);

    temp = await mkdtemp(join(tmpdir(), 'petal-repro-'));
    const copy = join(temp, 'elsewhere', 'petal-copy');
    const modules = await copyCheckout(copy);
    await run('sh', ['-c', 'umask 077 && npm run --silent release'], {
      cwd: copy,
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
        TZ: 'Pacific/Chatham',
        NODE_ENV: 'test',
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    const second = parseSha256Sums(await readFile(join(copy, 'release/SHA256SUMS'), 'utf8'));

    console.log(`release built in ${REPO} and in ${copy} (node_modules as ${modules}):`);
    for (const [name, hash] of first) {
      console.log(
        `  ${hash}  ${second.get(name) === hash ? 'same' : `≠ ${second.get(name)}`}  ${name}`,
      );
    }
    expect(Object.fromEntries(second)).toEqual(Object.fromEntries(first));
  });
});
