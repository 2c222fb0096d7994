import { ErrorText, Field } from '../ui.tsx';

/** The part of a `useAction` result the form needs. */
interface ImportAction {
  busy: boolean;
  error: string | undefined;
  act: () => Promise<unknown>;
  clear: () => void;
}

/**
 * The import form for a JSON-lines file (contacts, BIP-329 labels): pick a file or paste its
 * lines, then import. Element ids are `<idPrefix>-file`, `-text`, `-import-error` and `-import`,
 * which tests and screenshots rely on.
 */
export function JsonLinesImportForm({
  idPrefix,
  fileLabel,
  text,
  setText,
  action,
  clearErrorOnInput = false,
}: {
  idPrefix: string;
  fileLabel: string;
  text: string;
  setText: (text: string) => void;
  action: ImportAction;
  /** Drop the import error as soon as the person edits the form. */
  clearErrorOnInput?: boolean;
}) {
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void action.act();
      }}
      onInput={clearErrorOnInput ? action.clear : undefined}
    >
      <Field label={fileLabel} id={`${idPrefix}-file`}>
        <input
          id={`${idPrefix}-file`}
          type="file"
          accept=".jsonl,.json,.txt,application/json"
          onChange={async (e) => {
            const file = e.currentTarget.files?.[0];
            if (file) setText(await file.text());
          }}
        />
      </Field>
      <Field label="…or paste its lines" id={`${idPrefix}-text`}>
        <textarea
          id={`${idPrefix}-text`}
          rows={4}
          spellcheck={false}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </Field>
      <ErrorText error={action.error} id={`${idPrefix}-import-error`} />
      <button type="submit" id={`${idPrefix}-import`} disabled={action.busy || !text.trim()}>
        Import
      </button>
    </form>
  );
}
