import * as v from 'valibot';
import {
  InvalidParamsError,
  InvalidRequestError,
  RpcError,
  UnauthorizedError,
  UnsupportedMethodError,
  serializeError,
} from './errors.ts';
import {
  ENVELOPE_TAG,
  RequestEnvelope,
  type ResponseEnvelope,
  type Target,
  assertMessageSize,
} from './envelope.ts';
import {
  type MethodName,
  type MethodParams,
  type MethodResults,
  isMethodName,
  methodSpecs,
} from './methods.ts';
import { issuesData, issuesInWords } from './param-issues.ts';

/** Who sent a request, as established by the browser (sender info), never by the payload. */
export interface CallerInfo {
  /** 'page' for content-script relays, 'extension' for popup/offscreen/background pages. */
  kind: 'page' | 'extension';
  origin: string;
  /** The requesting document (pages only): its requests die with it. */
  documentId?: string;
  /** Stable id of this request across a re-send after a worker restart (pages only). */
  requestKey?: string;
}

export type Handler<M extends MethodName> = (
  params: MethodParams<M>,
  caller: CallerInfo,
) => Promise<MethodResults[M]> | MethodResults[M];

export type Handlers = { [M in MethodName]?: Handler<M> };

export interface RouterOptions {
  /**
   * The kinds of caller this context serves; anyone else is refused (4100) before the message
   * is parsed. Default: both. The offscreen network host serves the extension only: a content
   * script's runtime message reaches every extension context, the offscreen document included.
   */
  callers?: readonly CallerInfo['kind'][];
}

/**
 * One context's request handler. It validates everything that arrives (envelope shape, size,
 * method, params) before any handler runs and always answers with a response envelope: a bad
 * message can produce an error, never an exception in the host context.
 */
export class Router {
  readonly #target: Target;
  readonly #handlers: Handlers;
  readonly #callers: readonly CallerInfo['kind'][];

  constructor(target: Target, handlers: Handlers, options: RouterOptions = {}) {
    this.#target = target;
    this.#handlers = handlers;
    this.#callers = options.callers ?? ['page', 'extension'];
  }

  /** True if this router should answer the message (it is a request addressed to us). */
  accepts(message: unknown): boolean {
    return (
      typeof message === 'object' &&
      message !== null &&
      (message as { tag?: unknown }).tag === ENVELOPE_TAG &&
      (message as { kind?: unknown }).kind === 'request' &&
      (message as { target?: unknown }).target === this.#target
    );
  }

  async handle(message: unknown, caller: CallerInfo): Promise<ResponseEnvelope> {
    const id = extractId(message);
    try {
      if (!this.#callers.includes(caller.kind))
        throw new UnauthorizedError(`This context does not answer ${caller.kind} callers`);
      assertMessageSize(message);
      const parsed = v.safeParse(RequestEnvelope, message);
      if (!parsed.success) throw new InvalidRequestError('Malformed request envelope');
      const { method, params } = parsed.output;
      if (!isMethodName(method) || methodSpecs[method].target !== this.#target) {
        throw new UnsupportedMethodError(method);
      }
      const handler = this.#handlers[method] as Handler<MethodName> | undefined;
      if (!handler) throw new UnsupportedMethodError(method);
      const checked = v.safeParse(methodSpecs[method].params, params);
      if (!checked.success) {
        // People read this (popup forms, dApp users): plain words per field, not valibot's text.
        // Developers get the method and each field's problem as data.
        throw new InvalidParamsError(issuesInWords(checked.issues), {
          method,
          issues: issuesData(checked.issues),
        });
      }
      const result = await handler(checked.output as never, caller);
      return { tag: ENVELOPE_TAG, kind: 'response', id, result };
    } catch (err) {
      return { tag: ENVELOPE_TAG, kind: 'response', id, error: serializeError(err) };
    }
  }
}

function extractId(message: unknown): string {
  const id =
    typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : '';
  return typeof id === 'string' && id.length <= 64 ? id : '';
}

export { RpcError };
