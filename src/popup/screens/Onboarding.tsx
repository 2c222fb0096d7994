import { useState } from 'preact/hooks';
import { ErrorText, Field, Screen } from '../ui.tsx';
import { useAction, useRpc } from '../state.ts';

export function Welcome() {
  return (
    <Screen title="Welcome to Petal" id="welcome">
      <p class="lead">A Lotus wallet whose shared vaults sign peer to peer.</p>
      <div class="stack">
        <a class="button primary" href="#/create" id="start-create">
          Create a new wallet
        </a>
        <a class="button" href="#/import" id="start-import">
          Import a recovery phrase
        </a>
        <a class="button" href="#/restore-backup" id="start-restore">
          Restore an encrypted backup
        </a>
        <a class="link" href="#/settings">
          Network settings
        </a>
      </div>
    </Screen>
  );
}

/** Password and length first, then the phrase (shown once), then three of its words back. */
export function CreateWallet() {
  const rpc = useRpc();
  const [step, setStep] = useState<'password' | 'phrase' | 'confirm'>('password');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [words, setWords] = useState<12 | 24>(12);
  const [phrase, setPhrase] = useState<{ mnemonic: string; confirm: number[] }>();
  const [written, setWritten] = useState(false);
  const [answers, setAnswers] = useState<string[]>([]);
  const generate = useAction(async () => {
    if (password.length < 8) throw new Error('Use at least 8 characters');
    if (password !== repeat) throw new Error('The passwords do not match');
    setPhrase(await rpc.request('petal_walletNewMnemonic', { words }));
    setStep('phrase');
  });
  const create = useAction(async () => {
    await rpc.request('petal_walletCreate', { password, words: answers });
    location.hash = '/';
  });

  if (step === 'password')
    return (
      <Screen title="Create a wallet" back="/" id="create-password">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void generate.act();
          }}
        >
          <Field label="New password" id="new-password" hint="At least 8 characters">
            <input
              id="new-password"
              type="password"
              autoComplete="new-password"
              autoFocus
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </Field>
          <Field label="Repeat the password" id="repeat-password">
            <input
              id="repeat-password"
              type="password"
              autoComplete="new-password"
              value={repeat}
              onInput={(e) => setRepeat(e.currentTarget.value)}
            />
          </Field>
          <fieldset class="choice">
            <legend>Recovery phrase length</legend>
            {([12, 24] as const).map((n) => (
              <label key={n}>
                <input
                  type="radio"
                  name="words"
                  checked={words === n}
                  onChange={() => setWords(n)}
                />{' '}
                {n} words
              </label>
            ))}
          </fieldset>
          <ErrorText error={generate.error} />
          <button class="primary" type="submit" id="create-next" disabled={generate.busy}>
            Continue
          </button>
        </form>
      </Screen>
    );

  if (step === 'phrase' && phrase)
    return (
      <Screen title="Your recovery phrase" id="create-phrase">
        <p class="warn">
          Write these words down in order and keep them offline. Anyone with them can take your
          funds; Petal shows them only now.
        </p>
        <ol class="phrase" id="phrase-words">
          {phrase.mnemonic.split(' ').map((word, i) => (
            <li key={i}>
              <span class="n">{i + 1}</span> <span class="w">{word}</span>
            </li>
          ))}
        </ol>
        <label class="check">
          <input
            type="checkbox"
            id="phrase-written"
            checked={written}
            onChange={(e) => setWritten(e.currentTarget.checked)}
          />{' '}
          I have written down my recovery phrase
        </label>
        <button
          class="primary"
          type="button"
          id="phrase-next"
          disabled={!written}
          onClick={() => setStep('confirm')}
        >
          Continue
        </button>
      </Screen>
    );

  return (
    <Screen title="Confirm your phrase" id="create-confirm">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void create.act();
        }}
      >
        <p>Type these words from your recovery phrase.</p>
        {phrase?.confirm.map((index, i) => (
          <Field key={index} label={`Word #${index + 1}`} id={`confirm-word-${i}`}>
            <input
              id={`confirm-word-${i}`}
              autoComplete="off"
              autoCapitalize="off"
              spellcheck={false}
              autoFocus={i === 0}
              value={answers[i] ?? ''}
              onInput={(e) => {
                const next = [...answers];
                next[i] = e.currentTarget.value;
                setAnswers(next);
              }}
            />
          </Field>
        ))}
        <ErrorText error={create.error} />
        <div class="row">
          <button type="button" onClick={() => setStep('phrase')}>
            Show the words again
          </button>
          <button class="primary" type="submit" id="create-finish" disabled={create.busy}>
            {create.busy ? 'Creating…' : 'Create wallet'}
          </button>
        </div>
      </form>
    </Screen>
  );
}

/** Import a phrase; with `replace` it restores over an existing wallet (forgotten password). */
export function ImportWallet({ replace }: { replace: boolean }) {
  const rpc = useRpc();
  const [mnemonic, setMnemonic] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const run = useAction(async () => {
    if (password !== repeat) throw new Error('The passwords do not match');
    await rpc.request('petal_walletImport', { mnemonic, password, replace });
    location.hash = '/';
  });
  return (
    <Screen title="Import a recovery phrase" back="/" id="import">
      {replace && (
        <p class="warn">This replaces the wallet stored in this browser with the imported one.</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run.act();
        }}
      >
        <Field label="Recovery phrase (12 or 24 words)" id="import-phrase">
          <textarea
            id="import-phrase"
            rows={3}
            autoFocus
            autoComplete="off"
            spellcheck={false}
            value={mnemonic}
            onInput={(e) => setMnemonic(e.currentTarget.value)}
          />
        </Field>
        <Field label="New password" id="import-password" hint="At least 8 characters">
          <input
            id="import-password"
            type="password"
            autoComplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <Field label="Repeat the password" id="import-repeat">
          <input
            id="import-repeat"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onInput={(e) => setRepeat(e.currentTarget.value)}
          />
        </Field>
        <ErrorText error={run.error} />
        <button class="primary" type="submit" id="import-submit" disabled={run.busy}>
          {run.busy ? 'Importing…' : 'Import'}
        </button>
      </form>
    </Screen>
  );
}

/** Restore everything from a backup file; its password becomes the wallet password. */
export function RestoreBackup({ replace }: { replace: boolean }) {
  const rpc = useRpc();
  const [backup, setBackup] = useState('');
  const [password, setPassword] = useState('');
  const run = useAction(async () => {
    await rpc.request('petal_walletImportBackup', { backup, password, replace });
    location.hash = '/';
  });
  return (
    <Screen title="Restore a backup" back="/" id="restore-backup">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run.act();
        }}
      >
        <Field label="Backup file" id="backup-file">
          <input
            id="backup-file"
            type="file"
            accept="application/json,.json"
            onChange={async (e) => {
              const file = e.currentTarget.files?.[0];
              if (file) setBackup(await file.text());
            }}
          />
        </Field>
        <Field label="Backup password" id="backup-password">
          <input
            id="backup-password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <ErrorText error={run.error} />
        <button class="primary" type="submit" disabled={run.busy || !backup}>
          Restore
        </button>
      </form>
    </Screen>
  );
}
