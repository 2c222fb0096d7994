import { useEffect, useState } from 'preact/hooks';
import { ErrorText, Grouped, Screen } from '../ui.tsx';
import { QrCode } from '../qr.tsx';
import { useAction, useRpc } from '../state.ts';

/** Shows an address that has not been paid yet (a new one after each payment). */
export function Receive() {
  const rpc = useRpc();
  const [address, setAddress] = useState<string>();
  const [copied, setCopied] = useState(false);
  const load = useAction(async (fresh: boolean) => {
    setAddress((await rpc.request('petal_walletReceive', { fresh })).address);
    setCopied(false);
  });
  useEffect(() => {
    void load.act(false);
  }, []);
  return (
    <Screen title="Receive XPI" back="/" id="receive">
      <ErrorText error={load.error} />
      {address && (
        <>
          <QrCode text={address} label={`QR code of ${address}`} />
          <p class="address">
            <Grouped text={address} id="receive-address" />
          </p>
          <div class="row">
            <button
              type="button"
              onClick={async () => {
                await navigator.clipboard.writeText(address);
                setCopied(true);
              }}
            >
              {copied ? 'Copied' : 'Copy address'}
            </button>
            <button type="button" id="new-address" onClick={() => void load.act(true)}>
              New address
            </button>
          </div>
          <p class="muted small">
            Each address is for one payment; Petal shows a fresh one once this one is paid.
          </p>
        </>
      )}
    </Screen>
  );
}
