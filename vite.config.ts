import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import preact from '@preact/preset-vite';
import { type InlineConfig, type Plugin, defineConfig } from 'vite';
import { manifestFor, type BrowserTarget } from './scripts/manifest.ts';
import { webRtcInitFixPlugin } from './src/network/webrtc-init-fix.ts';

const root = import.meta.dirname;
const src = resolve(root, 'src');

export const outDirs: Record<BrowserTarget, string> = {
  chromium: resolve(root, 'extension'),
  firefox: resolve(root, 'extension-firefox'),
};

/** package.json's version is the one version: both manifests and the About screen show it. */
const version = (
  JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }
).version;

/** Emits manifest.json for the target from the one root manifest, so the two never drift. */
function manifestPlugin(target: BrowserTarget): Plugin {
  return {
    name: 'petal-manifest',
    generateBundle() {
      const base = JSON.parse(readFileSync(resolve(root, 'manifest.json'), 'utf8'));
      this.emitFile({
        type: 'asset',
        fileName: 'manifest.json',
        source: JSON.stringify(manifestFor({ ...base, version }, target), null, 2),
      });
    },
  };
}

/**
 * The extension is three builds into one folder: the ES-module pages and background, then one
 * self-contained IIFE per content script (content scripts cannot be ES modules, and an IIFE build
 * takes a single entry).
 */
export function extensionBuilds(target: BrowserTarget, outDir = outDirs[target]): InlineConfig[] {
  // Chromium's service worker has no DOM/WebRTC, so the P2P node lives in an offscreen document;
  // Firefox hosts it in a persistent background page instead.
  const pages: Record<string, string> =
    target === 'chromium'
      ? {
          background: resolve(src, 'background/index.ts'),
          offscreen: resolve(src, 'offscreen/index.html'),
          popup: resolve(src, 'popup/index.html'),
        }
      : {
          backgroundPage: resolve(src, 'background/page.html'),
          popup: resolve(src, 'popup/index.html'),
        };

  const common: InlineConfig = {
    configFile: false,
    root: src,
    publicDir: resolve(root, 'public'),
    logLevel: 'warn',
    define: {
      'process.env.NODE_ENV': JSON.stringify('production'),
      __BROWSER__: JSON.stringify(target),
      __VERSION__: JSON.stringify(version),
    },
  };
  const script = (name: string, entry: string): InlineConfig => ({
    ...common,
    publicDir: false,
    build: {
      outDir,
      emptyOutDir: false,
      minify: true,
      lib: { entry, name: `petal_${name}`, formats: ['iife'], fileName: () => `${name}.js` },
    },
  });
  return [
    {
      ...common,
      plugins: [webRtcInitFixPlugin(), preact(), manifestPlugin(target)],
      build: {
        outDir,
        emptyOutDir: true,
        modulePreload: false,
        // The network host's libp2p bundle is ~730 kB by nature; it loads only in the offscreen page.
        chunkSizeWarningLimit: 1024,
        target: 'es2022',
        rollupOptions: {
          input: pages,
          output: {
            entryFileNames: '[name].js',
            chunkFileNames: 'chunks/[name]-[hash].js',
            assetFileNames: 'assets/[name]-[hash][extname]',
          },
        },
      },
    },
    script('content', resolve(src, 'content/content.ts')),
    script('inpage', resolve(src, 'content/inpage.ts')),
  ];
}

// `vite build` on its own builds the Chromium pages; `npm run build` runs every pass.
export default defineConfig(extensionBuilds('chromium')[0] as InlineConfig);
