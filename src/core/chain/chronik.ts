/**
 * The wallet's view of the chain, through the Chronik indexer every Lotus wallet uses.
 *
 * HTTP goes through chronik-client 0.19 (`ChronikClient`, the legacy protobuf API the Lotus
 * servers speak). In an MV3 service worker there is no XMLHttpRequest; axios ≥ 1.7 then falls back
 * to its fetch adapter, which the e2e tests exercise against the devnet.
 *
 * Live updates do NOT use the package's `WsEndpoint`: its message handler tests
 * `data instanceof Buffer`, a ReferenceError in browsers (no `Buffer` global), and on a dropped
 * connection it reconnects in a tight loop with no backoff and an unhandled rejection when every
 * endpoint is down. `ChronikSocket` below speaks the same protocol with the package's own generated
 * codecs (`Subscription`, `SubscribeMsg`) over the platform WebSocket, with backoff.
 *
 * Every request has a deadline and idempotent ones are retried with exponential backoff; the
 * connection state (`online` / `connecting` / `offline`) is observable so the UI can show it.
 */
import { ChronikClient, type Tx as ChronikTx, type ScriptType } from 'chronik-client';
import * as proto from 'chronik-client/dist/proto/chronik.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ChainError } from './errors.ts';
import { classifyScript } from './templates.ts';

export interface IndexedUtxo {
  txid: string;
  vout: number;
  value: bigint;
  script: Uint8Array;
  /** -1 while in the mempool. */
  blockHeight: number;
  isCoinbase: boolean;
}

export interface IndexedInput {
  txid: string;
  vout: number;
  value: bigint;
  script?: Uint8Array;
}

export interface IndexedOutput {
  value: bigint;
  script: Uint8Array;
  spentBy?: { txid: string; vin: number };
}

export interface IndexedTx {
  txid: string;
  inputs: IndexedInput[];
  outputs: IndexedOutput[];
  /** Absent while unconfirmed. */
  block?: { height: number; hash: string; timestamp: number };
  timeFirstSeen: number;
  size: number;
  isCoinbase: boolean;
}

export interface ChainTip {
  height: number;
  hash: string;
  /** Median time past of the tip: decides whether replay protection is active. */
  medianTime: number;
}

export type ChainEvent =
  | { type: 'tx-added' | 'tx-removed' | 'tx-confirmed' | 'tx-reorg'; txid: string }
  | { type: 'block-connected' | 'block-disconnected'; blockHash: string }
  | { type: 'error'; message: string };

export type ConnectionState =
  { state: 'online' } | { state: 'connecting' } | { state: 'offline'; error: string };

/** What the wallet needs from an indexer; `ChronikIndexer` is the implementation. */
export interface ChainIndexer {
  tip(): Promise<ChainTip>;
  utxos(script: Uint8Array): Promise<IndexedUtxo[]>;
  history(
    script: Uint8Array,
    page?: number,
    pageSize?: number,
  ): Promise<{ txs: IndexedTx[]; numPages: number }>;
  tx(txid: string): Promise<IndexedTx>;
  /** Returns the txid. @throws BroadcastRejectedError with the node's reason. */
  broadcast(raw: Uint8Array): Promise<string>;
  /** Live updates for these scripts (replaces the previous set) plus every block. */
  watch(scripts: Uint8Array[], onEvent: (event: ChainEvent) => void): void;
  readonly connection: ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  close(): void;
}

/** The indexer could not be reached (after retries). */
export class ChainOfflineError extends ChainError {
  override name = 'ChainOfflineError';
}

/** The indexer did not answer within the deadline. */
export class ChainTimeoutError extends ChainOfflineError {
  override name = 'ChainTimeoutError';
}

/** The indexer answered with an error (not found, bad request…). */
export class IndexerError extends ChainError {
  override name = 'IndexerError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The node refused a transaction; `reason` is its rejection text (e.g. `bad-txns-in-belowout`). */
export class BroadcastRejectedError extends ChainError {
  override name = 'BroadcastRejectedError';
  readonly reason: string;
  constructor(reason: string) {
    super(`The network rejected the transaction: ${reason}`);
    this.reason = reason;
  }
}

/** Chronik's (script type, payload) for an output script. */
export function chronikScript(script: Uint8Array): { type: ScriptType; payload: string } {
  const kind = classifyScript(script);
  if (kind.type === 'p2pkh' || kind.type === 'p2sh')
    return { type: kind.type, payload: bytesToHex(kind.payload as Uint8Array) };
  // p2tr-commitment matches Taproot outputs with and without state (spec §7).
  if (kind.type === 'taproot')
    return { type: 'p2tr-commitment', payload: bytesToHex(kind.payload as Uint8Array) };
  return { type: 'other', payload: bytesToHex(script) };
}

export interface ChronikIndexerOptions {
  /** Base URL without trailing slash, e.g. https://chronik.lotusia.org. */
  url: string;
  /** Per-attempt deadline. */
  timeoutMs?: number;
  /** Attempts for idempotent requests (first try included). */
  attempts?: number;
  /** First backoff delay; doubles each retry (with jitter). */
  backoffMs?: number;
  /** Longest wait between WebSocket reconnects. */
  maxReconnectMs?: number;
  WebSocket?: typeof WebSocket;
}

const CHRONIK_ERROR = /^Failed getting (\S+) \(([^)]*)\): ([\s\S]*)$/;

/** `ChainIndexer` over a Chronik server: chronik-client for HTTP, `ChronikSocket` for updates. */
export class ChronikIndexer implements ChainIndexer {
  readonly url: string;
  readonly #client: ChronikClient;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #socket: ChronikSocket;
  readonly #listeners = new Set<(state: ConnectionState) => void>();
  #httpError: string | undefined;
  #closed = false;

  constructor(options: ChronikIndexerOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#client = new ChronikClient(this.url);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#attempts = options.attempts ?? 3;
    this.#backoffMs = options.backoffMs ?? 300;
    this.#socket = new ChronikSocket(this.url, {
      WebSocket: options.WebSocket,
      maxReconnectMs: options.maxReconnectMs,
      onState: () => this.#emit(),
    });
  }

  get connection(): ConnectionState {
    if (this.#httpError) return { state: 'offline', error: this.#httpError };
    return this.#socket.state;
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async tip(): Promise<ChainTip> {
    return this.#call('blockchain-info', async () => {
      const info = await this.#client.blockchainInfo();
      const block = await this.#client.block(info.tipHash);
      return {
        height: info.tipHeight,
        hash: info.tipHash,
        medianTime: Number(block.blockDetails.medianTimestamp),
      };
    });
  }

  async utxos(script: Uint8Array): Promise<IndexedUtxo[]> {
    const { type, payload } = chronikScript(script);
    const groups = await this.#call('utxos', () => this.#client.script(type, payload).utxos());
    return groups.flatMap((group) =>
      group.utxos.map((u) => ({
        txid: u.outpoint.txid,
        vout: u.outpoint.outIdx,
        value: BigInt(u.value),
        script: hexToBytes(group.outputScript),
        blockHeight: u.blockHeight,
        isCoinbase: u.isCoinbase,
      })),
    );
  }

  async history(
    script: Uint8Array,
    page = 0,
    pageSize = 25,
  ): Promise<{ txs: IndexedTx[]; numPages: number }> {
    const { type, payload } = chronikScript(script);
    const result = await this.#call('history', () =>
      this.#client.script(type, payload).history(page, pageSize),
    );
    return { txs: result.txs.map(convertTx), numPages: result.numPages };
  }

  async tx(txid: string): Promise<IndexedTx> {
    return convertTx(await this.#call('tx', () => this.#client.tx(txid)));
  }

  async broadcast(raw: Uint8Array): Promise<string> {
    try {
      const { txid } = await this.#call('broadcast', () => this.#client.broadcastTx(raw), true);
      return txid;
    } catch (err) {
      if (err instanceof IndexerError) throw new BroadcastRejectedError(err.message);
      throw err;
    }
  }

  watch(scripts: Uint8Array[], onEvent: (event: ChainEvent) => void): void {
    this.#socket.watch(scripts.map(chronikScript), onEvent);
  }

  close(): void {
    this.#closed = true;
    this.#socket.close();
    this.#listeners.clear();
  }

  /**
   * One request with a deadline. Network failures and timeouts are retried with backoff; an
   * answer from the server (a Chronik error such as not-found or a rejection) never is.
   */
  async #call<T>(what: string, run: () => Promise<T>, broadcast = false): Promise<T> {
    let lastError: Error = new ChainOfflineError(`Chronik ${what} failed`);
    const attempts = broadcast ? Math.min(this.#attempts, 2) : this.#attempts;
    for (let attempt = 0; attempt < attempts && !this.#closed; attempt++) {
      if (attempt > 0) await sleep(jitter(this.#backoffMs * 2 ** (attempt - 1)));
      try {
        const result = await withTimeout(run(), this.#timeoutMs, what);
        this.#setHttpError(undefined);
        return result;
      } catch (err) {
        const classified = classify(err);
        if (classified instanceof IndexerError) {
          // The server is up and answered: the connection is fine.
          this.#setHttpError(undefined);
          throw classified;
        }
        lastError = classified;
        // A broadcast that timed out may have arrived; resending could only yield "already known".
        if (broadcast && classified instanceof ChainTimeoutError) break;
      }
    }
    this.#setHttpError(lastError.message);
    throw lastError;
  }

  #setHttpError(error: string | undefined): void {
    if (this.#httpError === error) return;
    this.#httpError = error;
    this.#emit();
  }

  #emit(): void {
    const state = this.connection;
    for (const listener of this.#listeners) listener(state);
  }
}

function classify(err: unknown): Error {
  if (err instanceof ChainError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const match = CHRONIK_ERROR.exec(message);
  if (match) return new IndexerError(match[2] ?? '', match[3] ?? message);
  if (/Error connecting to known Chronik instances/.test(message))
    return new ChainOfflineError('The Chronik indexer cannot be reached');
  return new ChainOfflineError(`Chronik request failed: ${message}`);
}

function convertTx(tx: ChronikTx): IndexedTx {
  return {
    txid: tx.txid,
    inputs: tx.inputs.map((i) => ({
      txid: i.prevOut.txid,
      vout: i.prevOut.outIdx,
      value: BigInt(i.value),
      script: i.outputScript ? hexToBytes(i.outputScript) : undefined,
    })),
    outputs: tx.outputs.map((o) => ({
      value: BigInt(o.value),
      script: hexToBytes(o.outputScript),
      spentBy: o.spentBy ? { txid: o.spentBy.txid, vin: o.spentBy.outIdx } : undefined,
    })),
    block: tx.block
      ? { height: tx.block.height, hash: tx.block.hash, timestamp: Number(tx.block.timestamp) }
      : undefined,
    timeFirstSeen: Number(tx.timeFirstSeen),
    size: tx.size,
    isCoinbase: tx.isCoinbase,
  };
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ChainTimeoutError(`Chronik ${what} timed out after ${ms} ms`)),
      ms,
    );
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
const jitter = (ms: number) => Math.round(ms * (0.75 + Math.random() * 0.5));

interface SocketOptions {
  WebSocket?: typeof WebSocket;
  maxReconnectMs?: number;
  onState?: () => void;
}

/**
 * Chronik's legacy WebSocket (`/ws`): protobuf `Subscription` messages out, `SubscribeMsg` in.
 * Connects lazily on the first `watch`, resubscribes after every reconnect, and backs off
 * exponentially (1 s → `maxReconnectMs`) while the server is unreachable.
 */
export class ChronikSocket {
  readonly #url: string;
  readonly #WebSocket: typeof WebSocket | undefined;
  readonly #maxReconnectMs: number;
  readonly #onState: () => void;
  #ws: WebSocket | undefined;
  #subs = new Map<string, { type: ScriptType; payload: string }>();
  #onEvent: (event: ChainEvent) => void = () => {};
  #state: ConnectionState = { state: 'connecting' };
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(httpUrl: string, options: SocketOptions = {}) {
    this.#url = httpUrl.replace(/^http/, 'ws') + '/ws';
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.#maxReconnectMs = options.maxReconnectMs ?? 30_000;
    this.#onState = options.onState ?? (() => {});
  }

  get state(): ConnectionState {
    return this.#ws || this.#timer ? this.#state : { state: 'online' };
  }

  watch(scripts: { type: ScriptType; payload: string }[], onEvent: (e: ChainEvent) => void): void {
    this.#onEvent = onEvent;
    const next = new Map(scripts.map((s) => [`${s.type}:${s.payload}`, s]));
    const open = this.#ws?.readyState === 1;
    if (open) {
      for (const [key, sub] of this.#subs) if (!next.has(key)) this.#send(false, sub);
      for (const [key, sub] of next) if (!this.#subs.has(key)) this.#send(true, sub);
    }
    this.#subs = next;
    if (!this.#ws && !this.#timer && !this.#closed) this.#connect();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.close();
  }

  #connect(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    if (!this.#WebSocket) {
      this.#setState({ state: 'offline', error: 'WebSocket is not available here' });
      return;
    }
    let ws: WebSocket;
    try {
      ws = new this.#WebSocket(this.#url);
    } catch (err) {
      this.#setState({ state: 'offline', error: (err as Error).message });
      this.#schedule();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    if (this.#state.state !== 'offline') this.#setState({ state: 'connecting' });
    ws.onopen = () => {
      this.#failures = 0;
      for (const sub of this.#subs.values()) this.#send(true, sub);
      this.#setState({ state: 'online' });
    };
    ws.onmessage = (event: MessageEvent) => this.#receive(event.data);
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      if (this.#closed) return;
      this.#setState({
        state: 'offline',
        error: 'The Chronik indexer cannot be reached (live updates); retrying',
      });
      this.#schedule();
    };
    ws.onerror = () => {
      // onclose follows and schedules the reconnect.
    };
  }

  #schedule(): void {
    const delay = Math.min(this.#maxReconnectMs, 1000 * 2 ** this.#failures++);
    this.#timer = setTimeout(() => this.#connect(), jitter(delay));
  }

  #send(isSubscribe: boolean, sub: { type: ScriptType; payload: string }): void {
    const message = proto.Subscription.encode({
      isSubscribe,
      scriptType: sub.type,
      payload: hexToBytes(sub.payload),
    }).finish();
    this.#ws?.send(message as Uint8Array<ArrayBuffer>);
  }

  #receive(data: unknown): void {
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (data instanceof Uint8Array) bytes = data;
    else return;
    let msg: proto.SubscribeMsg;
    try {
      msg = proto.SubscribeMsg.decode(bytes);
    } catch {
      return;
    }
    const rev = (b: Uint8Array) => bytesToHex(b.slice().reverse());
    if (msg.error) this.#onEvent({ type: 'error', message: msg.error.msg });
    else if (msg.AddedToMempool)
      this.#onEvent({ type: 'tx-added', txid: rev(msg.AddedToMempool.txid) });
    else if (msg.RemovedFromMempool)
      this.#onEvent({ type: 'tx-removed', txid: rev(msg.RemovedFromMempool.txid) });
    else if (msg.Confirmed) this.#onEvent({ type: 'tx-confirmed', txid: rev(msg.Confirmed.txid) });
    else if (msg.Reorg) this.#onEvent({ type: 'tx-reorg', txid: rev(msg.Reorg.txid) });
    else if (msg.BlockConnected)
      this.#onEvent({ type: 'block-connected', blockHash: rev(msg.BlockConnected.blockHash) });
    else if (msg.BlockDisconnected)
      this.#onEvent({
        type: 'block-disconnected',
        blockHash: rev(msg.BlockDisconnected.blockHash),
      });
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#onState();
  }
}
