import * as v from 'valibot';
import { BridgeResponse, ProviderRequestArgs, type BridgeRequest } from './bridge.ts';

/** The error shape dApps receive (EIP-1193 ProviderRpcError). */
export interface ProviderRpcError extends Error {
  code: number;
  data?: unknown;
}

export function providerError(
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

export const PROVIDER_EVENTS = [
  'accountsChanged',
  'networkChanged',
  'vaultsChanged',
  'sessionUpdate',
  'connect',
  'disconnect',
] as const;
export type ProviderEvent = (typeof PROVIDER_EVENTS)[number];

/** Messages the wallet pushes to the page: events, not replies. */
export const BridgeEvent = v.object({
  event: v.picklist(PROVIDER_EVENTS),
  data: v.optional(v.unknown()),
});

type Listener = (data: unknown) => void;

/**
 * The EIP-1193 provider behind `window.lotus`, independent of how messages travel (the page
 * script connects it to a MessageChannel port). It validates what it is given, correlates
 * replies by id, rejects anything malformed, and dispatches wallet events to listeners.
 */
export class PageProvider {
  readonly isPetal = true;
  readonly #post: (message: BridgeRequest) => void;
  readonly #pending = new Map<
    string,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly #listeners = new Map<ProviderEvent, Set<Listener>>();
  #nextId = 0;

  constructor(post: (message: BridgeRequest) => void) {
    this.#post = post;
  }

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
    const id = `p${++this.#nextId}`;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#post({ id, method: parsed.output.method, params: parsed.output.params });
      } catch {
        this.#pending.delete(id);
        reject(providerError(-32602, 'params must be structured-cloneable', 'InvalidParamsError'));
      }
    });
  }

  on(event: ProviderEvent, listener: Listener): this {
    if (!PROVIDER_EVENTS.includes(event) || typeof listener !== 'function') return this;
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  removeListener(event: ProviderEvent, listener: Listener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  /** Feed one message from the wallet side (a reply or an event); anything else is ignored. */
  receive(message: unknown): void {
    const reply = v.safeParse(BridgeResponse, message);
    if (reply.success) {
      const entry = this.#pending.get(reply.output.id);
      if (!entry) return;
      this.#pending.delete(reply.output.id);
      if ('error' in reply.output) {
        const { code, message: text, name, data } = reply.output.error;
        entry.reject(providerError(code, text, name, data));
      } else {
        entry.resolve(reply.output.result);
      }
      return;
    }
    const event = v.safeParse(BridgeEvent, message);
    if (!event.success) return;
    for (const listener of this.#listeners.get(event.output.event) ?? []) {
      try {
        listener(event.output.data);
      } catch {
        // A dApp's throwing listener must not stop the others or break the provider.
      }
    }
  }

  /** The wallet went away (extension reloaded): every open request fails with 4900. */
  disconnect(): void {
    for (const [id, entry] of this.#pending) {
      this.#pending.delete(id);
      entry.reject(providerError(4900, 'Petal disconnected', 'DisconnectedError'));
    }
  }
}

/** EIP-6963 provider info; `uuid` is fresh per page load as the EIP requires. */
export interface ProviderInfo {
  uuid: string;
  name: string;
  icon: string;
  rdns: string;
}

export const PETAL_RDNS = 'org.petal-wallet';
