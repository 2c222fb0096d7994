/**
 * Page-world script: defines `window.lotus`, the EIP-1193-shaped provider dApps call. It holds no
 * secrets and trusts nothing; it only turns `request()` calls into messages on a private port.
 */
import * as v from 'valibot';
import { BRIDGE_HELLO, BridgeResponse, ProviderRequestArgs } from '../core/provider/bridge.ts';

interface ProviderRpcError extends Error {
  code: number;
  data?: unknown;
}

function providerError(
  code: number,
  message: string,
  name = 'ProviderRpcError',
  data?: unknown,
): ProviderRpcError {
  const err = new Error(message) as ProviderRpcError;
  err.name = name;
  err.code = code;
  if (data !== undefined) err.data = data;
  return err;
}

const channel = new MessageChannel();
const pending = new Map<
  string,
  { resolve: (value: unknown) => void; reject: (err: Error) => void }
>();
let nextId = 0;

channel.port1.onmessage = (event: MessageEvent) => {
  const parsed = v.safeParse(BridgeResponse, event.data);
  if (!parsed.success) return;
  const entry = pending.get(parsed.output.id);
  if (!entry) return;
  pending.delete(parsed.output.id);
  if ('error' in parsed.output) {
    const { code, message, name, data } = parsed.output.error;
    entry.reject(providerError(code, message, name, data));
  } else {
    entry.resolve(parsed.output.result);
  }
};
window.postMessage({ type: BRIDGE_HELLO }, window.location.origin, [channel.port2]);

const provider = Object.freeze({
  isPetal: true,
  request(args: unknown): Promise<unknown> {
    const parsed = v.safeParse(ProviderRequestArgs, args);
    if (!parsed.success) {
      return Promise.reject(
        providerError(
          -32600,
          'request() expects { method: string, params?: unknown }',
          'InvalidRequestError',
        ),
      );
    }
    const id = `p${++nextId}`;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        channel.port1.postMessage({
          id,
          method: parsed.output.method,
          params: parsed.output.params,
        });
      } catch {
        pending.delete(id);
        reject(providerError(-32602, 'params must be structured-cloneable', 'InvalidParamsError'));
      }
    });
  },
});

// Never clobber another wallet's object; a page that already has window.lotus keeps it.
if (!Object.hasOwn(window, 'lotus')) {
  Object.defineProperty(window, 'lotus', {
    value: provider,
    writable: false,
    configurable: false,
    enumerable: true,
  });
}
