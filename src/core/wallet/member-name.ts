/**
 * The name a member chooses for themself when a vault is formed ("Alice", "Bob's phone"): it
 * travels in the invite (the creator's) and in formation frames, so it is bounded in UTF-8 bytes,
 * and refused (never cut) when it is empty, too long or carries control characters.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { VaultError } from './vault-error.ts';

export const MAX_MEMBER_NAME_BYTES = 32;

// Control characters (C0, DEL, C1) and bidi overrides would let a name disguise itself on screen.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * The name as it will travel: trimmed, 1 to 32 bytes of UTF-8, no control characters.
 * @throws VaultError saying what is wrong.
 * @example
 *   checkMemberName('  Alice ') // 'Alice'
 */
export function checkMemberName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new VaultError('Give yourself a name the others will see');
  const bytes = utf8ToBytes(trimmed).length;
  if (bytes > MAX_MEMBER_NAME_BYTES)
    throw new VaultError(
      `A member name is at most ${MAX_MEMBER_NAME_BYTES} bytes (accented letters and emoji take ` +
        `2–4 each); this one is ${bytes}`,
    );
  if (UNSAFE.test(trimmed)) throw new VaultError('A member name cannot hold control characters');
  return trimmed;
}
