import { ErrorText, Field } from '../ui.tsx';

/** The part of a `useAction` result the form needs. */
interface AssembleAction {
  busy: boolean;
  error: string | undefined;
  act: () => Promise<unknown>;
  clear: () => void;
}

/**
 * The form where the vault's creator pastes the other members' join codes and makes the vault
 * (the invite screen, and the by-hand fallback of a formation). Ids `join-codes`,
 * `assemble-error` and `assemble` are what tests and screenshots use.
 */
export function JoinCodesForm({
  label,
  rows,
  primary = false,
  joins,
  setJoins,
  assemble,
}: {
  label: string;
  rows: number;
  /** Styled as the screen's main action. */
  primary?: boolean;
  joins: string;
  setJoins: (joins: string) => void;
  assemble: AssembleAction;
}) {
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void assemble.act();
      }}
      onInput={assemble.clear}
    >
      <Field label={label} id="join-codes">
        <textarea
          id="join-codes"
          rows={rows}
          value={joins}
          onInput={(e) => setJoins(e.currentTarget.value)}
        />
      </Field>
      <ErrorText error={assemble.error} id="assemble-error" />
      <button
        type="submit"
        class={primary ? 'primary' : undefined}
        id="assemble"
        disabled={assemble.busy || !joins}
      >
        Create the vault
      </button>
    </form>
  );
}
