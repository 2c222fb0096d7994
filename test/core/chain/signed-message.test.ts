import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { mainnet, regtest } from '../../../src/core/chain/index.ts';
import {
  SignedMessageError,
  messageAddresses,
  recoverMessageKey,
  signMessage,
  verifyMessage,
} from '../../../src/core/chain/signed-message.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import { xpiMessage } from '../../support/xpi-ts.ts';

describe('signed messages', () => {
  it('round-trips and verifies against both of the key’s addresses', () => {
    const sk = randomBytes(32);
    const pk = getPublicKey(sk);
    const signature = signMessage('Log in to example.org: nonce 42', sk);
    expect(recoverMessageKey('Log in to example.org: nonce 42', signature)).toEqual(pk);
    for (const address of messageAddresses(pk, regtest))
      expect(verifyMessage('Log in to example.org: nonce 42', signature, address, regtest)).toBe(
        true,
      );
    const [p2pkh] = messageAddresses(pk, regtest);
    expect(verifyMessage('Log in to example.org: nonce 43', signature, p2pkh!, regtest)).toBe(
      false,
    );
    const [other] = messageAddresses(getPublicKey(randomBytes(32)), regtest);
    expect(verifyMessage('Log in to example.org: nonce 42', signature, other!, regtest)).toBe(
      false,
    );
  });

  it('matches xpi-ts Message in both directions', () => {
    for (let i = 0; i < 5; i++) {
      const sk = randomBytes(32);
      const pk = getPublicKey(sk);
      const text = `message ${i} ✓ ${'x'.repeat(i * 90)}`;
      expect(xpiMessage.verifyWithKey(text, pk, signMessage(text, sk))).toBe(true);
      const theirs = xpiMessage.sign(text, sk);
      const [p2pkh] = messageAddresses(pk, mainnet);
      expect(verifyMessage(text, theirs, p2pkh!, mainnet)).toBe(true);
    }
  });

  it('rejects malformed signatures and oversized messages with typed errors', () => {
    expect(() => recoverMessageKey('m', 'not base64!')).toThrow(SignedMessageError);
    expect(() => recoverMessageKey('m', Buffer.alloc(64).toString('base64'))).toThrow(
      SignedMessageError,
    );
    expect(() => signMessage('x'.repeat(20_000), randomBytes(32))).toThrow(SignedMessageError);
    const sig = Buffer.from(signMessage('m', randomBytes(32)), 'base64');
    sig[10] = (sig[10] as number) ^ 1;
    const [address] = messageAddresses(getPublicKey(randomBytes(32)), mainnet);
    expect(verifyMessage('m', sig.toString('base64'), address!, mainnet)).toBe(false);
  });
});
