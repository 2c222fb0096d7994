/**
 * Derives each browser's manifest from the root manifest.json (MV3, Chromium-shaped).
 *
 * Firefox gets Manifest V2 with a persistent background page: Firefox has no offscreen API and
 * suspends MV3 background scripts after 30 s idle, which would kill the P2P node mid-session.
 */
export type BrowserTarget = 'chromium' | 'firefox';

export const GECKO_ID = 'petal@petal-wallet.org';

type Json = Record<string, unknown>;

export function manifestFor(base: Json, target: BrowserTarget): Json {
  if (target === 'chromium') return base;
  const permissions = (base.permissions as string[]).filter((p) => p !== 'offscreen');
  const contentScripts = (base.content_scripts as Json[])
    // MV2 content scripts have no MAIN world; the isolated script injects the page script instead.
    .filter((cs) => cs.world !== 'MAIN')
    .map(({ world: _world, ...rest }) => rest);
  const action = base.action as Json;
  const csp = (base.content_security_policy as Json).extension_pages as string;
  const {
    background: _bg,
    action: _action,
    content_security_policy: _csp,
    minimum_chrome_version: _min,
    ...rest
  } = base;
  return {
    ...rest,
    manifest_version: 2,
    background: { page: 'background/page.html', persistent: true },
    browser_action: action,
    permissions,
    content_scripts: contentScripts,
    content_security_policy: csp.replace(" 'wasm-unsafe-eval'", ''),
    web_accessible_resources: ['inpage.js'],
    browser_specific_settings: {
      // Petal sends no data to its developers; Firefox asks every extension to say so.
      gecko: {
        id: GECKO_ID,
        strict_min_version: '142.0',
        data_collection_permissions: { required: ['none'] },
      },
    },
  };
}
