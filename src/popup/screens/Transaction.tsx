import { useEffect, useState } from 'preact/hooks';
import type { TransactionView, WalletView } from '../../core/wallet/wallet-service.ts';
import type { TxPartView } from '../../core/wallet/tx-detail.ts';
import { formatActivityTime } from '../activity-time.ts';
import { useAction, useRpc } from '../state.ts';
import { ErrorText, Grouped, Screen, Xpi } from '../ui.tsx';
import { confirmationsText } from './Activity.tsx';
import '../history.css';

/**
 * One transaction: when, how much, txid (copyable), every input and output with the wallet's
 * own marked, fee, confirmations, the explorer link, and the user's labels. Re-read whenever the
 * pushed view changes, so confirmations count up while the screen is open.
 */
export function Transaction({
  view,
  txid,
  vaultId,
}: {
  view: WalletView;
  txid: string;
  /** Shown from a vault's history: amounts and "yours" from the vault's point of view. */
  vaultId?: string;
}) {
  const rpc = useRpc();
  const [tx, setTx] = useState<TransactionView>();
  const load = useAction(async () =>
    setTx(
      await (vaultId
        ? rpc.request('petal_vaultTransaction', { id: vaultId, txid })
        : rpc.request('petal_walletTransaction', { txid })),
    ),
  );
  const entry = view.activity?.find((a) => a.txid === txid);
  const mineTag = vaultId ? 'vault' : 'yours';
  useEffect(() => void load.act(), [txid, entry?.confirmations, view.chain?.tipHeight]);

  return (
    <Screen
      title={vaultId ? 'Vault transaction' : 'Transaction'}
      back={vaultId ? `/vault/${vaultId}` : '/activity'}
      id="tx-detail"
    >
      {!tx ? (
        load.error ? (
          <ErrorText error={load.error} id="tx-error" />
        ) : (
          <p class="muted">Loading…</p>
        )
      ) : (
        <>
          <dl class="summary">
            <dt>Amount</dt>
            <dd id="tx-net">
              <strong>
                <Xpi sats={tx.net} signed />
              </strong>
            </dd>
            <dt>Date</dt>
            <dd id="tx-time">{formatActivityTime(tx)}</dd>
            <dt>Status</dt>
            <dd id="tx-confirmations">
              {tx.confirmations === 0
                ? 'Pending: not in a block yet'
                : `${confirmationsText(tx.confirmations)} (block ${tx.height})`}
            </dd>
            <dt>Fee</dt>
            <dd id="tx-fee">
              {tx.fee === undefined ? (
                'None (coinbase)'
              ) : (
                <>
                  <Xpi sats={tx.fee} /> <span class="muted small">({tx.size} bytes)</span>
                </>
              )}
            </dd>
          </dl>
          <h3>Transaction id</h3>
          <p class="mono small txid">
            <Grouped text={tx.txid} id="tx-txid" />
          </p>
          <div class="row">
            <CopyButton text={tx.txid} id="tx-copy" label="Copy txid" />
            {tx.explorerUrl && (
              <a
                class="button"
                id="tx-explorer"
                href={tx.explorerUrl}
                target="_blank"
                rel="noopener noreferrer"
              >
                View in explorer
              </a>
            )}
          </div>
          <LabelEditor
            id="tx-label"
            title="Label for this transaction"
            type="tx"
            refId={tx.txid}
            current={tx.labels.tx}
            onSaved={() => void load.act()}
          />
          <h3>Inputs ({tx.inputs.length})</h3>
          <Parts
            parts={tx.inputs}
            id="tx-inputs"
            labels={tx.labels.addr}
            reload={load.act}
            mineTag={mineTag}
          />
          <h3>Outputs ({tx.outputs.length})</h3>
          <Parts
            parts={tx.outputs}
            id="tx-outputs"
            labels={tx.labels.addr}
            reload={load.act}
            mineTag={mineTag}
          />
        </>
      )}
    </Screen>
  );
}

function Parts(props: {
  parts: TxPartView[];
  id: string;
  labels: Record<string, string>;
  reload: () => Promise<unknown>;
  /** What marks an output of the owner ("yours", or "vault" in a vault's history). */
  mineTag: string;
}) {
  return (
    <ul class="tx-parts" id={props.id}>
      {props.parts.map((p, i) => (
        <li key={i} class={p.mine ? 'mine' : undefined}>
          <div class="line">
            <span>
              {p.address && props.labels[p.address] ? (
                <strong class="addr-label">{props.labels[p.address]}</strong>
              ) : (
                <span class="muted small">{p.address ? 'Address' : 'No address'}</span>
              )}{' '}
              {p.mine && <span class="tag">{props.mineTag}</span>}
            </span>
            <Xpi sats={p.value} />
          </div>
          {p.address && (
            <>
              <Grouped class="mono small" text={p.address} />
              <LabelEditor
                id={`${props.id}-${i}-label`}
                title={`Label for ${p.address}`}
                type="addr"
                refId={p.address}
                current={props.labels[p.address]}
                compact
                onSaved={() => void props.reload()}
              />
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** A label that is shown with an Edit button, or edited in place; empty removes it. */
function LabelEditor(props: {
  id: string;
  title: string;
  type: 'tx' | 'addr';
  refId: string;
  current: string | undefined;
  compact?: boolean;
  onSaved: () => void;
}) {
  const rpc = useRpc();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(props.current ?? '');
  const save = useAction(async () => {
    await rpc.request('petal_walletSetLabel', {
      type: props.type,
      ref: props.refId,
      label: text.trim(),
    });
    setEditing(false);
    props.onSaved();
  });
  if (!editing)
    return (
      <div class={props.compact ? undefined : 'line tx-label-row'}>
        {!props.compact && (
          <span id={`${props.id}-text`}>
            {props.current ? <strong>{props.current}</strong> : <span class="muted">No label</span>}
          </span>
        )}
        <button
          type="button"
          class="link small"
          id={`${props.id}-edit`}
          aria-label={
            props.current ? `Edit ${props.title.toLowerCase()}` : `Add ${props.title.toLowerCase()}`
          }
          onClick={() => {
            setText(props.current ?? '');
            setEditing(true);
          }}
        >
          {props.current ? 'Edit label' : 'Add label'}
        </button>
      </div>
    );
  return (
    <form
      class={props.compact ? 'label-form' : 'label-form tx-label-row'}
      onSubmit={(e) => {
        e.preventDefault();
        void save.act();
      }}
    >
      <input
        id={`${props.id}-input`}
        aria-label={props.title}
        maxLength={255}
        autoFocus
        placeholder="e.g. Rent, Alice"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit" id={`${props.id}-save`} disabled={save.busy}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
      <ErrorText error={save.error} />
    </form>
  );
}

export function CopyButton({ text, id, label }: { text: string; id: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      id={id}
      onClick={async () => {
        await navigator.clipboard.writeText(text);
        setCopied(true);
        setTimeout(() => setCopied(false), 2000);
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}
