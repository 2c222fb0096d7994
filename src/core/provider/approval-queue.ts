import { RpcError, RpcErrorCode } from '../rpc/errors.ts';

/**
 * Requests waiting for the user (connect, sign, send, vault spend). Each request keeps its own
 * slot: nothing overwrites anything. Queues are bounded per origin and overall, so a hostile page
 * flooding requests is refused without touching other sites' pending requests.
 */
export interface PendingRequest {
  id: string;
  origin: string;
  /** The browser's document id of the requesting page; a reload or navigation rejects its requests. */
  documentId: string;
  method: string;
  params: unknown;
  createdAt: number;
  /**
   * The requesting page's own id for this request (document + request). A page whose link to
   * the background dropped (worker restart) sends it again; the same key re-attaches to the
   * waiting entry instead of queueing a duplicate.
   */
  key?: string;
  /** What the approval window shows (decoded transaction, message, …). */
  details?: unknown;
}

/** Pending requests are persisted (without their promises) so they survive a worker restart. */
export interface ApprovalStorage {
  load(): Promise<PendingRequest[]>;
  save(requests: PendingRequest[]): Promise<void>;
}

export class UserRejectedError extends RpcError {
  constructor(message = 'The user rejected the request') {
    super(RpcErrorCode.userRejected, message, { name: 'UserRejectedError' });
  }
}

export class RequestLimitError extends RpcError {
  constructor(message: string) {
    // EIP-1474's "limit exceeded".
    super(-32005, message, { name: 'RequestLimitError' });
  }
}

export class RequestGoneError extends RpcError {
  constructor(reason: string) {
    super(RpcErrorCode.disconnected, reason, { name: 'RequestGoneError' });
  }
}

/**
 * The approval window asked to approve a request it has not shown for the arming delay (or not
 * at all): the click or Enter was meant for something else. Nothing was approved.
 */
export class ApprovalNotArmedError extends RpcError {
  constructor() {
    super(
      RpcErrorCode.invalidRequest,
      'This request has just appeared; read it, then approve it again',
      { name: 'ApprovalNotArmedError' },
    );
  }
}

/**
 * How long a request must have been on screen before the user's approval counts. A click or an
 * Enter aimed at the previous request (or typed while the window opened) lands inside it.
 */
export const APPROVAL_ARMING_MS = 500;

export interface ApprovalQueueOptions {
  maxPerOrigin?: number;
  maxTotal?: number;
  now?: () => number;
  nextId?: () => string;
  /** Overrides APPROVAL_ARMING_MS (tests). */
  armingMs?: number;
}

type Settle = { resolve: (value: unknown) => void; reject: (err: Error) => void };

export class ApprovalQueue {
  readonly #storage: ApprovalStorage;
  readonly #maxPerOrigin: number;
  readonly #maxTotal: number;
  readonly #now: () => number;
  readonly #nextId: () => string;
  readonly #armingMs: number;
  #pending: PendingRequest[] = [];
  /** The request the window was last handed as the one to show, and when. */
  #presented: { id: string; at: number } | undefined;
  readonly #waiters = new Map<string, Settle>();
  readonly #listeners = new Set<(pending: readonly PendingRequest[]) => void>();
  #loaded: Promise<void> | undefined;

  constructor(storage: ApprovalStorage, options: ApprovalQueueOptions = {}) {
    this.#storage = storage;
    this.#maxPerOrigin = options.maxPerOrigin ?? 5;
    this.#maxTotal = options.maxTotal ?? 50;
    this.#now = options.now ?? Date.now;
    this.#nextId = options.nextId ?? (() => crypto.randomUUID());
    this.#armingMs = options.armingMs ?? APPROVAL_ARMING_MS;
  }

  /** Restores requests persisted before a restart (their callers are gone; they stay listed). */
  load(): Promise<void> {
    this.#loaded ??= this.#storage.load().then((stored) => {
      this.#pending = stored;
    });
    return this.#loaded;
  }

  /** Queues a request and resolves when the user approves (with the approval's result). */
  async enqueue(request: Omit<PendingRequest, 'id' | 'createdAt'>): Promise<unknown> {
    await this.load();
    const resumed = request.key && this.#pending.find((p) => p.key === request.key);
    if (resumed && resumed.origin === request.origin) return this.#wait(resumed.id);
    if (this.#pending.length >= this.#maxTotal) {
      throw new RequestLimitError('Too many requests are waiting for approval; try again later');
    }
    const fromOrigin = this.#pending.filter((p) => p.origin === request.origin).length;
    if (fromOrigin >= this.#maxPerOrigin) {
      throw new RequestLimitError(`${request.origin} already has ${fromOrigin} requests waiting`);
    }
    const entry: PendingRequest = { ...request, id: this.#nextId(), createdAt: this.#now() };
    this.#pending = [...this.#pending, entry];
    const settled = this.#wait(entry.id);
    await this.#changed();
    return settled;
  }

  /** A restored entry still waiting for its page (false once the page asked again). */
  orphaned(id: string): boolean {
    return this.get(id) !== undefined && !this.#waiters.has(id);
  }

  #wait(id: string): Promise<unknown> {
    // A re-sent request replaces the waiter of the link that dropped.
    this.#waiters.get(id)?.reject(new RequestGoneError('The request was sent again'));
    return new Promise<unknown>((resolve, reject) => {
      this.#waiters.set(id, { resolve, reject });
    });
  }

  list(): readonly PendingRequest[] {
    return this.#pending;
  }

  /**
   * What the approval window shows, in order: every request somebody still waits for (restored
   * orphans are left out until their page asks again). The first is the one on screen; it is
   * noted as presented now unless it already was, which starts its arming delay.
   */
  async present(): Promise<PendingRequest[]> {
    await this.load();
    const visible = this.#pending.filter((p) => !this.orphaned(p.id));
    const [head] = visible;
    if (!head) this.#presented = undefined;
    else if (this.#presented?.id !== head.id) this.#presented = { id: head.id, at: this.#now() };
    return visible;
  }

  /**
   * The user approved `id` in the window. Counts only for the request the window was handed to
   * show (`present`), and only once it has been on screen for the arming delay: when the head
   * changes under the pointer (another page's request disappeared), the click is refused.
   * @throws ApprovalNotArmedError, or RequestGoneError if `id` is no longer waiting.
   */
  async confirm(id: string, result: unknown): Promise<void> {
    await this.load();
    if (!this.get(id)) throw new RequestGoneError(`No pending request ${id}`);
    const shown = this.#presented;
    if (shown?.id !== id || this.#now() - shown.at < this.#armingMs)
      throw new ApprovalNotArmedError();
    await this.approve(id, result);
  }

  get(id: string): PendingRequest | undefined {
    return this.#pending.find((p) => p.id === id);
  }

  async approve(id: string, result: unknown): Promise<void> {
    const waiter = await this.#take(id);
    waiter?.resolve(result);
  }

  async reject(id: string, error: Error = new UserRejectedError()): Promise<void> {
    const waiter = await this.#take(id);
    waiter?.reject(error);
  }

  /** A page reloaded or navigated away: its requests can no longer be answered. */
  async dropDocument(documentId: string): Promise<void> {
    const gone = this.#pending.filter((p) => p.documentId === documentId);
    for (const request of gone) {
      await this.reject(
        request.id,
        new RequestGoneError('The page that made this request has gone'),
      );
    }
  }

  subscribe(listener: (pending: readonly PendingRequest[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #take(id: string): Promise<Settle | undefined> {
    await this.load();
    if (!this.get(id)) throw new RequestGoneError(`No pending request ${id}`);
    this.#pending = this.#pending.filter((p) => p.id !== id);
    if (this.#presented?.id === id) this.#presented = undefined;
    const waiter = this.#waiters.get(id);
    this.#waiters.delete(id);
    await this.#changed();
    return waiter;
  }

  async #changed(): Promise<void> {
    await this.#storage.save(this.#pending);
    for (const listener of this.#listeners) listener(this.#pending);
  }
}
