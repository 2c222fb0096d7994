/** Named errors so callers branch on `err.name`, and contributions name their culprit. */
export class CryptoError extends Error {
  override name = 'CryptoError';
}

/** A caller passed bytes of the wrong length, out of range, or not a point on the curve. */
export class InvalidInputError extends CryptoError {
  override name = 'InvalidInputError';
}

export type Contribution = 'pubkey' | 'pubnonce' | 'psig';

/**
 * One signer's contribution is invalid. The P2P layer turns `signerIndex` into blame evidence
 * ("signer #2 sent an invalid partial signature").
 */
export class InvalidContributionError extends CryptoError {
  override name = 'InvalidContributionError';
  readonly signerIndex: number;
  readonly contribution: Contribution;

  constructor(signerIndex: number, contribution: Contribution, detail: string) {
    super(`Signer #${signerIndex} sent an invalid ${contribution}: ${detail}`);
    this.signerIndex = signerIndex;
    this.contribution = contribution;
  }
}

/** A secret nonce was used a second time; signing twice with one nonce leaks the key. */
export class NonceReuseError extends CryptoError {
  override name = 'NonceReuseError';
}
