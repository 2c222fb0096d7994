/**
 * `node scripts/build.ts chromium|firefox [OUT_DIR]`: runs every build pass for one browser, into
 * extension/ or extension-firefox/ unless OUT_DIR is given (the release builds elsewhere).
 */
import { resolve } from 'node:path';
import { build } from 'vite';
import { extensionBuilds } from '../vite.config.ts';
import type { BrowserTarget } from './manifest.ts';

const target = (process.argv[2] ?? 'chromium') as BrowserTarget;
if (target !== 'chromium' && target !== 'firefox') {
  console.error(`Unknown target "${target}" (expected chromium or firefox)`);
  process.exit(2);
}
const started = performance.now();
const outDir = process.argv[3] ? resolve(process.argv[3]) : undefined;
for (const config of extensionBuilds(target, outDir)) {
  await build({ ...config, mode: target });
}
console.log(`Built ${target} extension in ${Math.round(performance.now() - started)} ms`);
