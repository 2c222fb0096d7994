/**
 * Isolated-world content script: a relay with no secrets. It accepts the provider's port once,
 * forwards each request to the background over a runtime port (the background learns the origin
 * from the browser, not from us), and posts answers and wallet events back. Everything it receives from the page is validated first.
 */
import * as v from 'valibot';
import { browser } from '../ext/browser.ts';
import { BridgeHello, BridgeRequest, type BridgeResponse } from '../core/provider/bridge.ts';
import { BridgeEvent } from '../core/provider/page-provider.ts';
import { OpaqueOriginError, isOpaqueOrigin } from '../core/provider/origin.ts';
import { pagePortName } from '../core/provider/page-port.ts';
import { randomUuid } from '../core/provider/uuid.ts';
import {
  ENVELOPE_TAG,
  RpcErrorCode,
  assertMessageSize,
  serializeError,
  type ResponseEnvelope,
} from '../core/rpc/index.ts';

let port: MessagePort | undefined;
/**
 * A sandboxed page (opaque origin): Petal does not serve it (core/provider/origin.ts). Firefox
 * reports no origin with the sender, so the refusal starts here, where the document is known.
 */
const opaque = isOpaqueOrigin(window.origin);
/** This page load's id: a reload is a new load, even at the same tab, frame and URL. */
const loadId = randomUuid();

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
  event.stopImmediatePropagation();
  if (opaque) {
    port.onmessage = (msg) => refuse(msg.data);
    return;
  }
  port.onmessage = (msg) => relay(msg.data);
  background(); // the background learns of this page now, for events
});

let counter = 0;
/** Requests sent to the background and not answered yet, re-sent if the link drops. */
const outstanding = new Map<string, { pageId: string; envelope: unknown }>();
let link: ReturnType<typeof browser.runtime.connect> | undefined;

/**
 * One port per document to the background. When the service worker restarts the port drops;
 * reconnecting wakes it, and open requests are sent again under the same ids so the background
 * re-attaches them to their waiting approvals instead of queueing duplicates.
 */
function background(): ReturnType<typeof browser.runtime.connect> {
  if (link) return link;
  const opened = browser.runtime.connect({ name: pagePortName(loadId) });
  link = opened;
  opened.onMessage.addListener((message: unknown) => onBackground(message));
  opened.onDisconnect.addListener(() => {
    link = undefined;
    if (outstanding.size === 0) return;
    setTimeout(() => {
      try {
        const again = background();
        for (const { envelope } of outstanding.values()) again.postMessage(envelope);
      } catch {
        // The extension was reloaded or removed: this page's requests cannot be answered.
        for (const [id, { pageId }] of outstanding) {
          outstanding.delete(id);
          port?.postMessage(disconnected(pageId));
        }
      }
    }, 100);
  });
  return opened;
}

function onBackground(message: unknown): void {
  const event = v.safeParse(BridgeEvent, message);
  if (event.success) {
    port?.postMessage(event.output);
    return;
  }
  const response = message as ResponseEnvelope;
  const entry = outstanding.get(response?.id);
  if (!entry) return;
  outstanding.delete(response.id);
  port?.postMessage(
    'error' in response
      ? { id: entry.pageId, error: response.error }
      : { id: entry.pageId, result: response.result },
  );
}

function disconnected(id: string): BridgeResponse {
  return {
    id,
    error: {
      code: RpcErrorCode.disconnected,
      name: 'DisconnectedError',
      message: 'Petal is not responding',
    },
  };
}

function requestId(data: unknown): string {
  return typeof data === 'object' &&
    data !== null &&
    typeof (data as { id?: unknown }).id === 'string'
    ? (data as { id: string }).id.slice(0, 64)
    : '';
}

function refuse(data: unknown): void {
  port?.postMessage({
    id: requestId(data),
    error: serializeError(new OpaqueOriginError()),
  } satisfies BridgeResponse);
}

function relay(data: unknown): void {
  const id = requestId(data);
  try {
    assertMessageSize(data);
    const parsed = v.safeParse(BridgeRequest, data);
    if (!parsed.success) {
      port?.postMessage({
        id,
        error: {
          code: RpcErrorCode.invalidRequest,
          name: 'InvalidRequestError',
          message: 'Malformed request',
        },
      } satisfies BridgeResponse);
      return;
    }
    const envelope = {
      tag: ENVELOPE_TAG,
      kind: 'request',
      id: `c${++counter}`,
      target: 'background',
      method: parsed.output.method,
      params: parsed.output.params,
    };
    outstanding.set(envelope.id, { pageId: id, envelope });
    background().postMessage(envelope);
  } catch (err) {
    const wire = serializeError(err);
    // Extension reloaded or background unreachable: the page sees "disconnected", not a crash.
    const gone = wire.code === RpcErrorCode.internal;
    port?.postMessage({ id, error: gone ? { ...wire, code: RpcErrorCode.disconnected } : wire });
  }
}
