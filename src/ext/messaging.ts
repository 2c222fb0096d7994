import type { Runtime } from 'webextension-polyfill';
import { browser } from './browser.ts';
import {
  type CallerInfo,
  type RequestEnvelope,
  type Router,
  RpcClient,
  type RpcClientOptions,
} from '../core/rpc/index.ts';

/**
 * Who is calling, from the browser's own sender record. A content script relays for a page, so
 * its caller is that page's origin; an extension page is the extension itself. The payload never
 * gets a say in this: a page cannot claim to be another origin or to be the popup.
 */
export function callerFromSender(sender: Runtime.MessageSender): CallerInfo | undefined {
  const extensionOrigin = new URL(browser.runtime.getURL('/')).origin;
  if (sender.id !== browser.runtime.id) return undefined;
  if (sender.tab) {
    const url = sender.url ?? sender.tab.url;
    if (!url) return undefined;
    const origin = (sender as { origin?: string }).origin ?? new URL(url).origin;
    return origin === extensionOrigin ? { kind: 'extension', origin } : { kind: 'page', origin };
  }
  const url = sender.url;
  if (url && new URL(url).origin === extensionOrigin)
    return { kind: 'extension', origin: extensionOrigin };
  return undefined;
}

/**
 * Attach a router to runtime messages. Requests not addressed to this context are left for the
 * context they are meant for (returning undefined lets another listener answer).
 */
export function listen(router: Router): () => void {
  const listener = (message: unknown, sender: Runtime.MessageSender) => {
    if (!router.accepts(message)) return undefined;
    const caller = callerFromSender(sender);
    if (!caller) return undefined;
    return router.handle(message, caller);
  };
  browser.runtime.onMessage.addListener(listener);
  return () => browser.runtime.onMessage.removeListener(listener);
}

/** A client that reaches other extension contexts through runtime messaging. */
export function runtimeClient(options?: RpcClientOptions): RpcClient {
  return new RpcClient(
    (envelope: RequestEnvelope) => browser.runtime.sendMessage(envelope),
    options,
  );
}
