/**
 * Hosts the wallet service in the background with the real platform pieces: WebCrypto,
 * IndexedDB, storage.session, chrome.alarms and the Chronik client. It pushes every `WalletView`
 * change to the popup's state ports, so the popup renders and never polls.
 */
import type { Runtime } from 'webextension-polyfill';
import { browser } from '../ext/browser.ts';
import { callerFromSender } from '../ext/messaging.ts';
import { ChronikIndexer } from '../core/chain/chronik.ts';
import { WALLET_VIEW_PORT } from '../core/rpc/index.ts';
import { WalletService } from '../core/wallet/wallet-service.ts';
import { onAutoLock, scheduleAutoLock } from './auto-lock.ts';
import { restrictSessionAccess, sessionStore } from './session-store.ts';
import { openWalletDb } from './wallet-db.ts';

export interface WalletHost {
  wallet: WalletService;
  /** Resolves once settings are loaded and an unlocked session (if any) is restored. */
  ready: Promise<void>;
  /** After user activity: extend the idle deadline and move the alarm. */
  activity(): Promise<void>;
}

export function createWalletHost(): WalletHost {
  const wallet = new WalletService({
    subtle: crypto.subtle,
    records: openWalletDb(),
    session: sessionStore(),
    indexer: (url) => new ChronikIndexer({ url }),
  });
  const ports = new Set<Runtime.Port>();
  wallet.onChange((view) => {
    for (const port of ports) port.postMessage(view);
  });

  const ready = (async () => {
    await restrictSessionAccess().catch(() => {});
    await wallet.init();
    scheduleAutoLock(wallet.lockAt);
  })();

  onAutoLock(() => {
    void ready.then(() => wallet.lockIfExpired());
  });

  browser.runtime.onConnect.addListener((port) => {
    if (port.name !== WALLET_VIEW_PORT) return;
    // Only extension pages (the popup) may watch the wallet; a content script's port is dropped.
    if (!port.sender || callerFromSender(port.sender)?.kind !== 'extension') {
      port.disconnect();
      return;
    }
    ports.add(port);
    port.onDisconnect.addListener(() => ports.delete(port));
    void ready.then(() => wallet.lockIfExpired()).then(() => port.postMessage(wallet.view()));
  });

  return {
    wallet,
    ready,
    async activity() {
      await wallet.touch();
      scheduleAutoLock(wallet.lockAt);
    },
  };
}
