import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ORIGINAL_READ_END,
  WebRtcAnswerPatchError,
  patchReadCandidates,
} from '../../src/network/webrtc-answer-fix.ts';
import { patchWebRtcModule } from '../../src/network/webrtc-init-fix.ts';

const require = createRequire(import.meta.url);
const utilPath = join(dirname(require.resolve('@libp2p/webrtc')), 'private-to-private/util.js');
const upstream = readFileSync(utilPath, 'utf8');

// The behaviour itself is tested against real nodes in test/integration/webrtc-honest.test.ts.
describe('@libp2p/webrtc phantom-link fix', () => {
  it('finds the upstream block and patches it once', () => {
    expect(upstream).toContain(ORIGINAL_READ_END);
    const patched = patchReadCandidates(upstream);
    expect(patched).toContain('petal: webrtc phantom-link fix');
    expect(patchReadCandidates(patched)).toBe(patched);
    expect(patchWebRtcModule(utilPath, upstream)).toBe(patched);
    expect(patchWebRtcModule('/elsewhere/util.js', upstream)).toBeUndefined();
  });

  it('refuses to build when upstream changed, instead of silently unpatching', () => {
    expect(() => patchReadCandidates(upstream.replace(ORIGINAL_READ_END, '};'))).toThrow(
      WebRtcAnswerPatchError,
    );
  });
});
