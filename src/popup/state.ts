import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { browser } from '../ext/browser.ts';
import { type RpcClient, WALLET_VIEW_PORT } from '../core/rpc/index.ts';
import type { WalletView } from '../core/wallet/wallet-service.ts';

export const RpcContext = createContext<RpcClient | undefined>(undefined);

export function useRpc(): RpcClient {
  const client = useContext(RpcContext);
  if (!client) throw new Error('RpcContext is missing');
  return client;
}

/**
 * The wallet's state as the background pushes it over a runtime port. If the service worker
 * restarts the port drops; reconnecting wakes it and it pushes the (restored) state again.
 */
export function useWalletView(): WalletView | undefined {
  const [view, setView] = useState<WalletView>();
  useEffect(() => {
    let closed = false;
    let port: ReturnType<typeof browser.runtime.connect> | undefined;
    const connect = () => {
      port = browser.runtime.connect({ name: WALLET_VIEW_PORT });
      port.onMessage.addListener((message: unknown) => setView(message as WalletView));
      port.onDisconnect.addListener(() => {
        if (!closed) setTimeout(connect, 100);
      });
    };
    connect();
    return () => {
      closed = true;
      port?.disconnect();
    };
  }, []);
  return view;
}

/** The hash route (`#/send`), so screens survive a popup reload and tests can deep-link. */
export function useRoute(): [string, (route: string) => void] {
  const read = () => location.hash.replace(/^#/, '') || '/';
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return [route, (next: string) => (location.hash = next)];
}

/**
 * A request's lifecycle for forms: busy flag and the error message to show. `clear` drops the
 * error: forms call it on any input (`<form onInput={action.clear}>`), so an error about what
 * was typed does not stay on screen once the person has changed it.
 */
export function useAction<A extends unknown[], R>(
  run: (...args: A) => Promise<R>,
): {
  busy: boolean;
  error: string | undefined;
  act: (...args: A) => Promise<R | undefined>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const act = async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      return await run(...args);
    } catch (err) {
      setError((err as Error).message);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, act, clear: () => setError(undefined) };
}
