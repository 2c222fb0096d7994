/**
 * storage.session as the keystore's `SessionStore`: memory-only, survives a service-worker
 * restart, gone when the browser closes. Only trusted extension contexts may read it (Chromium's
 * default, set explicitly here): content scripts never see the cached key.
 */
import { browser } from '../ext/browser.ts';
import type { SessionRecord, SessionStore } from '../core/wallet/keystore-service.ts';

const KEY = 'petal.unlocked';

export function sessionStore(): SessionStore {
  const area = browser.storage.session;
  return {
    async get() {
      return (await area.get(KEY))[KEY];
    },
    async set(value: SessionRecord) {
      await area.set({ [KEY]: value });
    },
    async clear() {
      await area.remove(KEY);
    },
  };
}

/** Chromium only: keep storage.session away from content scripts (the default, made explicit). */
export async function restrictSessionAccess(): Promise<void> {
  const session = typeof chrome !== 'undefined' ? chrome.storage?.session : undefined;
  if (typeof session?.setAccessLevel !== 'function') return;
  await session.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' });
}
