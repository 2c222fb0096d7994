import { RpcError, RpcErrorCode } from '../rpc/errors.ts';

/**
 * Grants are per origin, so Petal serves only pages with a real (tuple) origin: `http(s)://host`.
 * A sandboxed page (`Content-Security-Policy: sandbox`, a sandboxed frame) has an opaque origin
 * that serialises as "null" whatever its host: one grant to "null" would be shared by every
 * sandboxed page on every host, and the user could not tell who asks. Such pages are refused.
 * @example
 *   isOpaqueOrigin('null'); // true
 *   isOpaqueOrigin('https://dapp.example'); // false
 */
export function isOpaqueOrigin(origin: string): boolean {
  return !/^https?:\/\/[^\s/?#]+$/.test(origin);
}

/** What a page with an opaque origin receives for every request (docs/PROVIDER.md, errors). */
export class OpaqueOriginError extends RpcError {
  constructor() {
    super(
      RpcErrorCode.unauthorized,
      'Petal does not serve sandboxed pages (their origin is opaque); open the dApp in a normal page',
      { name: 'OpaqueOriginError' },
    );
  }
}
