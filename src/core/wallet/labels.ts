/**
 * The user's labels for transactions and addresses, and their BIP-329 exchange format: one JSON
 * object per line, `{"type":"tx","ref":"<txid>","label":"…"}` or `{"type":"addr",…}`. Pure
 * functions; the wallet service stores the list and decides when to read or write it.
 * https://github.com/bitcoin/bips/blob/master/bip-0329.mediawiki
 */
import * as v from 'valibot';

export type LabelType = 'tx' | 'addr';

export interface Label {
  type: LabelType;
  /** A txid (64 hex) or an address. */
  ref: string;
  label: string;
}

/** BIP-329 lets an importer truncate; 255 is the length it recommends wallets keep. */
export const MAX_LABEL_LENGTH = 255;
/** Refuse files far beyond what a person labels by hand, before parsing them. */
export const MAX_LABELS = 10_000;

const Txid = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/i, 'a txid is 64 hex characters'));
const Address = v.pipe(
  v.string(),
  v.minLength(1, 'the address is empty'),
  v.maxLength(128, 'the address is too long'),
  v.regex(/^[A-Za-z0-9_:]+$/, 'the address has characters no address has'),
);

/** A label as the wallet stores it (also what the settings RPC accepts). */
export const StoredLabel = v.variant('type', [
  v.strictObject({
    type: v.literal('tx'),
    ref: Txid,
    label: v.pipe(v.string(), v.maxLength(MAX_LABEL_LENGTH)),
  }),
  v.strictObject({
    type: v.literal('addr'),
    ref: Address,
    label: v.pipe(v.string(), v.maxLength(MAX_LABEL_LENGTH)),
  }),
]);
export const StoredLabels = v.pipe(v.array(StoredLabel), v.maxLength(MAX_LABELS));

/** The file could not be read as BIP-329 labels; the message names the line and what is wrong. */
export class LabelFormatError extends Error {
  override name = 'LabelFormatError';
}

// Types BIP-329 defines that Petal has nothing to attach to yet: read past them, not refuse.
const OTHER_BIP329_TYPES = new Set(['pubkey', 'input', 'output', 'xpub']);

/**
 * Reads a BIP-329 file. Blank lines are skipped; so are records of types Petal does not label
 * (`output`, `xpub`…), counted in `skipped`. Labels longer than 255 characters are cut there,
 * as BIP-329 allows. A txid is stored lower-case.
 * @throws LabelFormatError on the first line that is not a BIP-329 record ("Line 3: …").
 * @example
 *   parseBip329('{"type":"tx","ref":"ab…","label":"Rent"}\n')
 *   // → { labels: [{ type: 'tx', ref: 'ab…', label: 'Rent' }], skipped: 0 }
 */
export function parseBip329(text: string): { labels: Label[]; skipped: number } {
  const labels: Label[] = [];
  let skipped = 0;
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const where = `Line ${index + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new LabelFormatError(`${where}: not a JSON object`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw new LabelFormatError(`${where}: not a JSON object`);
    const { type, ref, label } = record as Record<string, unknown>;
    if (typeof type !== 'string') throw new LabelFormatError(`${where}: "type" is missing`);
    if (typeof ref !== 'string' || ref === '')
      throw new LabelFormatError(`${where}: "ref" is missing`);
    if (label !== undefined && typeof label !== 'string')
      throw new LabelFormatError(`${where}: "label" is not text`);
    if (OTHER_BIP329_TYPES.has(type)) {
      skipped++;
      continue;
    }
    if (type !== 'tx' && type !== 'addr')
      throw new LabelFormatError(`${where}: "${type.slice(0, 20)}" is not a BIP-329 type`);
    // A record with no label carries only other fields (origin, spendable): nothing to keep.
    if (label === undefined) {
      skipped++;
      continue;
    }
    const parsed = v.safeParse(StoredLabel, {
      type,
      ref: type === 'tx' ? ref.toLowerCase() : ref,
      label: label.slice(0, MAX_LABEL_LENGTH),
    });
    if (!parsed.success)
      throw new LabelFormatError(`${where}: ${parsed.issues[0]?.message ?? 'not a valid label'}`);
    labels.push(parsed.output);
    if (labels.length > MAX_LABELS)
      throw new LabelFormatError(`More than ${MAX_LABELS} labels; split the file`);
  }
  return { labels, skipped };
}

/**
 * Writes labels as BIP-329 JSON lines (one record per line, newline-terminated).
 * @example formatBip329([{ type: 'addr', ref: 'lotus_…', label: 'Alice' }])
 *   // → '{"type":"addr","ref":"lotus_…","label":"Alice"}\n'
 */
export function formatBip329(labels: readonly Label[]): string {
  return labels
    .map((l) => `${JSON.stringify({ type: l.type, ref: l.ref, label: l.label })}\n`)
    .join('');
}

/**
 * `labels` with `next` applied: one label per (type, ref), later entries win, an empty label
 * removes. Order is kept (new ones at the end) so an export reads like the user's history.
 */
export function mergeLabels(labels: readonly Label[], next: readonly Label[]): Label[] {
  const byKey = new Map(labels.map((l) => [`${l.type}:${l.ref}`, l]));
  for (const l of next) {
    const key = `${l.type}:${l.ref}`;
    byKey.delete(key);
    if (l.label.trim() !== '') byKey.set(key, { ...l, label: l.label.trim() });
  }
  return [...byKey.values()];
}
