import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ConnectionInfo, NetworkStatus } from '../../src/core/rpc/index.ts';
import { type RunningRelay, startRelay } from '../../src/relay/start.ts';
import {
  type LaunchedExtension,
  callExtension,
  extensionPage,
  launchExtension,
  stopServiceWorkers,
} from './harness.ts';
import { until } from '../support/until.ts';

// Two browsers with the built extension find each other through a local relay and connect
// directly over WebRTC, with the node living in each offscreen document.
describe('extension P2P node over a local relay', () => {
  let relay: RunningRelay;
  let alice: LaunchedExtension;
  let bob: LaunchedExtension;
  let alicePage: Page;
  let bobPage: Page;

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    [alice, bob] = await Promise.all([launchExtension(), launchExtension()]);
    [alicePage, bobPage] = await Promise.all([extensionPage(alice), extensionPage(bob)]);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await relay?.stop();
  });

  it('starts a node in each offscreen document and reserves a WebRTC-dialable address', async () => {
    const [a, b] = await Promise.all([
      callExtension<NetworkStatus>(alicePage, 'petal_connectNetwork', { relays: relay.multiaddrs }),
      callExtension<NetworkStatus>(bobPage, 'petal_connectNetwork', { relays: relay.multiaddrs }),
    ]);
    expect(a.running && b.running).toBe(true);
    expect(a.peerId).not.toBe(b.peerId);
    expect(a.connections.some((c) => c.peerId === relay.peerId && c.kind === 'websockets')).toBe(
      true,
    );
    const bobWebRtc = await until(async () => {
      const status = await callExtension<NetworkStatus>(bobPage, 'petal_getNetworkStatus', {});
      return status.multiaddrs.find((ma) => ma.includes('/p2p-circuit/webrtc'));
    });
    expect(bobWebRtc).toContain(relay.peerId);
  });

  it('connects the two browsers directly over WebRTC, not only through the relay', async () => {
    const bobStatus = await callExtension<NetworkStatus>(bobPage, 'petal_getNetworkStatus', {});
    const bobWebRtc = bobStatus.multiaddrs.find((ma) =>
      ma.includes('/p2p-circuit/webrtc'),
    ) as string;
    const connection = await callExtension<ConnectionInfo>(
      alicePage,
      'petal_networkDial',
      { multiaddr: bobWebRtc },
      'offscreen',
    );
    expect(connection).toMatchObject({ peerId: bobStatus.peerId, kind: 'webrtc', limited: false });
    const seenByBob = await until(async () => {
      const status = await callExtension<NetworkStatus>(bobPage, 'petal_getNetworkStatus', {});
      return status.connections.find((c) => c.peerId !== relay.peerId && c.kind === 'webrtc');
    });
    expect(seenByBob.limited).toBe(false);
  });

  it('keeps the node running when the service worker is stopped, and re-attaches to it', async () => {
    const before = await callExtension<NetworkStatus>(alicePage, 'petal_getNetworkStatus', {});
    await stopServiceWorkers(alice, alicePage);
    const after = await callExtension<NetworkStatus>(alicePage, 'petal_getNetworkStatus', {});
    expect(after.peerId).toBe(before.peerId);
    expect(after.connections.some((c) => c.kind === 'webrtc')).toBe(true);
  });
});
