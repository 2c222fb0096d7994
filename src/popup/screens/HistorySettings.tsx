import { useState } from 'preact/hooks';
import type { WalletView } from '../../core/wallet/wallet-service.ts';
import { JsonLinesImportForm } from '../components/JsonLinesImportForm.tsx';
import { notify } from '../components/Toast.tsx';
import { downloadFile } from '../download-file.ts';
import { useAction, useRpc } from '../state.ts';
import { ErrorText, Field } from '../ui.tsx';

/** Where "View in explorer" points for the current network (a URL template with {txid}). */
export function ExplorerSettings({ view }: { view: WalletView }) {
  const rpc = useRpc();
  const network = view.settings.network;
  const [url, setUrl] = useState(view.settings.explorerUrls[network]);
  const save = useAction(async (value: string | null) => {
    const next = await rpc.request('petal_walletSettings', {
      explorerUrl: { network, url: value },
    });
    setUrl(next.explorerUrls[network]);
    notify(value === null ? 'Explorer link reset to the default' : 'Explorer link saved');
  });
  return (
    <form
      class="card"
      id="explorer-settings"
      aria-labelledby="explorer-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void save.act(url.trim());
      }}
    >
      <h3 id="explorer-heading">Block explorer</h3>
      <Field
        label={`Transaction link on ${network}`}
        id="settings-explorer"
        hint="An https URL with {txid} where the transaction id goes; empty for no link"
      >
        <input
          id="settings-explorer"
          type="url"
          placeholder="https://explorer.example/tx/{txid}"
          value={url}
          aria-describedby="settings-explorer-hint"
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </Field>
      <ErrorText error={save.error} id="explorer-error" />
      <div class="row">
        <button type="submit" id="explorer-save" disabled={save.busy}>
          Save
        </button>
        <button type="button" disabled={save.busy} onClick={() => void save.act(null)}>
          Default
        </button>
      </div>
    </form>
  );
}

/** Export and import transaction and address labels as a BIP-329 file. */
export function LabelSettings() {
  const rpc = useRpc();
  const [text, setText] = useState('');
  const [importing, setImporting] = useState(false);
  const exportLabels = useAction(async () => {
    const { text: file, filename } = await rpc.request('petal_walletExportLabels', {});
    downloadFile(file, filename, 'application/jsonl');
    const count = file === '' ? 0 : file.trimEnd().split('\n').length;
    notify(`Exported ${count} label${count === 1 ? '' : 's'}`);
  });
  const importLabels = useAction(async () => {
    const { imported, skipped } = await rpc.request('petal_walletImportLabels', { text });
    setText('');
    setImporting(false);
    notify(
      `Imported ${imported} label${imported === 1 ? '' : 's'}` +
        (skipped ? `; skipped ${skipped} of kinds Petal does not label` : ''),
    );
  });
  return (
    <section class="card" id="label-settings" aria-labelledby="labels-heading">
      <h3 id="labels-heading">Labels</h3>
      <p class="small muted">
        Your names for transactions and addresses, as a BIP-329 file other wallets read.
      </p>
      <div class="row">
        <button
          type="button"
          id="labels-export"
          disabled={exportLabels.busy}
          onClick={() => void exportLabels.act()}
        >
          Export labels
        </button>
        <button
          type="button"
          id="labels-import-open"
          aria-expanded={importing}
          onClick={() => setImporting(!importing)}
        >
          Import labels
        </button>
      </div>
      <ErrorText error={exportLabels.error} />
      {importing && (
        <JsonLinesImportForm
          idPrefix="labels"
          fileLabel="BIP-329 file"
          text={text}
          setText={setText}
          action={importLabels}
        />
      )}
    </section>
  );
}
