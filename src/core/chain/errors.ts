/** Named chain errors: callers branch on `err.name`. */
export class ChainError extends Error {
  override name = 'ChainError';
}

/** Bytes that are truncated, overlong or otherwise not a valid encoding. */
export class DecodeError extends ChainError {
  override name = 'DecodeError';
}

/** An address with a bad checksum, an unknown type or the wrong network. */
export class AddressError extends ChainError {
  override name = 'AddressError';
}

/** An amount that is negative, above MAX_MONEY, or overflows a sum. */
export class AmountError extends ChainError {
  override name = 'AmountError';
}

/** A sighash that cannot be computed (e.g. SINGLE without a matching output, bad hash type). */
export class SighashError extends ChainError {
  override name = 'SighashError';
}

/** Script that cannot be parsed or that fails; `reason` is a stable machine-readable code. */
export class ScriptError extends ChainError {
  override name = 'ScriptError';
  readonly reason: string;
  constructor(reason: string, message = reason) {
    super(message);
    this.reason = reason;
  }
}
