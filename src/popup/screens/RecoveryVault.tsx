/**
 * The recovery side of a threshold vault in the popup: a recovery key holder's vault page (when
 * each coin opens to its key, and "Recover to my wallet"), how a wallet becomes one (its key to
 * send the vault's creator, then the descriptor), and for members one line saying when the
 * recovery key could first move a coin.
 */
import { useState } from 'preact/hooks';
import type { RecoveryCoinInfo, VaultDetails, VaultRecoveryResult } from '../../core/rpc/index.ts';
import { usePolled } from '../polled.ts';
import { useAction, useRpc } from '../state.ts';
import { ErrorText, Field, Grouped, Screen, Xpi, WhoCanSpend } from '../ui.tsx';

const STATUS_POLL_MS = 3_000;

/** "Open now", "Opens in 1,204 blocks, about 40 hours", "Opens after it confirms". */
const coinWhen = (c: RecoveryCoinInfo) => (c.open ? 'Open now' : `Opens ${c.about}`);

/** A recovery key holder's page for a vault it may sweep once coins are old enough. */
export function RecoveryVaultScreen({ vault }: { vault: VaultDetails }) {
  const rpc = useRpc();
  const [status, statusError] = usePolled(
    () => rpc.request('petal_vaultRecoveryStatus', { id: vault.id }),
    [rpc, vault.id],
    STATUS_POLL_MS,
  );
  const [sent, setSent] = useState<VaultRecoveryResult>();
  const recover = useAction(async () => {
    setSent(undefined);
    setSent(await rpc.request('petal_vaultRecover', { id: vault.id }));
  });
  const openCoins = status?.coins.filter((c) => c.open).length ?? 0;
  return (
    <Screen title={vault.label || 'Vault'} back="/vaults" id="recovery-vault">
      <p class="line">
        <span>
          Balance:{' '}
          <strong id="vault-balance">
            {vault.balance === undefined ? 'offline' : <Xpi sats={vault.balance} />}
          </strong>
        </span>
        <span class="badge" id="vault-role">
          recovery key
        </span>
      </p>
      <WhoCanSpend id="vault-policy" text={vault.policyText} small />
      <section class="card" id="recovery">
        <h3>Recovery</h3>
        <p class="muted small">
          Your key can move a coin alone once it is old enough. Until then the members may refresh
          it (pay it back to the vault), which starts its wait again.
        </p>
        <ErrorText error={statusError} id="recovery-status-error" />
        {status && status.coins.length === 0 && (
          <p class="muted" id="recovery-empty">
            The vault holds no coins.
          </p>
        )}
        <ul class="outputs" id="recovery-coins">
          {status?.coins.map((c) => (
            <li
              key={`${c.txid}:${c.vout}`}
              data-coin={`${c.txid}:${c.vout}`}
              data-open={String(c.open)}
            >
              <div class="line">
                <strong>
                  <Xpi sats={c.sats} />
                </strong>
                <span class={c.open ? 'ok' : 'muted'} data-when>
                  {coinWhen(c)}
                </span>
              </div>
              <span class="muted small">
                {c.blockHeight < 0
                  ? 'Unconfirmed'
                  : `Arrived in block ${c.blockHeight.toLocaleString('en-US')}; opens at block ` +
                    c.opensAtHeight.toLocaleString('en-US')}
              </span>
            </li>
          ))}
        </ul>
        {status && (
          <p class="small" id="recovery-summary">
            {openCoins === 0
              ? 'Nothing can be recovered yet.'
              : `${openCoins} ${openCoins === 1 ? 'coin' : 'coins'} can be recovered now: `}
            {openCoins > 0 && <Xpi sats={status.openSats} />}
            {openCoins > 0 && ' less the fee.'}
          </p>
        )}
        {status?.refusal && <p class="warn small">{status.refusal}</p>}
        <ErrorText error={recover.error} id="recovery-error" />
        <button
          type="button"
          class="primary"
          id="recover"
          disabled={recover.busy || !status?.canRecover || openCoins === 0}
          onClick={() => void recover.act()}
        >
          {recover.busy ? 'Recovering…' : 'Recover to my wallet'}
        </button>
        {sent && (
          <p class="ok small" id="recovery-sent">
            Sent <Xpi sats={sent.sats} /> to your wallet (fee <Xpi sats={sent.feeSats} />
            ). Transaction <Grouped class="mono" id="recovery-txid" text={sent.txid} />
          </p>
        )}
      </section>
      <p class="muted small">
        Vault address <Grouped class="mono" id="vault-address" text={vault.address} />
      </p>
    </Screen>
  );
}

/** For members: when the recovery key could first move one of the vault's coins. */
export function RecoveryClock({ id }: { id: string }) {
  const rpc = useRpc();
  const [status] = usePolled(
    () => rpc.request('petal_vaultRecoveryStatus', { id }),
    [rpc, id],
    STATUS_POLL_MS,
  );
  const first = status?.coins.find((c) => c.blockHeight >= 0);
  if (!status || !first) return null;
  return (
    <p class="muted small" id="vault-recovery-clock">
      {first.open
        ? 'The recovery key can move a coin now. '
        : `The recovery key can move the oldest coin ${first.about}. `}
      Your wallet proposes a refresh once a coin is{' '}
      {status.refreshMarginBlocks.toLocaleString('en-US')} blocks from opening.
    </p>
  );
}

/**
 * For a wallet asked to hold a vault's recovery key: its key (to send the vault's creator), then
 * the vault's descriptor, which it keeps as a recovery vault.
 */
export function RecoveryHolder() {
  const rpc = useRpc();
  const [key, setKey] = useState<string>();
  const [descriptor, setDescriptor] = useState('');
  const show = useAction(async () => {
    setKey((await rpc.request('petal_vaultMemberKey', {})).memberKey);
  });
  const add = useAction(async () => {
    const vault = await rpc.request('petal_vaultAdd', { descriptor: descriptor.trim() });
    location.hash = `/vault/${vault.id}`;
  });
  return (
    <details
      class="card"
      id="recovery-holder"
      onToggle={(e) => {
        if (e.currentTarget.open && !key) void show.act();
      }}
    >
      <summary>Asked to hold a recovery key?</summary>
      <p class="small">
        Send this key to the vault’s creator. Once the vault exists, add its descriptor here: this
        wallet then shows when it may recover the coins.
      </p>
      <Field label="Your key" id="recovery-holder-key">
        <textarea class="mono small" id="recovery-holder-key" readOnly rows={3} value={key ?? ''} />
      </Field>
      <ErrorText error={show.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void add.act();
        }}
      >
        <Field label="Vault descriptor" id="recovery-holder-descriptor">
          <textarea
            id="recovery-holder-descriptor"
            rows={3}
            value={descriptor}
            onInput={(e) => setDescriptor(e.currentTarget.value)}
          />
        </Field>
        <ErrorText error={add.error} id="recovery-holder-error" />
        <button type="submit" id="recovery-holder-add" disabled={add.busy || !descriptor.trim()}>
          Add as recovery key holder
        </button>
      </form>
    </details>
  );
}
