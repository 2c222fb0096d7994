import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pEvent } from 'p-event';
import { describe, expect, it } from 'vitest';
import {
  ORIGINAL_INIT_BLOCK,
  PATCHED_INIT_BLOCK,
  WebRtcPatchError,
  patchInitiateConnection,
} from '../../src/network/webrtc-init-fix.ts';

const require = createRequire(import.meta.url);
const upstreamPath = join(
  dirname(require.resolve('@libp2p/webrtc')),
  'private-to-private/initiate-connection.js',
);
const upstream = readFileSync(upstreamPath, 'utf8');

type Block = (channel: FakeChannel, signal: AbortSignal) => Promise<void>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<void>;

/** Runs one of the two code blocks exactly as it appears in the library, against our channel. */
function compile(block: string): Block {
  const fn = new AsyncFunction('channel', 'signal', 'log', 'pEvent', block);
  const log = { trace: () => {} };
  return (channel, signal) => fn(channel, signal, log, pEvent);
}

/** An RTCDataChannel stand-in whose state we drive, as the remote side's timing would. */
class FakeChannel extends EventTarget {
  readyState: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closing';
    setTimeout(() => this.remoteClosed(), 1);
  }
  remoteClosed(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}

/** The race: the answerer's close arrives before the channel ever reported `open`. */
async function runRace(block: Block): Promise<'completed' | 'hung'> {
  const channel = new FakeChannel();
  const signal = AbortSignal.timeout(300);
  setTimeout(() => channel.remoteClosed(), 5);
  return block(channel, signal).then(
    () => 'completed',
    () => 'hung',
  );
}

describe('@libp2p/webrtc init-channel race fix', () => {
  it('finds the exact upstream block it replaces in the installed library', () => {
    expect(upstream).toContain(ORIGINAL_INIT_BLOCK);
    expect(patchInitiateConnection(upstream)).toContain(PATCHED_INIT_BLOCK);
  });

  it('reproduces the hang with the upstream code when the channel closes before opening', async () => {
    expect(await runRace(compile(ORIGINAL_INIT_BLOCK))).toBe('hung');
  });

  it('completes with the patched code in the same race', async () => {
    expect(await runRace(compile(PATCHED_INIT_BLOCK))).toBe('completed');
  });

  it('still opens, closes and waits for the close on the normal path', async () => {
    const channel = new FakeChannel();
    setTimeout(() => {
      channel.readyState = 'open';
      channel.dispatchEvent(new Event('open'));
    }, 5);
    await compile(PATCHED_INIT_BLOCK)(channel, AbortSignal.timeout(1000));
    expect(channel.readyState).toBe('closed');
  });

  it('refuses to patch changed upstream code instead of silently skipping', () => {
    expect(() => patchInitiateConnection('export const x = 1;')).toThrow(WebRtcPatchError);
    const once = patchInitiateConnection(upstream);
    expect(patchInitiateConnection(once)).toBe(once);
  });
});
