/** SHA256SUMS in the format `sha256sum -c` reads: `<hex>  <name>`, one file a line, by name. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

export async function sha256Sums(dir: string, names: string[]): Promise<string> {
  const sorted = [...names].sort();
  const lines = await Promise.all(
    sorted.map(async (name) => `${await sha256File(join(dir, name))}  ${name}`),
  );
  return `${lines.join('\n')}\n`;
}

/** Parses SHA256SUMS back into name → hash. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match) sums.set(match[2]!, match[1]!);
  }
  return sums;
}
