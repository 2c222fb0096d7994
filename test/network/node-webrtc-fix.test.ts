import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('Node-side @libp2p/webrtc fix', () => {
  it('serves the patched initiate-connection module to plain Node processes', () => {
    // A child Node process (no bundler, no vitest) imports the hook, then the library file.
    const script = `
      await import(${JSON.stringify(resolve('src/network/node-webrtc-fix.ts'))});
      const { createRequire } = await import('node:module');
      const { dirname, join } = await import('node:path');
      const { pathToFileURL } = await import('node:url');
      const require = createRequire(${JSON.stringify(resolve('package.json'))});
      const file = join(dirname(require.resolve('@libp2p/webrtc')), 'private-to-private/initiate-connection.js');
      const mod = await import(pathToFileURL(file).href);
      console.log(mod.initiateConnection.toString().includes('wait for init channel to open or close'));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('true');
  });
});
