/**
 * Page-world script: defines `window.lotus`, the EIP-1193-shaped provider dApps call, and
 * announces it EIP-6963-style so pages with several wallets can choose. It holds no secrets and
 * trusts nothing; it only turns `request()` calls into messages on a private MessageChannel.
 */
import { BRIDGE_HELLO } from '../core/provider/bridge.ts';
import { OpaqueOriginError, isOpaqueOrigin } from '../core/provider/origin.ts';
import { PETAL_RDNS, PageProvider, type ProviderInfo } from '../core/provider/page-provider.ts';
import { randomUuid } from '../core/provider/uuid.ts';
import iconUrl from '../../public/icons/icon-48.png?inline';

// Only real HTML documents get a provider: not XML, SVG or PDF viewers.
if (document.contentType === 'text/html') install();

function install(): void {
  // A sandboxed page's origin is opaque: its hello could not reach the content script (the
  // target origin never matches "null") and Petal would refuse it anyway, so every request is
  // answered here at once with OpaqueOriginError rather than left waiting forever.
  const provider = isOpaqueOrigin(window.origin)
    ? new PageProvider(({ id }) => {
        const { code, message, name } = new OpaqueOriginError();
        queueMicrotask(() => provider.receive({ id, error: { code, message, name } }));
      })
    : bridged();

  const api = Object.freeze({
    isPetal: true as const,
    request: (args: unknown) => provider.request(args),
    on: (event: never, listener: (data: unknown) => void) => (provider.on(event, listener), api),
    removeListener: (event: never, listener: (data: unknown) => void) => (
      provider.removeListener(event, listener),
      api
    ),
  });

  // Never clobber another wallet's object; a page that already has window.lotus keeps it and can
  // still find Petal through EIP-6963.
  if (!Object.hasOwn(window, 'lotus')) {
    Object.defineProperty(window, 'lotus', {
      value: api,
      writable: false,
      configurable: false,
      enumerable: true,
    });
  }

  const info: ProviderInfo = Object.freeze({
    uuid: randomUuid(),
    name: 'Petal',
    icon: iconUrl,
    rdns: PETAL_RDNS,
  });
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent('eip6963:announceProvider', {
        detail: Object.freeze({ info, provider: api }),
      }),
    );
  window.addEventListener('eip6963:requestProvider', announce);
  announce();
}

/** The provider over a private MessageChannel whose other end goes to the content script. */
function bridged(): PageProvider {
  const channel = new MessageChannel();
  const provider = new PageProvider((message) => channel.port1.postMessage(message));
  channel.port1.onmessage = (event: MessageEvent) => provider.receive(event.data);
  window.postMessage({ type: BRIDGE_HELLO }, window.location.origin, [channel.port2]);
  return provider;
}
