/**
 * Named errors of the signing protocol, so callers branch on `err.name`. Decoding failures are
 * `MessageDecodeError` (in envelope.ts) and carry a reason code.
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** The session id is not one this service knows (never seen, or already cleaned up). */
export class UnknownSessionError extends ProtocolError {
  override name = 'UnknownSessionError';
}

/** The vault is not registered with the service, or this wallet is not one of its members. */
export class UnknownVaultError extends ProtocolError {
  override name = 'UnknownVaultError';
}

/**
 * A proposal this member refuses to sign (reason code says why, message says it for humans).
 * checkSpend (spend-check.ts) lists its codes; those for a spend lotusd would not relay are dust,
 * fee-too-low, op-return, tx-size, tx-version and nonstandard-output, with amounts in XPI.
 */
export class ProposalRefusedError extends ProtocolError {
  override name = 'ProposalRefusedError';
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The member's partial signature already left the device, so its approval stands. */
export class RevokeTooLateError extends ProtocolError {
  override name = 'RevokeTooLateError';
}

/** The session is not in a state that allows the operation (expired, finished, aborted). */
export class SessionStateError extends ProtocolError {
  override name = 'SessionStateError';
}

/** The service was stopped or the caller's signal aborted the operation. */
export class ServiceStoppedError extends ProtocolError {
  override name = 'ServiceStoppedError';
}
