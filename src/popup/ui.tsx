import { type ComponentChildren, Fragment, type JSX } from 'preact';
import { formatXpi } from '../core/wallet/amount.ts';

/** One screen: a heading (focused for screen readers on arrival), content, optional back link. */
export function Screen(props: {
  title: string;
  back?: string;
  children: ComponentChildren;
  id?: string;
}) {
  return (
    <section class="screen" id={props.id} aria-labelledby="screen-title">
      <div class="screen-head">
        {props.back !== undefined && (
          <a class="back" href={`#${props.back}`} aria-label="Back">
            ←
          </a>
        )}
        <h2 id="screen-title">{props.title}</h2>
      </div>
      {props.children}
    </section>
  );
}

export function Field(props: { label: string; id: string; hint?: string; children: JSX.Element }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <small class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </small>
      )}
    </div>
  );
}

export function ErrorText({ error, id }: { error: string | undefined; id?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" id={id}>
      {error}
    </p>
  );
}

/** Sats (decimal string) shown as XPI. */
export function Xpi({ sats, signed }: { sats: string; signed?: boolean }) {
  const value = BigInt(sats);
  const text = formatXpi(value);
  return (
    <span class="xpi">
      {signed && value > 0n ? '+' : ''}
      {text} XPI
    </span>
  );
}

/** A policy sentence from the wallet ("any 2 of …") as a sentence on screen. */
export const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;

/** A vault's spending policy in words, as every vault screen states it. */
export function WhoCanSpend({ id, text, small }: { id: string; text: string; small?: boolean }) {
  return (
    <p class={small ? 'policy small' : 'policy'} id={id}>
      <strong>Who can spend:</strong> {sentence(text)}
    </p>
  );
}

export function shortAddress(address: string): string {
  return address.length > 24 ? `${address.slice(0, 14)}…${address.slice(-8)}` : address;
}

/**
 * An address or txid for a person to read and compare: groups of four characters (after a
 * `lotus_`/`lotusR`/`lotusT` prefix) that wrap only between groups, so no line ends with a stray
 * tail. The gaps are margins, not characters: copying gives the exact string.
 */
export function Grouped({ text, id, class: extra }: { text: string; id?: string; class?: string }) {
  const prefix = /^lotus[_RT]/.exec(text)?.[0] ?? '';
  const groups = prefix ? [prefix] : [];
  for (let i = prefix.length; i < text.length; i += 4) groups.push(text.slice(i, i + 4));
  return (
    <span class={extra ? `grouped ${extra}` : 'grouped'} id={id}>
      {groups.map((group, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          <span>{group}</span>
        </Fragment>
      ))}
    </span>
  );
}
