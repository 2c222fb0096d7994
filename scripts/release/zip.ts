/**
 * Deterministic zip archives: the same folder contents give the same bytes, wherever and whenever
 * they are zipped. Entries are the folder's files in sorted path order (no directory entries),
 * each with one fixed timestamp and no owner, permission or extra fields; deflate at level 9.
 *
 * web-ext build (jszip via zip-dir) stamps every entry with the current time and adds them in the
 * order file reads complete, so its archives differ on every run; fflate gives full control.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type Zippable, zipSync } from 'fflate';

/**
 * The one timestamp of every entry, 1980-01-01 00:00 (the zip format's epoch). Zip stores local
 * date fields, and fflate reads them with the local-time getters, so the date is built from local
 * fields: the stored fields are then the same in every time zone.
 */
const ZIP_EPOCH = new Date(1980, 0, 1, 0, 0, 0);

/** Every file under `dir`, as `/`-separated paths relative to it, in code-unit order. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Zips the files under `dir` (paths relative to it) into one reproducible archive. */
export async function zipFolder(dir: string): Promise<Uint8Array> {
  const files: Zippable = {};
  for (const path of await listFiles(dir)) {
    files[path] = [await readFile(join(dir, path)), { mtime: ZIP_EPOCH, level: 9, os: 0 }];
  }
  return zipSync(files);
}
