import { defineConfig } from 'vitest/config';
import { webRtcInitFixPlugin } from './src/network/webrtc-init-fix.ts';

// Node-side WebRTC runs the same patched @libp2p/webrtc as the extension bundle: vitest inlines
// the package so the build-time transform applies to it too.
const webrtcFix = {
  plugins: [webRtcInitFixPlugin()],
  inline: { server: { deps: { inline: ['@libp2p/webrtc'] } } },
};

// Three suites: fast pure-logic unit tests, integration tests with real network
// components on loopback, and end-to-end tests driving the built extension in Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: webrtcFix.plugins,
        test: {
          ...webrtcFix.inline,
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/e2e/**'],
          testTimeout: 30_000,
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
    ],
  },
});
