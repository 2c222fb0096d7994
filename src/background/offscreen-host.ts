import { browser, extensionVersion, offscreenApi } from '../ext/browser.ts';
import { runtimeClient } from '../ext/messaging.ts';
import { type RequestEnvelope, RpcClient } from '../core/rpc/index.ts';
import type { InboundForward } from '../offscreen/network-host.ts';
import type { RunnerEvent } from '../offscreen/signing-runner.ts';

const OFFSCREEN_PATH = 'offscreen/index.html';

/**
 * Gives the background a client for the P2P host. Chromium: the offscreen document, created on
 * demand (reason WEB_RTC) and reused. Firefox: no offscreen API, so the host's router (the node and
 * the signing runner) runs right here in the persistent background page and is called in-process.
 */
export function createOffscreenHost(
  forward: InboundForward = async () => undefined,
  report: (event: RunnerEvent) => void = () => undefined,
): {
  ensure(): Promise<void>;
  client: RpcClient;
} {
  // Firefox builds replace __BROWSER__ with 'firefox' and Chromium builds drop this branch, so
  // the libp2p bundle never loads into Chromium's service worker.
  if (__BROWSER__ === 'firefox') {
    const router = Promise.all([
      import('../offscreen/router.ts'),
      import('../offscreen/network-host.ts'),
      import('../offscreen/peer-key.ts'),
      import('../offscreen/signing-runner.ts'),
      import('./session-db.ts'),
    ]).then(([r, n, k, s, db]) => {
      const network = new n.NetworkHost(forward, k.indexedDbPeerKeyStorage());
      // Events are reported from a fresh task, as a runtime message would arrive.
      const runner = new s.SigningRunner(
        network,
        (event) => queueMicrotask(() => report(event)),
        () => db.openSessionDb(),
      );
      return r.createOffscreenRouter(extensionVersion(), network, runner);
    });
    const origin = new URL(browser.runtime.getURL('/')).origin;
    const client = new RpcClient(async (envelope: RequestEnvelope) =>
      (await router).handle(envelope, { kind: 'extension', origin }),
    );
    return { ensure: async () => {}, client };
  }
  const api = offscreenApi();
  if (!api) throw new Error('This browser has no offscreen documents');
  let creating: Promise<void> | undefined;
  const ensure = async () => {
    const url = chrome.runtime.getURL(OFFSCREEN_PATH);
    const existing = await chrome.runtime.getContexts({
      contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT],
      documentUrls: [url],
    });
    if (existing.length > 0) return;
    // Two callers racing would both try to create it; the second createDocument would throw.
    creating ??= api
      .createDocument({
        url: OFFSCREEN_PATH,
        reasons: [api.Reason.WEB_RTC],
        justification: 'Hosts the peer-to-peer node that connects co-signers over WebRTC',
      })
      .finally(() => {
        creating = undefined;
      });
    await creating;
  };
  const client = runtimeClient({ timeoutMs: 10_000 });
  const ensureReady = async () => {
    await ensure();
    // A fresh document has not run its module script yet; until it listens, Chromium reports
    // "Receiving end does not exist". Wait for its first answer, bounded.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.request('petal_offscreenPing', {}, { timeoutMs: 2_000 });
        return;
      } catch (err) {
        if (attempt >= READY_ATTEMPTS || !isNoReceiver(err)) throw err;
        await new Promise((done) => setTimeout(done, READY_DELAY_MS));
      }
    }
  };
  return { ensure: ensureReady, client };
}

const READY_ATTEMPTS = 50;
const READY_DELAY_MS = 40;

function isNoReceiver(err: unknown): boolean {
  return err instanceof Error && /Receiving end does not exist/i.test(err.message);
}
