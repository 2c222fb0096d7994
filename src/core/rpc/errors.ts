/**
 * Errors that cross a context boundary (page ↔ content ↔ background ↔ offscreen).
 * Codes follow EIP-1193 / JSON-RPC so dApp developers can branch on them.
 */
export const RpcErrorCode = {
  userRejected: 4001,
  unauthorized: 4100,
  unsupportedMethod: 4200,
  disconnected: 4900,
  invalidRequest: -32600,
  invalidParams: -32602,
  internal: -32603,
  /** Message larger than the router accepts; not a JSON-RPC code, Petal's own. */
  messageTooLarge: -32010,
  /** No response within the client's deadline. */
  timeout: -32011,
} as const;

export type RpcErrorCodeValue = (typeof RpcErrorCode)[keyof typeof RpcErrorCode];

/** The wire shape of an error: enough to rebuild a named error on the other side. */
export interface SerializedRpcError {
  name: string;
  code: number;
  message: string;
  data?: unknown;
}

/** An error that carries a numeric code and a stable name across contexts. */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, options: { name?: string; data?: unknown } = {}) {
    super(message);
    this.name = options.name ?? 'RpcError';
    this.code = code;
    this.data = options.data;
  }

  toJSON(): SerializedRpcError {
    const out: SerializedRpcError = { name: this.name, code: this.code, message: this.message };
    if (this.data !== undefined) out.data = this.data;
    return out;
  }
}

export class UnsupportedMethodError extends RpcError {
  constructor(method: string) {
    super(RpcErrorCode.unsupportedMethod, `Unsupported method: ${method}`, {
      name: 'UnsupportedMethodError',
    });
  }
}

export class InvalidParamsError extends RpcError {
  constructor(message: string, issues?: unknown) {
    super(RpcErrorCode.invalidParams, message, { name: 'InvalidParamsError', data: issues });
  }
}

export class InvalidRequestError extends RpcError {
  constructor(message: string) {
    super(RpcErrorCode.invalidRequest, message, { name: 'InvalidRequestError' });
  }
}

export class MessageTooLargeError extends RpcError {
  constructor(size: number, limit: number) {
    super(
      RpcErrorCode.messageTooLarge,
      `Message of ${size} bytes exceeds the ${limit}-byte limit`,
      {
        name: 'MessageTooLargeError',
        data: { size, limit },
      },
    );
  }
}

export class RpcTimeoutError extends RpcError {
  constructor(method: string, timeoutMs: number) {
    super(RpcErrorCode.timeout, `${method} timed out after ${timeoutMs} ms`, {
      name: 'RpcTimeoutError',
    });
  }
}

export class UnauthorizedError extends RpcError {
  constructor(message = 'The requested method has not been authorized by the user') {
    super(RpcErrorCode.unauthorized, message, { name: 'UnauthorizedError' });
  }
}

/** Turn anything thrown by a handler into the wire shape, hiding nothing but stacks. */
export function serializeError(err: unknown): SerializedRpcError {
  if (err instanceof RpcError) return err.toJSON();
  if (err instanceof Error) {
    // Core errors may carry their own numeric code; anything else is an internal error.
    const { code } = err as { code?: unknown };
    return {
      name: err.name,
      code: typeof code === 'number' ? code : RpcErrorCode.internal,
      message: err.message,
    };
  }
  return { name: 'Error', code: RpcErrorCode.internal, message: String(err) };
}

/** Rebuild a named RpcError from its wire shape (the inverse of serializeError). */
export function deserializeError(wire: SerializedRpcError): RpcError {
  return new RpcError(wire.code, wire.message, { name: wire.name, data: wire.data });
}
