import { defineConfig } from 'vitest/config';
import { webRtcInitFixPlugin } from './src/network/webrtc-init-fix.ts';

// Node-side WebRTC runs the same patched @libp2p/webrtc as the extension bundle: vitest inlines
// the package so the build-time transform applies to it too.
const webrtcFix = {
  plugins: [webRtcInitFixPlugin()],
  inline: { server: { deps: { inline: ['@libp2p/webrtc'] } } },
};

// Five suites: fast pure-logic unit tests, the protocol simulator's fixed-seed slice, integration
// tests with real network components on loopback, end-to-end tests driving the built extension in
// Chromium, and the release files.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: webrtcFix.plugins,
        test: {
          ...webrtcFix.inline,
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/e2e/**', 'test/release/**', 'test/sim/**'],
          testTimeout: 30_000,
        },
      },
      {
        // The deterministic protocol simulator's fixed-seed slice (docs/SIMULATOR.md): long
        // CPU-bound files, one per core.
        test: {
          name: 'sim',
          include: ['test/sim/**/*.test.ts'],
          testTimeout: 900_000,
        },
      },
      {
        plugins: webrtcFix.plugins,
        test: {
          ...webrtcFix.inline,
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The release files in release/ (`npm run release` first): reproducible, installable, and
        // loading in both browsers.
        test: {
          name: 'release',
          include: ['test/release/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
