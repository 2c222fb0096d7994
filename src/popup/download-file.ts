/**
 * Saves text the background produced (a backup, a BIP-329 file) as a download. The popup has no
 * file-system access, so the text goes through an object URL and a clicked `<a download>`.
 */

/** Long enough for the browser to start reading the blob; revoking frees it afterwards. */
const REVOKE_AFTER_MS = 10_000;

/**
 * Offers `text` for download as `filename` with MIME type `type`.
 * @example downloadFile('{"type":"pubkey",...}\n', 'petal-contacts.jsonl', 'application/jsonl')
 */
export function downloadFile(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}
