import * as v from 'valibot';
import { RpcTimeoutError, deserializeError, InvalidRequestError } from './errors.ts';
import {
  ENVELOPE_TAG,
  type RequestEnvelope,
  ResponseEnvelope,
  assertMessageSize,
} from './envelope.ts';
import { type MethodName, type MethodParams, type MethodResults, methodSpecs } from './methods.ts';

/** Sends one envelope and resolves with whatever came back (the raw reply). */
export type SendFn = (envelope: RequestEnvelope) => Promise<unknown>;

export interface RpcClientOptions {
  timeoutMs?: number;
  /** Source of request ids; injectable so tests are deterministic. */
  nextId?: () => string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The calling side of the router: builds envelopes with unique ids, enforces a deadline, checks
 * the reply is a response to *this* request, and rethrows remote errors with their name and code.
 */
export class RpcClient {
  readonly #send: SendFn;
  readonly #timeoutMs: number;
  readonly #nextId: () => string;

  constructor(send: SendFn, options: RpcClientOptions = {}) {
    this.#send = send;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#nextId = options.nextId ?? (() => crypto.randomUUID());
  }

  async request<M extends MethodName>(
    method: M,
    params?: MethodParams<M>,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<MethodResults[M]> {
    const envelope: RequestEnvelope = {
      tag: ENVELOPE_TAG,
      kind: 'request',
      id: this.#nextId(),
      target: methodSpecs[method].target,
      method,
      params,
    };
    assertMessageSize(envelope);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const reply = await withDeadline(this.#send(envelope), timeoutMs, method, options.signal);
    const parsed = v.safeParse(ResponseEnvelope, reply);
    if (!parsed.success || parsed.output.id !== envelope.id) {
      throw new InvalidRequestError(`Malformed response to ${method}`);
    }
    if ('error' in parsed.output) throw deserializeError(parsed.output.error);
    return parsed.output.result as MethodResults[M];
  }
}

function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  method: string,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RpcTimeoutError(method, timeoutMs)), timeoutMs);
    const onAbort = () => reject(signal?.reason ?? new Error('Aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}
