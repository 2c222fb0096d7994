/**
 * The state one signing service shares between its parts (receive, executor, sessions, sweep,
 * mailbox, sync, resume): its dependencies, the tables of vaults and sessions, and the serial
 * queue that runs protocol steps one at a time per wallet. Only the service's modules hold it.
 */
import { ReplaySwitch } from '../../chain/replay-side.ts';
import type { ChainAccess } from '../chain.ts';
import { type Clock, TimerSet, systemClock } from '../clock.ts';
import { EarlyBuffer } from '../early-buffer.ts';
import { type EnvelopeAuth, schnorrAuth } from '../envelope.ts';
import { SessionStateError, UnknownSessionError, UnknownVaultError } from '../errors.ts';
import { type BurnProof, MAX_SESSION_OUTPUTS } from '../messages.ts';
import { Outbox } from '../outbox.ts';
import { RateLimiter } from '../rate-limiter.ts';
import { ReplayGuard } from '../replay-guard.ts';
import { type Offence, Reputation } from '../reputation.ts';
import { FINISHED, type Session, type SessionView, type VaultEntry } from '../session.ts';
import type { SessionStore } from '../session-store.ts';
import type { SpendLimits } from '../spend-check.ts';
import type { Transport } from '../transport.ts';
import { expired } from '../signing/expiry.ts';
import { type SessionLimits, DEFAULT_SESSION_LIMITS } from '../signing/proposal.ts';
import type { VaultKeys } from '../vault-keys.ts';
import { VerifiedEnvelopes } from '../verified-envelopes.ts';
import {
  DEFAULT_TIMEOUTS,
  type SigningEvents,
  type SigningServiceOptions,
  type SigningTimeouts,
} from './options.ts';

/** A vault this wallet serves: its entry for the protocol steps, plus its keys and topic. */
export interface VaultState extends VaultEntry {
  keys: VaultKeys;
  unsubscribe: () => void;
  burn?: BurnProof;
}

/** A finished session: when its record may be deleted, and its final view (replays ignored). */
export interface Tombstone {
  expiresAt: number;
  view?: SessionView;
  /** The blame that ended the session (Session.lastWord), and the members already given it. */
  lastWord?: Uint8Array;
  answered?: Set<number>;
  answering?: AbortController;
  /**
   * A session that ended without completing, restored after a restart (so without its view): the
   * transaction to look for on chain, which may still land (a culprit or k others signed).
   */
  txid?: string;
}

/** The service's `emit`, handed to its parts. */
export type Emit = <K extends keyof SigningEvents & string>(
  type: K,
  detail: SigningEvents[K],
) => void;

export class ServiceContext {
  readonly transport: Transport;
  readonly store: SessionStore;
  readonly chain: ChainAccess;
  readonly clock: Clock;
  readonly timeouts: SigningTimeouts;
  readonly limits: SpendLimits;
  readonly auth: EnvelopeAuth;
  readonly replaySwitch: ReplaySwitch;
  readonly verified: VerifiedEnvelopes;
  readonly rate: RateLimiter;
  readonly reputation: Reputation;
  readonly replay = new ReplayGuard();
  readonly outbox: Outbox;
  readonly timers: TimerSet;
  readonly vaults = new Map<string, VaultState>();
  readonly vaultsByTag = new Map<string, VaultState>();
  readonly sessions = new Map<string, Session>();
  /** Finished sessions by id (replays of them are ignored). */
  readonly tombstones = new Map<string, Tombstone>();
  readonly early: EarlyBuffer;
  readonly sessionLimits: SessionLimits;
  /** Per vault: each member's last known transport peer (bounded by the vault's size). */
  readonly lastPeers = new Map<string, (string | undefined)[]>();
  /** Callers of settled(), per session (a map rather than event listeners: there can be many). */
  readonly waiters = new Map<string, Set<(view: SessionView) => void>>();
  readonly emit: Emit;
  running = false;
  /** The chain tip's median time past and when it was read (see service/replay-side.ts). */
  tipTime: { medianTime: number; readAt: number } | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: SigningServiceOptions, emit: Emit) {
    this.emit = emit;
    this.transport = options.transport;
    this.store = options.store;
    this.chain = options.chain;
    this.clock = options.clock ?? systemClock;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    // Every proposal this service makes or checks pays at most MAX_SESSION_OUTPUTS outputs.
    this.limits = { maxOutputs: MAX_SESSION_OUTPUTS, ...options.limits };
    this.auth = options.auth ?? schnorrAuth;
    this.replaySwitch = options.replaySwitch ?? new ReplaySwitch();
    this.verified = new VerifiedEnvelopes(this.auth);
    const now = () => this.clock.now();
    this.rate = new RateLimiter({ burst: 400, perSecond: 200, ...options.rate, now });
    this.reputation = options.reputation ?? new Reputation({ now });
    this.early = new EarlyBuffer(options.earlyLimits, now);
    this.sessionLimits = { ...DEFAULT_SESSION_LIMITS, ...options.sessionLimits };
    this.outbox = new Outbox(this.transport, this.clock);
    this.timers = new TimerSet(this.clock);
  }

  /** Runs protocol steps one at a time, in arrival order. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Settles once every step queued so far has run. */
  idle(): Promise<void> {
    return this.#queue.catch(() => undefined);
  }

  penalize(peer: string | undefined, offence: Offence): void {
    if (peer !== undefined) this.reputation.penalize(peer, offence);
  }

  vaultState(vaultId: string): VaultState {
    const state = this.vaults.get(vaultId);
    if (!state) throw new UnknownVaultError(`Unknown vault ${vaultId}`);
    return state;
  }

  /** A session the user may still act on. */
  open(sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    if (!session) throw new UnknownSessionError(`Unknown session ${sessionId}`);
    if (FINISHED.has(session.phase))
      throw new SessionStateError(`The session has ended (${session.phase})`);
    if (expired(session, this.clock.now())) throw new SessionStateError('The proposal has expired');
    return session;
  }

  /** Open sessions of the vault, and of them those `proposer` proposed. */
  openCounts(state: VaultState, proposer: number): { inVault: number; byProposer: number } {
    let inVault = 0;
    let byProposer = 0;
    for (const session of this.sessions.values()) {
      if (session.entry.vault.id !== state.vault.id || FINISHED.has(session.phase)) continue;
      inVault += 1;
      if (session.proposer === proposer) byProposer += 1;
    }
    return { inVault, byProposer };
  }

  hasOpenSession(state: VaultState): boolean {
    for (const session of this.sessions.values())
      if (session.entry === state && !FINISHED.has(session.phase)) return true;
    return false;
  }
}

export const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** `{ from }` when the sender is known (messages read from storage or a record have none). */
export function opt(from: string | undefined): { from?: string } {
  return from === undefined ? {} : { from };
}
