/**
 * A block explorer link template, as a setting: '' (no link) or an https URL containing `{txid}`.
 * https only: the link opens a page that sees the txid, so not over a network that can read it.
 * One schema for the wallet's stored settings and the settings RPC.
 */
import * as v from 'valibot';

export const ExplorerUrl = v.union([
  v.literal(''),
  v.pipe(
    v.string(),
    v.maxLength(512),
    v.regex(
      /^https:\/\/[^\s/?#]+\/\S*\{txid\}\S*$/,
      'Enter an https URL containing {txid}, such as https://explorer.example/tx/{txid}',
    ),
  ),
]);
