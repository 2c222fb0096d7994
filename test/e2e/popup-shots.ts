import type { Page } from 'playwright-core';
import { screenshotPath } from './harness.ts';

/** What a test saves of a popup: the 360×600 view the user sees, the whole scrolled page, or both. */
export type ShotKind = 'view' | 'page' | 'both';

/**
 * A `shot(page, name)` saving `<prefix>-<name>.png` under test-results (with 'both', the whole
 * page beside the view as `<prefix>-<name>-full.png`): pictures to look at, not baselines.
 */
export function shooter(prefix: string, kind: ShotKind = 'view') {
  return async (page: Page, name: string): Promise<void> => {
    const base = `${prefix}-${name}`;
    if (kind !== 'page') await page.screenshot({ path: await screenshotPath(base) });
    if (kind === 'view') return;
    const path = await screenshotPath(kind === 'both' ? `${base}-full` : base);
    await page.screenshot({ path, fullPage: true });
  };
}

/** Elements reaching past the 360-pixel popup (they would be clipped or scroll sideways). */
export const overflowing = (page: Page): Promise<string[]> =>
  page.evaluate(() =>
    [...document.querySelectorAll('#app *')]
      .filter((el) => el.getBoundingClientRect().right > 360.5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`),
  );
