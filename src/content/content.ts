/**
 * Isolated-world content script: a relay with no secrets. It accepts the provider's port once,
 * forwards each request to the background (which learns the origin from the browser, not from
 * us), and posts the answer back. Everything it receives from the page is validated first.
 */
import * as v from 'valibot';
import { browser } from '../ext/browser.ts';
import { BridgeHello, BridgeRequest, type BridgeResponse } from '../core/provider/bridge.ts';
import {
  ENVELOPE_TAG,
  RpcErrorCode,
  assertMessageSize,
  serializeError,
  type ResponseEnvelope,
} from '../core/rpc/index.ts';

let port: MessagePort | undefined;

// Firefox MV2 has no MAIN-world content scripts: load the provider into the page ourselves.
if (__BROWSER__ === 'firefox') {
  const script = document.createElement('script');
  script.src = browser.runtime.getURL('inpage.js');
  script.onload = () => script.remove();
  (document.head ?? document.documentElement).append(script);
}

window.addEventListener('message', (event: MessageEvent) => {
  // Only the page's own window may open the bridge, and only once per document.
  if (port || event.source !== window || !v.is(BridgeHello, event.data)) return;
  const [received] = event.ports;
  if (!received) return;
  port = received;
  port.onmessage = (msg) => void relay(msg.data);
  event.stopImmediatePropagation();
});

let counter = 0;

async function relay(data: unknown): Promise<void> {
  const id =
    typeof data === 'object' && data !== null && typeof (data as { id?: unknown }).id === 'string'
      ? (data as { id: string }).id.slice(0, 64)
      : '';
  let reply: BridgeResponse;
  try {
    assertMessageSize(data);
    const parsed = v.safeParse(BridgeRequest, data);
    if (!parsed.success) {
      reply = {
        id,
        error: {
          code: RpcErrorCode.invalidRequest,
          name: 'InvalidRequestError',
          message: 'Malformed request',
        },
      };
    } else {
      const envelope = {
        tag: ENVELOPE_TAG,
        kind: 'request',
        id: `c${++counter}`,
        target: 'background',
        method: parsed.output.method,
        params: parsed.output.params,
      };
      const response = (await browser.runtime.sendMessage(envelope)) as
        ResponseEnvelope | undefined;
      if (!response) {
        reply = {
          id,
          error: {
            code: RpcErrorCode.disconnected,
            name: 'DisconnectedError',
            message: 'Petal is not responding',
          },
        };
      } else if ('error' in response) {
        reply = { id, error: response.error };
      } else {
        reply = { id, result: response.result };
      }
    }
  } catch (err) {
    const wire = serializeError(err);
    // Extension reloaded or background unreachable: the page sees "disconnected", not a crash.
    const disconnected = wire.code === RpcErrorCode.internal;
    reply = { id, error: disconnected ? { ...wire, code: RpcErrorCode.disconnected } : wire };
  }
  port?.postMessage(reply);
}
