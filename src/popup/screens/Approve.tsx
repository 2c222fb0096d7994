import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { APPROVAL_ARMING_MS } from '../../core/provider/approval-queue.ts';
import type { ApprovalView } from '../../core/provider/dapp-methods.ts';
import type { GrantDuration } from '../../core/provider/permissions.ts';
import { ErrorText, Grouped, Screen, WhoCanSpend } from '../ui.tsx';
import { SpendSummary, transferRows, vaultRows } from '../spend-summary.tsx';
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
 *
 * Every answer names the request it was rendered for, never "whatever is first now". The
 * buttons and keys stay disarmed for APPROVAL_ARMING_MS whenever a request appears on screen
 * (including when another page's request vanishes and the next one takes its place, and when the
 * window regains focus), so a click or an Enter meant for something else cannot approve it; the
 * background applies the same rule (ApprovalQueue.confirm).
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
  const focus = useFocusCount();
  const armed = useArmed(head && `${head.id}:${focus}`);
  const [answered, setAnswered] = useState<string>();
  const resolve = useAction(async (view: ApprovalView, approve: boolean) => {
    setAnswered(view.id);
    await rpc.request('petal_approvalResolve', {
      id: view.id,
      approve,
      ...(view.details.kind === 'connect' ? { duration } : {}),
    });
    await load();
  });
  const ready = head !== undefined && armed && !resolve.busy;
  // Keys read what is on screen now: effects run after paint, so a listener bound to an earlier
  // render would still hold the previous request, armed, for a frame after the new one shows.
  const onScreen = useRef({ head, ready, act: resolve.act });
  onScreen.current = { head, ready, act: resolve.act };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const { head, ready, act } = onScreen.current;
      // A held-down key (auto-repeat) started before this request was on screen.
      if (!head || !ready || event.repeat) return;
      if (event.key === 'Escape') void act(head, false);
      if (event.key === 'Enter' && !(event.target instanceof HTMLSelectElement))
        void act(head, true);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  if (queue === undefined) return <p class="muted">Loading…</p>;
  if (!head)
    return (
      <Screen title="Nothing to approve" id="approve-empty">
        <p class="muted">No site is waiting for you.</p>
      </Screen>
    );
  return (
    // Keyed by request: a new request gets new buttons, never the previous request's.
    <Screen key={head.id} title={TITLES[head.details.kind]} id="approve">
      <p class="origin" id="approve-origin">
        <strong>{head.origin}</strong>
      </p>
      {/* Always one line: a request arriving behind this one must not move the buttons. */}
      <p class="muted small" id="approve-count">
        {queue.length > 1 ? `1 of ${queue.length} requests` : 'No other request waiting'}
      </p>
      <Details view={head} duration={duration} setDuration={setDuration} />
      <ErrorText error={answered === head.id ? resolve.error : undefined} />
      <div class="actions" data-request={head.id} data-armed={String(armed)}>
        <button
          type="button"
          class="secondary"
          id="approve-reject"
          disabled={!ready}
          onClick={() => void resolve.act(head, false)}
        >
          Reject
        </button>
        <button
          type="button"
          class="primary"
          id="approve-accept"
          disabled={!ready}
          onClick={() => void resolve.act(head, true)}
        >
          {head.details.kind === 'connect' ? 'Connect' : 'Approve'}
        </button>
      </div>
      <p class="muted small">Enter approves · Escape rejects</p>
    </Screen>
  );
}

/** True once `key` has stayed the same for APPROVAL_ARMING_MS; false again as soon as it changes. */
function useArmed(key: string | undefined): boolean {
  const [armedKey, setArmedKey] = useState<string>();
  useEffect(() => {
    setArmedKey(undefined);
    if (key === undefined) return;
    const timer = setTimeout(() => setArmedKey(key), APPROVAL_ARMING_MS);
    return () => clearTimeout(timer);
  }, [key]);
  return key !== undefined && armedKey === key;
}

/** Counts the times the window gained focus: keys typed for another window must not land here. */
function useFocusCount(): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    const onFocus = () => setCount((n) => n + 1);
    addEventListener('focus', onFocus);
    return () => removeEventListener('focus', onFocus);
  }, []);
  return count;
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
          <p>Once connected, the site sees:</p>
          <ul class="small" id="approve-connect-sees">
            <li>your account address and its balance;</li>
            <li>your vaults: their names, addresses and spending rules (never their keys);</li>
            <li>the vault spends it asks for, as they progress (not the ones others start).</li>
          </ul>
          <p>
            It may ask you to sign a message, send XPI, propose a vault spend or create a vault
            invite; each one waits for your approval here.
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
          <p class="muted small" id="approve-signer">
            Signing as <Grouped class="mono" text={details.address} />
          </p>
          <pre class="message" id="approve-message">
            {details.message}
          </pre>
        </>
      );
    case 'transfer':
      return <SpendSummary id="approve-transfer" rows={transferRows(details)} />;
    case 'vaultSpend': {
      const { vault } = details;
      return (
        <>
          <dl class="spend" id="approve-vault">
            <div class="spend-row" data-role="from">
              <dt>From vault</dt>
              <dd>
                <span class="spend-note">
                  {vault.label || 'Vault'} ({vault.members} members)
                </span>
                <Grouped class="spend-address" text={vault.address} />
              </dd>
            </div>
            {/* The site asks in this wallet's name: the other members see the proposal as yours. */}
            <div class="spend-row" data-role="proposer">
              <dt>Proposed by</dt>
              <dd>
                <span class="spend-note" id="approve-proposer">
                  You, at this site’s request: the other members see it as your proposal
                </span>
              </dd>
            </div>
          </dl>
          {vault.policyText && (
            <WhoCanSpend id="approve-vault-policy" text={vault.policyText} small />
          )}
          <SpendSummary id="approve-vault-spend" rows={vaultRows(details)} />
          <p class="muted small" id="approve-vault-rule">
            {vault.policy === 'threshold'
              ? `Every member sees this same transaction; any ${vault.threshold} of the ${vault.members} must approve it before it is signed.`
              : 'Every member sees this same transaction and must approve it before it is signed.'}
          </p>
        </>
      );
    }
    case 'vaultInvite':
      return (
        <p>
          Start a {details.members}-member vault{details.label ? ` “${details.label}”` : ''} with
          this wallet as its creator. The site receives an invite code to share with the others.
        </p>
      );
  }
}
