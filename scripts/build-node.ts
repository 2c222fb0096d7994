/**
 * `node scripts/build-node.ts`: bundles the relay and the cosigner into dist/ as plain ES modules
 * that Node ≥ 22 runs without TypeScript flags or node_modules. Everything is bundled except
 * node-datachannel (WebRTC for the cosigner), whose native binary comes per platform from npm: it
 * is the npm package's one dependency (scripts/release/npm-package.ts). As in the extension, the
 * bundled @libp2p/webrtc gets the init-channel fix at build time.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { webRtcInitFixPlugin } from '../src/network/webrtc-init-fix.ts';
import {
  NOTICES_FILE,
  collectBundledModules,
  thirdPartyNotices,
} from './release/third-party-notices.ts';

/** Packages left as imports: installed next to dist/ by npm. */
export const NODE_RUNTIME_DEPENDENCIES = ['node-datachannel'];

const root = resolve(import.meta.dirname, '..');
export const NODE_DIST = resolve(root, 'dist');

/** Builds dist/; returns THIRD-PARTY-NOTICES.txt for the packages the bundle took in. */
export async function buildNodePrograms(outDir = NODE_DIST): Promise<string> {
  const bundled = new Set<string>();
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    publicDir: false,
    plugins: [webRtcInitFixPlugin(), collectBundledModules(bundled)],
    ssr: { noExternal: true, external: NODE_RUNTIME_DEPENDENCIES },
    build: {
      ssr: true,
      outDir,
      emptyOutDir: true,
      target: 'node22',
      minify: false,
      // No source maps: they would carry paths of the machine that built them.
      sourcemap: false,
      rollupOptions: {
        input: {
          'petal-relay': resolve(root, 'src/relay/main.ts'),
          'petal-cosigner': resolve(root, 'src/cosigner/main.ts'),
        },
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
        },
      },
    },
  });
  return thirdPartyNotices(bundled, root, 'petal-relay and petal-cosigner');
}

if (import.meta.main) {
  const started = performance.now();
  await writeFile(join(NODE_DIST, NOTICES_FILE), await buildNodePrograms());
  console.log(`Built dist/ (relay, cosigner) in ${Math.round(performance.now() - started)} ms`);
}
