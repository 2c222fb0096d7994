/**
 * How a vault's members are named to this user, in one place for the popup and the background:
 * the user's name for the member's key first (their contacts), then the member number, 1-based and
 * the same on every screen ("Alice (member 2)"), "You" for this wallet, and "Member 2" with a
 * short key for a member the user has not named. Core names members only by 0-based index; the
 * numbers people read are made here and nowhere else.
 */

/** Who the members of one vault are to this user. */
export interface Roster {
  /** This wallet's member index (-1 when it is not a member). */
  me: number;
  /** Member public keys (hex) by index, when known. */
  keys?: readonly string[];
  /** The user's contact names, by public key (lower-case hex). */
  names?: ReadonlyMap<string, string>;
}

/** A public key shortened for reading, long enough to tell members apart: "02ab12cd…ef90". */
export const shortKey = (hex: string) =>
  hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex;

/** The user's name for member `i`, if they gave one. */
export function nameOfMember(i: number, roster: Roster): string | undefined {
  const key = roster.keys?.[i];
  return key === undefined ? undefined : roster.names?.get(key.toLowerCase());
}

/**
 * A member in a sentence: "You", "Alice (member 2)" or "Member 2".
 * @example memberName(1, { me: 0, keys, names }) // → "Alice (member 2)"
 */
export function memberName(i: number, roster: Roster): string {
  if (i === roster.me) return 'You';
  const name = nameOfMember(i, roster);
  return name === undefined ? `Member ${i + 1}` : `${name} (member ${i + 1})`;
}

/**
 * A member where the card names one person (who proposed): as `memberName`, and for a member
 * the user has not named, the start of their key too: "Member 2 (02ab12cd…ef90)".
 */
export function memberWithKey(i: number, roster: Roster): string {
  const key = roster.keys?.[i];
  if (i === roster.me || nameOfMember(i, roster) !== undefined || key === undefined)
    return memberName(i, roster);
  return `Member ${i + 1} (${shortKey(key)})`;
}

/**
 * A member as a row of a list or table: the name on the first line; on the second the member
 * number and short key (only the key for an unnamed member, whose name line holds the number).
 * `withKey: false` leaves the key off named rows, for tables; unnamed rows keep their short key.
 * @example memberRow(1, roster) // → { name: 'Alice', detail: 'member 2 · 02ab12cd…ef90' }
 */
export function memberRow(
  i: number,
  roster: Roster,
  { withKey = true }: { withKey?: boolean } = {},
): { name: string; detail: string } {
  const key = roster.keys?.[i];
  const name = i === roster.me ? 'You' : nameOfMember(i, roster);
  if (name === undefined) {
    // The short key is the same on every screen, tables included: one form to compare.
    return { name: `Member ${i + 1}`, detail: key === undefined ? '' : shortKey(key) };
  }
  const keyPart = withKey && key !== undefined ? ` · ${shortKey(key)}` : '';
  return { name, detail: `member ${i + 1}${keyPart}` };
}

/**
 * Members in plain words, this wallet as "you": "Member 3", "Members 1 and 2", "you and Member 2",
 * "you, Alice (member 2) and Member 3" once any of them has a name.
 */
export function membersInWords(indices: readonly number[], roster: Roster): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const others = sorted.filter((i) => i !== roster.me);
  const words =
    others.length > 1 && others.every((i) => nameOfMember(i, roster) === undefined)
      ? [`Members ${andList(others.map((i) => String(i + 1)))}`]
      : others.map((i) => memberName(i, roster));
  return andList(sorted.includes(roster.me) ? ['you', ...words] : words);
}

/**
 * Everyone who can spend from a vault, in key order, as the policy sentence lists them
 * (describePolicy's `names`): members as `memberName` words with this wallet as "you", then the
 * recovery keys ("the recovery key", or "recovery key 1"… when there are several), the one this
 * wallet holds marked "(you)".
 * @example
 *   policyNames({ me: 0, keys, names }, { members: 2, recoveryKeys: 1 })
 *   // → ['you', 'Alice (member 2)', 'the recovery key']
 */
export function policyNames(
  roster: Roster,
  vault: { members: number; recoveryKeys?: number; myRecoveryKey?: number },
): string[] {
  const recoveryKeys = vault.recoveryKeys ?? 0;
  return [
    ...Array.from({ length: vault.members }, (_, i) =>
      i === roster.me ? 'you' : memberName(i, roster),
    ),
    ...Array.from(
      { length: recoveryKeys },
      (_, i) =>
        `${recoveryKeys === 1 ? 'the recovery key' : `recovery key ${i + 1}`}` +
        `${i === vault.myRecoveryKey ? ' (you)' : ''}`,
    ),
  ];
}

function andList(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
