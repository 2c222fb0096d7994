/**
 * `web-ext lint` (Mozilla's addons-linter, what AMO runs on upload) over the Firefox build. The
 * release stops on any error, and on any warning or notice except the ones accepted below.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

interface LintMessage {
  code: string;
  file?: string;
  message: string;
}

/**
 * Preact's renderer assigns `innerHTML` only for `dangerouslySetInnerHTML`, which Petal never
 * uses (README.md, Notes).
 */
const ACCEPTED = [{ code: 'UNSAFE_VAR_ASSIGNMENT', file: 'popup.js' }];

export async function lintFirefoxBuild(sourceDir: string): Promise<void> {
  const webExt = resolve(import.meta.dirname, '../../node_modules/web-ext/bin/web-ext.js');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [webExt, 'lint', '--source-dir', sourceDir, '--output', 'json', '--no-config-discovery'],
    { maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<
    'errors' | 'warnings' | 'notices',
    LintMessage[]
  >;
  const problems = [...report.errors, ...report.warnings, ...report.notices].filter(
    (m) => !ACCEPTED.some((a) => a.code === m.code && a.file === m.file),
  );
  if (problems.length > 0) {
    const list = problems.map((m) => `  ${m.code} ${m.file ?? ''}: ${m.message}`).join('\n');
    throw new Error(`web-ext lint found problems in the Firefox build:\n${list}`);
  }
}
