/** `node scripts/build.ts chromium|firefox`: runs every build pass for one browser. */
import { build } from 'vite';
import { extensionBuilds } from '../vite.config.ts';
import type { BrowserTarget } from './manifest.ts';

const target = (process.argv[2] ?? 'chromium') as BrowserTarget;
if (target !== 'chromium' && target !== 'firefox') {
  console.error(`Unknown target "${target}" (expected chromium or firefox)`);
  process.exit(2);
}
const started = performance.now();
for (const config of extensionBuilds(target)) {
  await build({ ...config, mode: target });
}
console.log(`Built ${target} extension in ${Math.round(performance.now() - started)} ms`);
