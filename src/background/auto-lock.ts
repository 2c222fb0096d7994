/**
 * Auto-lock through chrome.alarms, which fire even if the service worker was asleep (a
 * setTimeout would die with it). The deadline itself lives with the session key in
 * storage.session, and every wallet request checks it too, so a late alarm never leaves the
 * wallet open past its time.
 */
import { browser } from '../ext/browser.ts';

const ALARM = 'petal-auto-lock';

export function scheduleAutoLock(lockAt: number): void {
  if (lockAt > 0) browser.alarms.create(ALARM, { when: lockAt });
  else void browser.alarms.clear(ALARM);
}

/** Registers the alarm listener; must run at the worker's top level (MV3 event rules). */
export function onAutoLock(run: () => void): void {
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === ALARM) run();
  });
}
