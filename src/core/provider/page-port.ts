import { PAGE_PORT } from '../rpc/methods.ts';

/**
 * The runtime port a content script opens for its page is named `petal/page#<load id>`, the load
 * id being a fresh UUID per page load. Chromium reports a document id for the port's sender;
 * Firefox does not, and its tab, frame and URL are the same when the page reloads, so the load id
 * is what tells two loads of one page apart (their requests die with their own load only).
 */
const LOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function pagePortName(loadId: string): string {
  return `${PAGE_PORT}#${loadId}`;
}

/** The load id a page port carries; undefined when the port is not a page port at all. */
export function parsePagePortName(name: string): { loadId?: string } | undefined {
  if (name === PAGE_PORT) return {};
  if (!name.startsWith(`${PAGE_PORT}#`)) return undefined;
  const loadId = name.slice(PAGE_PORT.length + 1);
  return LOAD_ID.test(loadId) ? { loadId } : {};
}

/**
 * The id under which a page's requests are kept: the browser's document id when it gives one,
 * else tab, frame and this load's id (a missing load id gets a fresh one: unique, never shared).
 * @example
 *   pageDocumentId({ tab: { id: 3 }, frameId: 0 }, 'a1b2…'); // 'tab3:frame0:load-a1b2…'
 */
export function pageDocumentId(
  sender: { documentId?: string; tab?: { id?: number }; frameId?: number },
  loadId: string | undefined,
): string {
  if (sender.documentId) return sender.documentId;
  return `tab${sender.tab?.id}:frame${sender.frameId}:load-${loadId ?? crypto.randomUUID()}`;
}
