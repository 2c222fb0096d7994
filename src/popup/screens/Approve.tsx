import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApprovalView } from '../../core/provider/dapp-methods.ts';
import type { GrantDuration } from '../../core/provider/permissions.ts';
import { ErrorText, Screen, Xpi } from '../ui.tsx';
import { useAction, useRpc } from '../state.ts';

const TITLES: Record<ApprovalView['details']['kind'], string> = {
  connect: 'Connect this site?',
  signMessage: 'Sign a message?',
  transfer: 'Send XPI?',
  vaultSpend: 'Propose a vault spend?',
  vaultInvite: 'Create a vault invite?',
};

/**
 * The approval window: the oldest waiting dApp request, its origin, and exactly what will be
 * signed or sent. Enter approves, Escape rejects; closing the window rejects everything waiting.
 */
export function Approve() {
  const rpc = useRpc();
  const [queue, setQueue] = useState<ApprovalView[]>();
  const [duration, setDuration] = useState<GrantDuration>('always');
  const load = useCallback(
    () => rpc.request('petal_approvalList', {}).then(setQueue, () => setQueue([])),
    [rpc],
  );
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 1000);
    return () => clearInterval(timer);
  }, [load]);
  const head = queue?.[0];
  const resolve = useAction(async (approve: boolean) => {
    if (!head) return;
    await rpc.request('petal_approvalResolve', {
      id: head.id,
      approve,
      ...(head.details.kind === 'connect' ? { duration } : {}),
    });
    await load();
  });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!head || resolve.busy) return;
      if (event.key === 'Escape') void resolve.act(false);
      if (event.key === 'Enter' && !(event.target instanceof HTMLSelectElement))
        void resolve.act(true);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [head, resolve]);

  if (queue === undefined) return <p class="muted">Loading…</p>;
  if (!head)
    return (
      <Screen title="Nothing to approve" id="approve-empty">
        <p class="muted">No site is waiting for you.</p>
      </Screen>
    );
  return (
    <Screen title={TITLES[head.details.kind]} id="approve">
      <p class="origin" id="approve-origin">
        <strong>{head.origin}</strong>
      </p>
      {queue.length > 1 && (
        <p class="muted small" id="approve-count">
          1 of {queue.length} requests
        </p>
      )}
      <Details view={head} duration={duration} setDuration={setDuration} />
      <ErrorText error={resolve.error} />
      <div class="actions">
        <button
          type="button"
          class="secondary"
          id="approve-reject"
          disabled={resolve.busy}
          onClick={() => void resolve.act(false)}
        >
          Reject
        </button>
        <button
          type="button"
          class="primary"
          id="approve-accept"
          disabled={resolve.busy}
          onClick={() => void resolve.act(true)}
        >
          {head.details.kind === 'connect' ? 'Connect' : 'Approve'}
        </button>
      </div>
      <p class="muted small">Enter approves · Escape rejects</p>
    </Screen>
  );
}

function Details(props: {
  view: ApprovalView;
  duration: GrantDuration;
  setDuration: (d: GrantDuration) => void;
}) {
  const { details } = props.view;
  switch (details.kind) {
    case 'connect':
      return (
        <>
          <p>
            The site will see your address and balance and may ask you to sign. It cannot spend
            without asking.
          </p>
          <label for="approve-duration">Allow for</label>
          <select
            id="approve-duration"
            value={props.duration}
            onChange={(e) => props.setDuration(e.currentTarget.value as GrantDuration)}
          >
            <option value="once">This request only</option>
            <option value="1h">One hour</option>
            <option value="always">Until I disconnect it</option>
          </select>
        </>
      );
    case 'signMessage':
      return (
        <>
          <p class="muted small">Signing as {details.address}</p>
          <pre class="message" id="approve-message">
            {details.message}
          </pre>
        </>
      );
    case 'transfer':
      return (
        <dl class="summary" id="approve-transfer">
          <dt>From</dt>
          <dd class="mono small">{details.from}</dd>
          {details.outputs.flatMap((o, i) => [
            <dt key={`t${i}`}>{o.isChange ? 'Change back to you' : 'To'}</dt>,
            <dd key={`d${i}`} class="mono small output" data-change={String(o.isChange)}>
              {o.address}
              <br />
              <strong>
                <Xpi sats={o.value} />
              </strong>
            </dd>,
          ])}
          <dt>Network fee</dt>
          <dd id="approve-fee">
            <Xpi sats={details.fee} />
          </dd>
          <dt>Your balance changes by</dt>
          <dd id="approve-total">
            <strong>
              <Xpi sats={`-${details.total}`} />
            </strong>
          </dd>
        </dl>
      );
    case 'vaultSpend':
      return (
        <dl class="summary" id="approve-vault-spend">
          <dt>From vault</dt>
          <dd>
            {details.vault.label || 'Vault'} ({details.vault.members} members, you are member{' '}
            {details.vault.me + 1})
          </dd>
          <dd class="mono small">{details.vault.address}</dd>
          {details.payments.flatMap((p, i) => [
            <dt key={`t${i}`}>To</dt>,
            <dd key={`d${i}`} class="mono small output">
              {p.address ?? 'a script without an address'}
              <br />
              <strong>
                <Xpi sats={p.sats} />
              </strong>
            </dd>,
          ])}
          <dt>Change back to the vault</dt>
          <dd>
            <Xpi sats={details.change} />
          </dd>
          <dt>Network fee</dt>
          <dd id="approve-fee">
            <Xpi sats={details.fee} />
          </dd>
          {details.memo && (
            <>
              <dt>Memo</dt>
              <dd>“{details.memo}”</dd>
            </>
          )}
          <dd class="muted small" id="approve-vault-rule">
            {details.vault.policy === 'threshold'
              ? `Every member sees this same transaction; any ${details.vault.threshold} of the ${details.vault.members} must approve it before it is signed.`
              : 'Every member sees this same transaction and must approve it before it is signed.'}
          </dd>
        </dl>
      );
    case 'vaultInvite':
      return (
        <p>
          Start a {details.members}-member vault{details.label ? ` “${details.label}”` : ''} with
          this wallet as its creator. The site receives an invite code to share with the others.
        </p>
      );
  }
}
