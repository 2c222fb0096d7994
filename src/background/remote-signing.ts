/**
 * The background's side of the signing runner (src/offscreen/signing-runner.ts): it asks the
 * runner to propose, approve and decline, and keeps the newest view of every session from the
 * runner's answers and its `petal_runnerEvent` news, so the popup, notifications and dApps read
 * sessions without a round trip. Views are whole, not deltas, ordered by the runner's sequence
 * number within one runner start (its epoch).
 */
import { serializeUnsignedSpend, type UnsignedSpend } from '../core/chain/unsigned-spend.ts';
import { UnknownSessionError } from '../core/p2p/errors.ts';
import { FINISHED, type SessionView } from '../core/p2p/session.ts';
import {
  type MethodParams,
  type RpcClient,
  type StampedView,
  eventView,
  viewFromWire,
} from '../core/rpc/index.ts';
import type { RunnerEvent } from '../offscreen/signing-runner.ts';
import { bytesToHex } from '@noble/hashes/utils.js';

export type RunnerStart = MethodParams<'petal_runnerStart'>;
type Listener = (kind: 'proposal' | 'update', view: SessionView) => void;

/** How long a finished session stays in the background's copy (the runner keeps it 10 min). */
const FINISHED_KEPT_MS = 10 * 60_000;

export class RemoteSigning {
  readonly #client: RpcClient;
  readonly #listener: Listener;
  readonly #views = new Map<string, { seq: number; view: SessionView }>();
  readonly #waiters = new Map<string, Set<(view: SessionView) => void>>();
  #params: RunnerStart | undefined;
  #epoch = '';
  #resyncing: Promise<void> | undefined;
  peerId = '';

  constructor(client: RpcClient, listener: Listener) {
    this.#client = client;
    this.#listener = listener;
  }

  /** The runner start this copy follows. */
  get epoch(): string {
    return this.#epoch;
  }

  /** Starts the runner (or joins the one already running for this key) and reads its sessions. */
  async start(params: RunnerStart): Promise<void> {
    this.#params = params;
    const started = await this.#client.request('petal_runnerStart', params, {
      timeoutMs: 60_000,
    });
    this.peerId = started.peerId;
    if (started.epoch !== this.#epoch) this.#views.clear();
    this.#epoch = started.epoch;
    for (const wire of started.sessions) this.#apply(started.seq, viewFromWire(wire));
  }

  /** News from the runner. A runner this copy does not know (it restarted) is read afresh. */
  receive(event: RunnerEvent): void {
    if (!event.view) return;
    if (event.epoch !== this.#epoch) {
      void this.#resync();
      return;
    }
    const view = this.#apply(event.seq, viewFromWire(eventView(event.view)));
    this.#listener(event.kind === 'proposal' ? 'proposal' : 'update', view);
  }

  #resync(): Promise<void> {
    const params = this.#params;
    if (!params) return Promise.resolve();
    this.#resyncing ??= this.start(params)
      .catch(() => undefined)
      .finally(() => {
        this.#resyncing = undefined;
      });
    return this.#resyncing;
  }

  /** Keeps `view` if it is newer than what is known; returns the newest. */
  #apply(seq: number, view: SessionView): SessionView {
    const known = this.#views.get(view.id);
    if (known && known.seq > seq) return known.view;
    this.#views.set(view.id, { seq, view });
    if (FINISHED.has(view.phase)) {
      for (const waiter of this.#waiters.get(view.id) ?? []) waiter(view);
      this.#waiters.delete(view.id);
    }
    this.#prune();
    return view;
  }

  #prune(): void {
    const before = Date.now() - FINISHED_KEPT_MS;
    for (const [id, { view }] of this.#views)
      if (view.endedAt !== undefined && view.endedAt < before) this.#views.delete(id);
  }

  #stamped(stamped: StampedView): SessionView {
    if (stamped.epoch !== this.#epoch) void this.#resync();
    return this.#apply(stamped.seq, viewFromWire(stamped.view));
  }

  async propose(
    vaultId: string,
    spend: UnsignedSpend,
    options: { memo?: string; leafAfterMs?: number } = {},
  ): Promise<SessionView> {
    const stamped = await this.#client.request(
      'petal_runnerPropose',
      { vaultId, spend: bytesToHex(serializeUnsignedSpend(spend)), ...options },
      { timeoutMs: 60_000 },
    );
    return this.#stamped(stamped);
  }

  async approve(id: string): Promise<SessionView> {
    return this.#stamped(
      await this.#client.request('petal_runnerApprove', { id }, { timeoutMs: 60_000 }),
    );
  }

  async decline(id: string, reason?: string): Promise<SessionView> {
    return this.#stamped(
      await this.#client.request(
        'petal_runnerDecline',
        { id, ...(reason !== undefined ? { reason } : {}) },
        { timeoutMs: 60_000 },
      ),
    );
  }

  async addVault(descriptor: string): Promise<void> {
    if (this.#params && !this.#params.vaults.includes(descriptor))
      this.#params = { ...this.#params, vaults: [...this.#params.vaults, descriptor] };
    await this.#client.request('petal_runnerAddVault', { descriptor }, { timeoutMs: 60_000 });
  }

  /** The replay-protection belief changed in the background (Settings, or a single-sig send). */
  async replay(replay: RunnerStart['replay']): Promise<void> {
    if (this.#params) this.#params = { ...this.#params, replay };
    await this.#client.request('petal_runnerReplay', replay);
  }

  async memberPeers(vaultId: string): Promise<(string | undefined)[]> {
    const { peers } = await this.#client.request('petal_runnerMemberPeers', { vaultId });
    return peers.map((p) => p ?? undefined);
  }

  /** Open sessions, then the finished ones still remembered. */
  sessions(): SessionView[] {
    const views = [...this.#views.values()].map((v) => v.view);
    return [
      ...views.filter((v) => !FINISHED.has(v.phase)),
      ...views.filter((v) => FINISHED.has(v.phase)),
    ];
  }

  session(id: string): SessionView | undefined {
    return this.#views.get(id)?.view;
  }

  /** Resolves with the session's final view: completed, or ended for a reason. */
  settled(id: string): Promise<SessionView> {
    const view = this.#views.get(id)?.view;
    if (!view) return Promise.reject(new UnknownSessionError(`Unknown session ${id}`));
    if (FINISHED.has(view.phase)) return Promise.resolve(view);
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(id);
      if (!waiters) this.#waiters.set(id, (waiters = new Set()));
      waiters.add(resolve);
    });
  }

  /** Stops the runner: it drops the member key and every secret nonce. */
  async stop(): Promise<void> {
    this.#params = undefined;
    await this.#client.request('petal_runnerStop', {}).catch(() => undefined);
  }
}
