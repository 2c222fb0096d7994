/**
 * Screenshot baselines: a screen's PNG is compared pixel by pixel with the committed one in
 * test/e2e/baselines/. On a difference the actual image and a diff (differing pixels in red) go to
 * test-results/screens/ (git-ignored). `PETAL_UPDATE_BASELINES=1` writes the actual image as the
 * new baseline instead, which is how a person accepts a layout change
 * (`npm run test:screens:update`).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { RESULTS_DIR } from '../harness.ts';

export const BASELINE_DIR = resolve(import.meta.dirname, '../baselines');
export const SCREEN_RESULTS_DIR = join(RESULTS_DIR, 'screens');
export const UPDATING = process.env.PETAL_UPDATE_BASELINES === '1';

/**
 * pixelmatch's per-pixel colour distance (0..1). Low: a changed digit or a darker grey must count.
 * Antialiased edge pixels are excluded by pixelmatch's own detector (includeAA: false), and no
 * number of differing pixels is forgiven.
 */
const COLOR_THRESHOLD = 0.05;

export type Outcome =
  | { kind: 'same' }
  | { kind: 'updated' }
  | { kind: 'missing'; actual: string }
  | { kind: 'size'; expected: string; actual: string; actualPath: string }
  | { kind: 'differs'; pixels: number; actual: string; diff: string };

/** Compares `png` with the baseline `<name>.png` (or rewrites it when updating). */
export async function compareWithBaseline(name: string, png: Buffer): Promise<Outcome> {
  const baselinePath = join(BASELINE_DIR, `${name}.png`);
  const actualPath = join(SCREEN_RESULTS_DIR, `${name}.actual.png`);
  const diffPath = join(SCREEN_RESULTS_DIR, `${name}.diff.png`);
  await Promise.all([rm(actualPath, { force: true }), rm(diffPath, { force: true })]);
  if (UPDATING) {
    await mkdir(BASELINE_DIR, { recursive: true });
    await writeFile(baselinePath, png);
    return { kind: 'updated' };
  }
  await mkdir(SCREEN_RESULTS_DIR, { recursive: true });
  if (!existsSync(baselinePath)) {
    await writeFile(actualPath, png);
    return { kind: 'missing', actual: actualPath };
  }
  const expected = PNG.sync.read(await readFile(baselinePath));
  const actual = PNG.sync.read(png);
  if (expected.width !== actual.width || expected.height !== actual.height) {
    await writeFile(actualPath, png);
    return {
      kind: 'size',
      expected: `${expected.width}×${expected.height}`,
      actual: `${actual.width}×${actual.height}`,
      actualPath,
    };
  }
  const diff = new PNG({ width: actual.width, height: actual.height });
  const pixels = pixelmatch(expected.data, actual.data, diff.data, actual.width, actual.height, {
    threshold: COLOR_THRESHOLD,
    includeAA: false,
  });
  if (pixels === 0) return { kind: 'same' };
  await Promise.all([writeFile(actualPath, png), writeFile(diffPath, PNG.sync.write(diff))]);
  return { kind: 'differs', pixels, actual: actualPath, diff: diffPath };
}

/** One line for a failed comparison, naming the screen; undefined when it matched. */
export function describeOutcome(name: string, outcome: Outcome): string | undefined {
  switch (outcome.kind) {
    case 'same':
    case 'updated':
      return undefined;
    case 'missing':
      return `${name}: no baseline yet (actual in ${outcome.actual}); run npm run test:screens:update`;
    case 'size':
      return `${name}: ${outcome.actual} px instead of the baseline's ${outcome.expected} (actual in ${outcome.actualPath})`;
    case 'differs':
      return `${name}: ${outcome.pixels} pixels differ from the baseline (actual ${outcome.actual}, diff ${outcome.diff})`;
  }
}

/**
 * A screenshot of a screen that has stopped changing: data arriving, fonts loading and polled
 * values settling all show as two consecutive captures that differ. Captures until two in a row
 * are byte-identical. Carets are hidden and animations finished by Playwright itself.
 */
export async function settledScreenshot(
  page: Page,
  options: {
    mask?: string[];
    /** One element instead of the whole page (a settings card on a long page). */
    element?: string;
    timeoutMs?: number;
  } = {},
): Promise<Buffer> {
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  const shot = {
    animations: 'disabled',
    caret: 'hide',
    scale: 'css',
    mask: (options.mask ?? []).map((selector) => page.locator(selector)),
    maskColor: '#808080',
  } as const;
  const capture = () =>
    options.element
      ? page.locator(options.element).screenshot(shot)
      : page.screenshot({ ...shot, fullPage: true });
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let previous = await capture();
  for (;;) {
    await new Promise((done) => setTimeout(done, 250));
    const next = await capture();
    if (next.equals(previous)) return next;
    if (Date.now() > deadline) throw new Error('The screen kept changing for 10 s');
    previous = next;
  }
}
