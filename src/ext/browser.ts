/**
 * The one place extension code touches the WebExtension API. Chromium exposes `chrome.*`,
 * Firefox `browser.*`; webextension-polyfill gives both the promise-based `browser.*` shape.
 */
import browser from 'webextension-polyfill';

export { browser };

/** Chromium's offscreen API, absent in Firefox (where the background page has a DOM). */
export function offscreenApi(): typeof chrome.offscreen | undefined {
  return typeof chrome !== 'undefined' ? chrome.offscreen : undefined;
}

export function extensionVersion(): string {
  return __VERSION__;
}
