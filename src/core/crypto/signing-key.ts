/**
 * A secret key held with its public key, so the key pair is derived once (when a wallet unlocks
 * or starts serving a vault) rather than once per signature, nonce or envelope.
 */
import { G, compress, intTo32, secretKeyScalar } from './curve.ts';
import { CryptoError } from './errors.ts';

export class SigningKey {
  readonly #x: bigint;
  /** The 33-byte compressed public key x·G. */
  readonly publicKey: Uint8Array;

  /** @throws InvalidInputError for a key that is not 32 bytes in [1, n−1]. */
  constructor(secretKey: Uint8Array) {
    this.#x = secretKeyScalar(secretKey);
    this.publicKey = compress(G.multiply(this.#x));
  }

  /** @internal The scalar, for the signing functions of this layer only. */
  scalar(): bigint {
    return this.#x;
  }

  /** @internal The 32 secret bytes, for nonce derivations that hash the key. */
  secretBytes(): Uint8Array {
    return intTo32(this.#x);
  }

  /** Like a secret nonce, a signing key refuses to be serialised. */
  toJSON(): never {
    throw new CryptoError('a signing key must never be serialised');
  }

  toString(): string {
    return '[SigningKey]';
  }
}

/** A raw 32-byte secret key or one already held as a SigningKey. */
export type SecretKey = Uint8Array | SigningKey;

/** The SigningKey for either form (a raw key costs one x·G). */
export function signingKeyOf(key: SecretKey): SigningKey {
  return key instanceof SigningKey ? key : new SigningKey(key);
}
