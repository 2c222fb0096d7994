import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { bech32m } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { regtest } from '../../../src/core/chain/network.ts';
import { schnorrSign } from '../../../src/core/crypto/index.ts';
import { taggedHash } from '../../../src/core/crypto/hash.ts';
import { VaultError } from '../../../src/core/wallet/vault.ts';
import { createInvite, readInvite } from '../../../src/core/wallet/vault-invite.ts';

const creator = hexToBytes('29'.padStart(64, '0'));
const now = 1_800_000_000;
const LABEL_AT = 57;

/** An invite whose label bytes are replaced by `label`, signed by its creator all the same. */
function inviteWithLabelBytes(label: Uint8Array, threshold?: number): string {
  const { code } = createInvite(creator, {
    network: regtest,
    memberCount: 3,
    label: 'x'.repeat(label.length),
    now,
    ...(threshold ? { threshold } : {}),
  });
  const bytes = bech32m.fromWords(bech32m.decode(code as `${string}1${string}`, 1000).words);
  const payload = bytes.slice(0, bytes.length - 64);
  payload.set(label, LABEL_AT);
  const sig = schnorrSign(taggedHash('Petal/vault-invite', payload), creator);
  return bech32m.encode('petalinvite', bech32m.toWords(concatBytes(payload, sig)), 1000);
}

describe('an invite whose label is not UTF-8', () => {
  for (const [what, label] of [
    ['a stray continuation byte', Uint8Array.of(0x41, 0x80)],
    ['a truncated sequence', Uint8Array.of(0xe2, 0x82)],
    ['an overlong encoding', Uint8Array.of(0xc0, 0xaf)],
    ['a lone surrogate', Uint8Array.of(0xed, 0xa0, 0x80)],
  ] as const)
    for (const threshold of [undefined, 2])
      it(`is refused with a VaultError, not a TypeError (${what}, version ${threshold ? 2 : 1})`, () => {
        const code = inviteWithLabelBytes(label, threshold);
        let thrown: unknown;
        try {
          readInvite(code, { now });
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(VaultError);
        expect(thrown).toMatchObject({ message: 'Invite label is not valid text' });
      });
});
