import { useState } from 'preact/hooks';
import type { SendPreview, WalletView } from '../../core/wallet/wallet-service.ts';
import { formatXpi } from '../../core/wallet/amount.ts';
import { ErrorText, Field, Grouped, Screen } from '../ui.tsx';
import { SpendSummary, sendRows } from '../spend-summary.tsx';
import { useAction, useRpc } from '../state.ts';

/** Form → confirmation with every output decoded → sent. The background validates and prices. */
export function Send({ view }: { view: WalletView }) {
  const rpc = useRpc();
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [max, setMax] = useState(false);
  const [preview, setPreview] = useState<SendPreview>();
  const [txid, setTxid] = useState<string>();
  const review = useAction(async () => {
    setPreview(
      await rpc.request('petal_walletPrepareSend', max ? { to, max: true } : { to, amount }),
    );
  });
  const confirm = useAction(async () => {
    if (preview) setTxid((await rpc.request('petal_walletConfirmSend', { id: preview.id })).txid);
  });

  if (txid)
    return (
      <Screen title="Sent" id="send-done">
        <p>Your transaction is on its way.</p>
        <p class="small mono">
          <Grouped text={txid} id="sent-txid" />
        </p>
        <p>
          <a class="link" href={`#/tx/${txid}`} id="sent-details">
            View transaction details
          </a>
        </p>
        <a class="button primary" href="#/" id="send-finish">
          Done
        </a>
      </Screen>
    );

  if (preview)
    return (
      <Screen title="Confirm send" id="send-confirm">
        <SpendSummary id="confirm-summary" rows={sendRows(preview)} />
        <ErrorText error={confirm.error} id="send-error" />
        <div class="row">
          <button type="button" onClick={() => setPreview(undefined)} disabled={confirm.busy}>
            Back
          </button>
          <button
            class="primary"
            type="button"
            id="send-confirm-button"
            disabled={confirm.busy}
            onClick={() => void confirm.act()}
          >
            {confirm.busy ? 'Sending…' : 'Confirm and send'}
          </button>
        </div>
      </Screen>
    );

  return (
    <Screen title="Send XPI" back="/" id="send">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void review.act();
        }}
        onInput={review.clear}
      >
        <Field label="To address" id="send-to">
          <input
            id="send-to"
            autoFocus
            autoComplete="off"
            spellcheck={false}
            placeholder={view.settings.network === 'mainnet' ? 'lotus_…' : 'lotusR…'}
            value={to}
            onInput={(e) => setTo(e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Amount (XPI)"
          id="send-amount"
          hint={
            view.balance ? `Available: ${formatXpi(BigInt(view.balance.total))} XPI` : undefined
          }
        >
          <div class="row tight">
            <input
              id="send-amount"
              inputMode="decimal"
              autoComplete="off"
              disabled={max}
              value={max ? 'Everything' : amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
            />
            <button
              type="button"
              id="send-max"
              aria-pressed={max}
              onClick={() => {
                setMax(!max);
                review.clear();
              }}
            >
              Max
            </button>
          </div>
        </Field>
        <ErrorText error={review.error} id="send-form-error" />
        <button class="primary" type="submit" id="send-review" disabled={review.busy}>
          Review
        </button>
      </form>
    </Screen>
  );
}
