import { useState } from 'preact/hooks';
import { ErrorText, Field, Screen } from '../ui.tsx';
import { useAction, useRpc } from '../state.ts';

export function Unlock() {
  const rpc = useRpc();
  const [password, setPassword] = useState('');
  const run = useAction(async () => {
    await rpc.request('petal_walletUnlock', { password });
    setPassword('');
  });
  return (
    <Screen title="Unlock Petal" id="unlock">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run.act();
        }}
      >
        <Field label="Password" id="unlock-password">
          <input
            id="unlock-password"
            type="password"
            autoComplete="current-password"
            autoFocus
            aria-invalid={run.error ? true : undefined}
            aria-describedby={run.error ? 'unlock-error' : undefined}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <ErrorText error={run.error} id="unlock-error" />
        <button class="primary" type="submit" id="unlock-submit" disabled={run.busy || !password}>
          {run.busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
      <p class="small">
        Forgot your password?{' '}
        <a class="link" href="#/restore">
          Restore from your recovery phrase or a backup
        </a>
        .
      </p>
    </Screen>
  );
}

/** The stored record cannot be read: say so, and offer the two ways back. */
export function Damaged({ problem }: { problem: string | undefined }) {
  return (
    <Screen title="Wallet needs restoring" id="damaged">
      <p class="error" role="alert" id="damaged-problem">
        {problem ?? 'The wallet record cannot be read.'}
      </p>
      <Restore />
    </Screen>
  );
}

export function Restore() {
  return (
    <div class="stack">
      <a class="button primary" href="#/import-replace">
        Restore from recovery phrase
      </a>
      <a class="button" href="#/restore-backup-replace">
        Restore an encrypted backup
      </a>
    </div>
  );
}
