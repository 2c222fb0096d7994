/**
 * The Petal signing protocol engine (docs/PROTOCOL.md §6): one instance per wallet, serving every
 * vault the wallet is a member of. It turns a proposal into a broadcast transaction:
 *
 *   proposal → approvals (any time, asynchronously) → nonces → echo → partial signatures
 *            → aggregate, verify locally → elected coordinator broadcasts, the others fail over
 *
 * Everything it receives passes, in order: ban list, per-peer rate limit, vault frame decryption,
 * envelope decoding, membership and signature check, replay guard, peer binding and transcript
 * check. Everything it sends is signed, sealed for the vault and, for round messages, delivered
 * directly to every member with acknowledgement and retries. Secret nonces live only in memory;
 * a durable marker is written before a nonce or a partial signature leaves the device.
 *
 * The protocol's rules are steps without I/O in ./signing/ (one module per section of §6); this
 * class is their shell: it admits what arrives, asks storage and the chain, runs the steps one at
 * a time per wallet, and executes the effects each step lists in order (#execute).
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { type UnsignedSpend, serializeUnsignedSpend } from '../chain/unsigned-spend.ts';
import { ReplaySwitch, isScriptVerifyRejection } from '../chain/replay-side.ts';
import { applyTaprootTweak, keyAgg } from '../crypto/musig2.ts';
import { SigningKey } from '../crypto/signing-key.ts';
import type { Vault } from '../wallet/vault.ts';
import { type BurnCheck, verifyBurnProof } from './burn-identity.ts';
import { BroadcastError, type ChainAccess } from './chain.ts';
import { type Clock, TimerSet, systemClock } from './clock.ts';
import {
  type EnvelopeAuth,
  MessageDecodeError,
  MessageType,
  openEnvelope,
  type SignedEnvelope,
  schnorrAuth,
} from './envelope.ts';
import {
  ProposalRefusedError,
  RevokeTooLateError,
  ServiceStoppedError,
  SessionStateError,
  UnknownSessionError,
  UnknownVaultError,
} from './errors.ts';
import { type EarlyLimits, EarlyBuffer } from './early-buffer.ts';
import { TypedEvents } from './events.ts';
import { frameTag, openFrame, openRecord, sealFrame, sealRecord } from './frames.ts';
import {
  AbortReason,
  type ApprovalPayload,
  type BurnProof,
  MAX_SESSION_OUTPUTS,
  type ProposalPayload,
  decodePayload,
  encodeProposal,
} from './messages.ts';
import {} from './musig-round.ts';
import { Outbox } from './outbox.ts';
import { RateLimiter } from './rate-limiter.ts';
import { ReplayGuard } from './replay-guard.ts';
import { type Offence, Reputation } from './reputation.ts';
import {
  FINISHED,
  type Inbound,
  type Session,
  type SessionEnd,
  type SessionPhase,
  type SessionView,
  type VaultEntry,
  viewOf,
} from './session.ts';
import type { NonceMarker, SessionStatus, SessionStore, StoredSession } from './session-store.ts';
import { type CheckedSpend, type SpendLimits, checkSpend } from './spend-check.ts';
import { ZERO_TRANSCRIPT, sessionIdOf } from './transcript.ts';
import type { Transport } from './transport.ts';
import { sendAbort } from './signing/aborts.ts';
import { acceptApproval, approvalAdmissible, approve, revoke } from './signing/approvals.ts';
import { expireIfDue, expired } from './signing/expiry.ts';
import { approvalOf, onMessage, onTimer } from './signing/machine.ts';
import { mailboxContents } from './signing/mailbox.ts';
import { type BroadcastAnswer, broadcastAnswered } from './signing/broadcast.ts';
import { scheduleLeafDeadline } from './signing/leaf-path.ts';
import {
  type SessionLimits,
  DEFAULT_SESSION_LIMITS,
  admitProposal,
  newProposal,
  overSessionLimits,
} from './signing/proposal.ts';
import { replayOwn, resume } from './signing/restart.ts';
import { type Effect, type Outcome, Step, type TimerInput } from './signing/effects.ts';
import { type VaultKeys, deriveVaultKeys } from './vault-keys.ts';
import { VerifiedEnvelopes } from './verified-envelopes.ts';
import { replayProtectionOf } from './replay-attempts.ts';

export interface SigningTimeouts {
  /** Each coordinator after the first waits this much longer before it broadcasts itself. */
  failoverMs: number;
  /** How long echoes that disagree wait for an equivocation proof before the session fails. */
  mismatchMs: number;
  /** Period of the sweep that expires sessions and forgets finished ones. */
  sweepMs: number;
  /** How often members' mailbox records are read, for sessions missed while offline. */
  syncMs: number;
  /** How long messages for a not-yet-known session are kept. */
  earlyMs: number;
  /** How long a finished session's final view stays queryable (at least until its expiry). */
  retainMs: number;
}

export const DEFAULT_TIMEOUTS: SigningTimeouts = {
  failoverMs: 15_000,
  mismatchMs: 10_000,
  sweepMs: 60_000,
  syncMs: 60_000,
  earlyMs: 5 * 60_000,
  retainMs: 10 * 60_000,
};

export {
  DEFAULT_LEAF_AFTER_MS,
  DEFAULT_SESSION_LIMITS,
  MAX_PROPOSAL_TTL_MS,
  type SessionLimits,
} from './signing/proposal.ts';
/** How long the chain tip's median time past is reused: it moves once a block (~2 min). */
const TIP_TIME_TTL_MS = 30_000;

export interface SigningServiceOptions {
  transport: Transport;
  store: SessionStore;
  chain: ChainAccess;
  clock?: Clock;
  timeouts?: Partial<SigningTimeouts>;
  limits?: SpendLimits;
  /** Per-peer message budget (default burst 400, 200/s: a 100-member session fits). */
  rate?: { burst: number; perSecond: number };
  /** Open sessions per vault and per proposer (default 32 and 8). */
  sessionLimits?: Partial<SessionLimits>;
  /** Budgets of the buffer for messages of unknown sessions (default `DEFAULT_EARLY_LIMITS`). */
  earlyLimits?: Partial<EarlyLimits>;
  reputation?: Reputation;
  /** Envelope signatures; only bookkeeping tests replace Lotus Schnorr. */
  auth?: EnvelopeAuth;
  /**
   * The replay-protection side a proposal starts on, and what the network's verdicts taught
   * (shared with the wallet's single-signature sends). Default: lotusd's activation times.
   */
  replaySwitch?: ReplaySwitch;
}

export interface ProposeOptions {
  memo?: string;
  /** How long members have to approve and sign (default 24 h, at most 7 days). */
  ttlMs?: number;
  /**
   * The replay-protection side to try first. By default the chain tip decides (its median time
   * past against the activation time the wallet believes in), as the nodes will; a node's
   * script-verification rejection moves the session to the other side.
   */
  replayProtection?: boolean;
  /**
   * Threshold vaults: after this long (ms) without every member's approval, the proposer names k
   * approvers to sign through their script leaf (default 1 h; 0 = at once). Ignored for n-of-n.
   */
  leafAfterMs?: number;
}

export interface SigningEvents {
  /** A new session this wallet may approve. */
  proposal: SessionView;
  update: SessionView;
  completed: SessionView;
  ended: SessionView;
  /** A member proven to have misbehaved. */
  blame: { sessionId: string; culprit: number; reason: string; peerId?: string };
  /** A proposal this wallet refused to consider (it never reaches the user). */
  refused: { vaultId: string; reason: string; message: string; from?: string };
}

interface VaultState extends VaultEntry {
  keys: VaultKeys;
  unsubscribe: () => void;
  burn?: BurnProof;
}

const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

export class SigningService extends TypedEvents<SigningEvents> {
  readonly #transport: Transport;
  readonly #store: SessionStore;
  readonly #chain: ChainAccess;
  readonly #clock: Clock;
  readonly #timeouts: SigningTimeouts;
  readonly #limits: SpendLimits;
  readonly #auth: EnvelopeAuth;
  readonly #replaySwitch: ReplaySwitch;
  readonly #verified: VerifiedEnvelopes;
  readonly #rate: RateLimiter;
  readonly #reputation: Reputation;
  readonly #replay = new ReplayGuard();
  readonly #outbox: Outbox;
  readonly #timers: TimerSet;
  readonly #vaults = new Map<string, VaultState>();
  readonly #vaultsByTag = new Map<string, VaultState>();
  readonly #sessions = new Map<string, Session>();
  /** Finished sessions: id → when the record may be deleted (replays of them are ignored). */
  readonly #tombstones = new Map<string, { expiresAt: number; view?: SessionView }>();
  readonly #early: EarlyBuffer;
  readonly #sessionLimits: SessionLimits;
  /** Per vault: each member's last known transport peer (bounded by the vault's size). */
  readonly #lastPeers = new Map<string, (string | undefined)[]>();
  /** Callers of settled(), per session (a map rather than event listeners: there can be many). */
  readonly #waiters = new Map<string, Set<(view: SessionView) => void>>();
  readonly #staleMailboxes = new Set<VaultState>();
  #queue: Promise<void> = Promise.resolve();
  #running = false;

  constructor(options: SigningServiceOptions) {
    super();
    this.#transport = options.transport;
    this.#store = options.store;
    this.#chain = options.chain;
    this.#clock = options.clock ?? systemClock;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    // Every proposal this service makes or checks pays at most MAX_SESSION_OUTPUTS outputs.
    this.#limits = { maxOutputs: MAX_SESSION_OUTPUTS, ...options.limits };
    this.#auth = options.auth ?? schnorrAuth;
    this.#replaySwitch = options.replaySwitch ?? new ReplaySwitch();
    this.#verified = new VerifiedEnvelopes(this.#auth);
    const now = () => this.#clock.now();
    this.#rate = new RateLimiter({ burst: 400, perSecond: 200, ...options.rate, now });
    this.#reputation = options.reputation ?? new Reputation({ now });
    this.#early = new EarlyBuffer(options.earlyLimits, now);
    this.#sessionLimits = { ...DEFAULT_SESSION_LIMITS, ...options.sessionLimits };
    this.#outbox = new Outbox(this.#transport, this.#clock);
    this.#timers = new TimerSet(this.#clock);
  }

  get peerId(): string {
    return this.#transport.peerId;
  }

  get reputation(): Reputation {
    return this.#reputation;
  }

  /** Starts listening for direct messages and the periodic sweep and mailbox sync. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#transport.onDirect((from, data) => this.#receiveFrame(from, data));
    this.#scheduleSweep();
    this.#scheduleSync();
  }

  /** Stops every timer, delivery and subscription; in-memory state is dropped, storage kept. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#transport.onDirect(() => undefined);
    await this.#queue.catch(() => undefined);
    this.#timers.clearAll();
    for (const session of this.#sessions.values()) this.#drop(session);
    for (const vault of this.#vaults.values()) vault.unsubscribe();
    this.#vaults.clear();
    this.#vaultsByTag.clear();
    this.#lastPeers.clear();
    this.#early.clear();
  }

  /**
   * Serves a vault this wallet is a member of: listens on its topic, resumes its stored sessions
   * and reads the other members' mailbox records for sessions proposed while it was offline.
   */
  async addVault(vault: Vault, secretKey: Uint8Array, options: { burn?: BurnProof } = {}) {
    if (!this.#running) throw new ServiceStoppedError('Start the signing service first');
    // The output key commits to the vault's script tree (none for an n-of-n vault).
    const ctx = applyTaprootTweak(keyAgg(vault.members), vault.merkleRoot);
    // The key pair is derived here once; every nonce, partial and envelope of the vault reuses it.
    const key = new SigningKey(secretKey);
    const me = vault.members.findIndex((m) => same(m, key.publicKey));
    if (me < 0) throw new UnknownVaultError('This key is not a member of the vault');
    if (vault.identity && !options.burn)
      throw new UnknownVaultError('This vault requires a burn identity proof from every member');
    const keys = deriveVaultKeys(hexToBytes(vault.id));
    const state: VaultState = {
      vault,
      vaultId: hexToBytes(vault.id),
      ctx,
      me,
      key,
      keys,
      unsubscribe: () => undefined,
      ...(options.burn ? { burn: options.burn } : {}),
    };
    this.#vaults.get(vault.id)?.unsubscribe();
    this.#vaults.set(vault.id, state);
    this.#vaultsByTag.set(bytesToHex(keys.tag), state);
    state.unsubscribe = this.#transport.subscribe(
      keys.topic,
      (from, data) => this.#receiveFrame(from, data),
      (from, data) => this.#validFrame(state, from, data),
    );
    await this.#serial(() => this.#resumeStored(state));
    await this.sync(vault.id);
  }

  /** Reads every other member's mailbox record now (also done periodically). */
  async sync(vaultId: string): Promise<void> {
    const state = this.#vaults.get(vaultId);
    if (!state) throw new UnknownVaultError(`Unknown vault ${vaultId}`);
    await Promise.all(
      state.vault.members.map(async (_, index) => {
        if (index === state.me) return;
        const id = state.keys.recordId(index);
        let envelopes: Uint8Array[];
        try {
          const record = await this.#transport.getRecord(id);
          if (!record) return;
          envelopes = openRecord(state.keys, id, record);
        } catch {
          return; // offline, or a record that is not ours to read: try again next sync
        }
        await this.#serial(async () => {
          for (const bytes of envelopes) await this.#receiveEnvelope(state, bytes, undefined);
        });
      }),
    );
  }

  /** Proposes a spend from a vault; the proposer approves it by proposing. */
  async propose(
    vaultId: string,
    spend: UnsignedSpend,
    options: ProposeOptions = {},
  ): Promise<SessionView> {
    const state = this.#vaultState(vaultId);
    const replayProtection = options.replayProtection ?? (await this.#replaySideNow(state.vault));
    const payload = newProposal(
      state.vault,
      serializeUnsignedSpend(spend),
      { now: this.#clock.now(), salt: randomBytes(32), replayProtection },
      options,
    );
    const leaves = payload.leafAfter !== undefined;
    const payloadBytes = encodeProposal(payload);
    // Refuses (typed) what the other members would refuse, before anything leaves.
    const checked = checkSpend(state.vault, payload.spend, payload.replayProtection, this.#limits, {
      leaves,
    });
    return this.#serial(async () => {
      const over = overSessionLimits(
        this.#openCounts(state, state.me),
        state.me,
        this.#sessionLimits,
      );
      if (over) throw new ProposalRefusedError(over.reason, over.message);
      const id = sessionIdOf(state.vaultId, state.me, payloadBytes);
      const session = this.#createSession(state, id, state.me, payload, checked);
      const bytes = await this.#seal(
        session,
        MessageType.proposal,
        payloadBytes,
        ZERO_TRANSCRIPT,
        true,
      );
      await this.#publish(state, bytes);
      await this.#approve(session);
      await this.#scheduleLeafDeadline(session);
      return viewOf(session);
    });
  }

  /** Approves a session: this member has seen the spend summary and agrees to sign it. */
  async approve(sessionId: string): Promise<SessionView> {
    // The approval binds the spend, not the replay-protection side: a proposal for either side is
    // approved as it stands, and a node's verdict moves the session to the other side if needed.
    return this.#serial(async () => {
      const session = this.#open(sessionId);
      if (session.approvals[session.entry.me]) return viewOf(session);
      await this.#approve(session);
      return viewOf(session);
    });
  }

  /**
   * The side a new proposal starts on: the tip's median time past against the switch the wallet
   * believes in. Without a chain clock, or with the indexer unreachable, wall time stands in: a
   * wrong guess costs one more attempt, never the spend.
   */
  async #replaySideNow(vault: Vault): Promise<boolean> {
    const medianTime = await this.#medianTime().catch(() => undefined);
    const at = medianTime ?? Math.floor(this.#clock.now() / 1000);
    return this.#replaySwitch.active(vault.network, at);
  }

  async #medianTime(): Promise<number | undefined> {
    if (!this.#chain.medianTimePast) return undefined;
    const now = this.#clock.now();
    if (!this.#tipTime || now - this.#tipTime.readAt > TIP_TIME_TTL_MS)
      this.#tipTime = { medianTime: await this.#chain.medianTimePast(), readAt: now };
    return this.#tipTime.medianTime;
  }

  #tipTime: { medianTime: number; readAt: number } | undefined;

  /** Withdraws this member's approval; refused once its partial signature has left. */
  async revoke(sessionId: string): Promise<SessionView> {
    return this.#serial(async () => {
      const session = this.#open(sessionId);
      const me = session.entry.me;
      if (!session.approvals[me]) return viewOf(session);
      if (session.round?.signed)
        throw new RevokeTooLateError('Your partial signature already left; the approval stands');
      await this.#run((step) => revoke(session, step));
      return viewOf(session);
    });
  }

  /** Declines a session: it ends for every member (an n-of-n spend needs everyone). */
  async decline(sessionId: string, detail = 'Declined by a member'): Promise<SessionView> {
    return this.#serial(async () => {
      const session = this.#open(sessionId);
      await this.#run((step) => sendAbort(session, AbortReason.user, detail, true, step));
      await this.#end(session, 'aborted', {
        reason: 'declined',
        detail,
        by: session.entry.me,
      });
      return viewOf(session);
    });
  }

  session(sessionId: string): SessionView | undefined {
    const session = this.#sessions.get(sessionId);
    return session ? viewOf(session) : this.#tombstones.get(sessionId)?.view;
  }

  /**
   * The transport peer each member of a vault last approved from, so a wallet can show who is
   * reachable. Undefined for members not seen since this service started.
   */
  memberPeers(vaultId: string): (string | undefined)[] {
    return [...(this.#lastPeers.get(vaultId) ?? [])];
  }

  /** Open sessions, then the recently finished ones still remembered (newest last). */
  sessions(): SessionView[] {
    const finished = [...this.#tombstones.values()].flatMap((t) => (t.view ? [t.view] : []));
    return [...[...this.#sessions.values()].map(viewOf), ...finished];
  }

  /** Resolves with the session's final view: completed, or ended for a reason. */
  async settled(sessionId: string, signal?: AbortSignal): Promise<SessionView> {
    const finished = this.#tombstones.get(sessionId)?.view;
    if (finished) return finished;
    if (!this.#sessions.has(sessionId))
      throw new UnknownSessionError(`Unknown session ${sessionId}`);
    return new Promise((resolve, reject) => {
      let waiters = this.#waiters.get(sessionId);
      if (!waiters) this.#waiters.set(sessionId, (waiters = new Set()));
      const waiter = (view: SessionView) => resolve(view);
      waiters.add(waiter);
      signal?.addEventListener('abort', () => {
        waiters.delete(waiter);
        if (waiters.size === 0) this.#waiters.delete(sessionId);
        reject(signal.reason);
      });
    });
  }

  /** Sizes of every table the service keeps, to check that state stays bounded. */
  stats() {
    let deferred = 0;
    let sessionTimers = 0;
    for (const s of this.#sessions.values()) {
      deferred += s.deferred.length;
      sessionTimers += s.timers.size;
    }
    return {
      sessions: this.#sessions.size,
      waiters: this.#waiters.size,
      tombstones: this.#tombstones.size,
      early: this.#early.sessions,
      earlyBytes: this.#early.bytes,
      deferred,
      replayWindows: this.#replay.size,
      timers: this.#timers.size + sessionTimers,
      pendingDeliveries: this.#outbox.pending,
      reputation: this.#reputation.size,
      rateBuckets: this.#rate.size,
    };
  }

  /** Runs the sweep now (tests; normally on a timer). */
  async sweep(): Promise<void> {
    await this.#serial(() => this.#sweep());
  }

  // ───────────────────────────── receiving ─────────────────────────────

  #receiveFrame(from: string, frame: Uint8Array): void {
    if (!this.#running || this.#reputation.isBanned(from)) return;
    if (!this.#rate.take(from)) {
      this.#penalize(from, 'spam');
      return;
    }
    const tag = frameTag(frame);
    const state = tag ? this.#vaultsByTag.get(bytesToHex(tag)) : undefined;
    if (!state) {
      this.#penalize(from, 'bad-frame');
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = openFrame(state.keys, frame);
    } catch {
      this.#penalize(from, 'bad-frame');
      return;
    }
    void this.#serial(() => this.#receiveEnvelope(state, bytes, from)).catch(() => undefined);
  }

  /**
   * The checks a member runs before its gossip node forwards a vault frame: the author is not
   * banned, the frame opens under the vault's keys, and the envelope inside is signed by a member.
   * Session-level rules (replay, phase) are left to delivery: they depend on local state.
   */
  #validFrame(state: VaultState, from: string, frame: Uint8Array): boolean {
    if (this.#reputation.isBanned(from)) return false;
    let env: SignedEnvelope;
    try {
      env = openEnvelope(openFrame(state.keys, frame));
    } catch {
      this.#penalize(from, 'bad-frame');
      return false;
    }
    const key = state.vault.members[env.signerIndex];
    if (!same(env.vaultId, state.vaultId) || !key) {
      this.#penalize(from, 'non-member');
      return false;
    }
    // The author pays for a forgery here: GossipSub will not hand it to #receiveFrame.
    if (!this.#verified.verify(env, key)) {
      this.#penalize(from, 'bad-signature');
      return false;
    }
    return true;
  }

  /** Verifies one envelope and hands it to its session (or buffers it). Never throws on input. */
  async #receiveEnvelope(state: VaultState, bytes: Uint8Array, from: string | undefined) {
    let inbound: Inbound;
    try {
      const env = openEnvelope(bytes);
      if (!same(env.vaultId, state.vaultId)) return this.#penalize(from, 'bad-frame');
      const key = state.vault.members[env.signerIndex];
      if (!key) return this.#penalize(from, 'non-member');
      if (!this.#verified.verify(env, key)) return this.#penalize(from, 'bad-signature');
      inbound = { env, payload: decodePayload(env.type, env.payload), bytes, ...opt(from) };
    } catch (err) {
      if (err instanceof MessageDecodeError) return this.#penalize(from, 'bad-frame');
      throw err;
    }
    const idHex = bytesToHex(inbound.env.sessionId);
    if (inbound.env.signerIndex === state.me && from !== undefined) return; // our own, echoed
    if (this.#tombstones.has(idHex)) return;
    if (inbound.payload.type === MessageType.proposal) return this.#receiveProposal(state, inbound);
    const session = this.#sessions.get(idHex);
    if (!session) return this.#buffer(idHex, inbound);
    if (!this.#replay.accept(idHex, inbound.env.signerIndex, inbound.env.sequence)) return;
    await this.#dispatch(session, inbound);
  }

  /**
   * Keeps a verified message of an unknown session until its proposal arrives: only its bytes,
   * once per signer and sequence, within the sender's and the total byte budget. A sender that
   * overflows its budget or repeats an envelope past a few copies is penalised (a flood ends in
   * a ban), never the members whose messages it displaced.
   */
  #buffer(idHex: string, inbound: Inbound): void {
    const verdict = this.#early.add(idHex, {
      bytes: inbound.bytes,
      signer: inbound.env.signerIndex,
      sequence: inbound.env.sequence,
      ...opt(inbound.from),
    });
    if (verdict === 'flood') this.#penalize(inbound.from, 'over-budget');
  }

  /** Open sessions of the vault, and of them those `proposer` proposed. */
  #openCounts(state: VaultState, proposer: number): { inVault: number; byProposer: number } {
    let inVault = 0;
    let byProposer = 0;
    for (const session of this.#sessions.values()) {
      if (session.entry.vault.id !== state.vault.id || FINISHED.has(session.phase)) continue;
      inVault += 1;
      if (session.proposer === proposer) byProposer += 1;
    }
    return { inVault, byProposer };
  }

  async #receiveProposal(state: VaultState, inbound: Inbound): Promise<void> {
    const { env, payload } = inbound;
    if (payload.type !== MessageType.proposal) return;
    const proposal = payload.body;
    const id = sessionIdOf(state.vaultId, env.signerIndex, env.payload);
    const idHex = bytesToHex(id);
    if (this.#sessions.has(idHex)) return;
    const verdict = admitProposal(
      state.vault,
      env,
      id,
      proposal,
      { now: this.#clock.now(), counts: this.#openCounts(state, env.signerIndex) },
      { sessions: this.#sessionLimits, spend: this.#limits },
    );
    if (verdict === 'stale') return;
    if ('offence' in verdict) {
      const { reason, message, offence } = verdict;
      this.#penalize(inbound.from, offence);
      this.emit('refused', { vaultId: state.vault.id, reason, message, ...opt(inbound.from) });
      return;
    }
    const checked = verdict;
    this.#replay.accept(idHex, env.signerIndex, env.sequence);
    const session = this.#createSession(state, id, env.signerIndex, proposal, checked);
    session.proposalBytes = inbound.bytes;
    await this.#persistNew(session, [inbound.bytes]);
    this.emit('proposal', viewOf(session));
    this.#touchMailbox(state);
    for (const item of this.#early.take(idHex)) {
      if (!this.#replay.accept(idHex, item.signer, item.sequence)) continue;
      let buffered: Inbound;
      try {
        const env = openEnvelope(item.bytes);
        buffered = { env, payload: decodePayload(env.type, env.payload), bytes: item.bytes };
      } catch {
        continue; // decoded once already; cannot fail
      }
      await this.#dispatch(session, { ...buffered, ...opt(item.from) });
    }
  }

  /** Runs one message against its session, then anything it had to set aside. */
  async #dispatch(session: Session, inbound: Inbound): Promise<void> {
    if (FINISHED.has(session.phase)) return;
    const outcome = await this.#handle(session, inbound);
    if (outcome === 'defer') {
      session.deferred.push(inbound);
      const cap = 8 * session.entry.vault.members.length + 16;
      if (session.deferred.length > cap) session.deferred.shift();
      return;
    }
    if (!session.replaying && inbound.env.signerIndex !== session.entry.me)
      await this.#store.append(session.idHex, [inbound.bytes], session.nextSequence);
    if (inbound.from) this.#reputation.reward(inbound.from);
    await this.#drainDeferred(session);
  }

  async #drainDeferred(session: Session): Promise<void> {
    for (let progress = true; progress && session.deferred.length > 0;) {
      progress = false;
      const waiting = session.deferred;
      session.deferred = [];
      for (const item of waiting) {
        if (FINISHED.has(session.phase)) return;
        if ((await this.#handle(session, item)) === 'defer') session.deferred.push(item);
        else {
          progress = true;
          if (!session.replaying && item.env.signerIndex !== session.entry.me)
            await this.#store.append(session.idHex, [item.bytes], session.nextSequence);
        }
      }
    }
  }

  async #handle(session: Session, inbound: Inbound): Promise<Outcome> {
    const approval = approvalOf(inbound);
    if (approval) return this.#onApproval(session, inbound, approval);
    return this.#run((step) => onMessage(session, inbound, step));
  }

  // ───────────────────────────── approvals ─────────────────────────────

  async #onApproval(session: Session, inbound: Inbound, body: ApprovalPayload): Promise<Outcome> {
    if (!(await this.#run((step) => approvalAdmissible(session, inbound, body, step))))
      return 'done';
    const signer = inbound.env.signerIndex;
    // The chain answers whether the member's burn proof satisfies the vault.
    if (session.entry.vault.identity && !session.replaying) {
      const check = await this.#checkBurn(body.burn, session, signer);
      if (!check.ok) {
        this.emit('refused', {
          vaultId: session.entry.vault.id,
          reason: `burn-${check.reason}`,
          message: `Member ${signer}'s burn identity does not satisfy the vault (${check.reason})`,
          ...opt(inbound.from),
        });
        return 'done';
      }
    }
    return this.#run((step) => acceptApproval(session, inbound, body, step));
  }

  async #checkBurn(
    proof: BurnProof | undefined,
    session: Session,
    signer: number,
  ): Promise<BurnCheck> {
    const getOutput = this.#chain.getOutput?.bind(this.#chain);
    if (!getOutput) return { ok: false, reason: 'not-found' };
    return verifyBurnProof(
      { getOutput },
      proof,
      session.entry.vault.members[signer] as Uint8Array,
      session.entry.vault.identity as NonNullable<Vault['identity']>,
    );
  }

  async #approve(session: Session): Promise<void> {
    const state = session.entry as VaultState;
    const own = { peerId: this.#transport.peerId, ...(state.burn ? { burn: state.burn } : {}) };
    await this.#run((step) => approve(session, own, step));
  }

  #scheduleLeafDeadline(session: Session): Promise<void> {
    return this.#run((step) => scheduleLeafDeadline(session, step));
  }

  // ───────────────────────────── rounds (signing/*.ts) ─────────────────────────────

  /** Runs one protocol step and executes the effects it lists, in order. */
  async #run<T>(rule: (step: Step) => T): Promise<T> {
    const step = new Step(this.#clock.now(), this.#auth, this.#timeouts);
    const result = rule(step);
    await this.#execute(step.effects);
    return result;
  }

  /**
   * Executes a step's effects in the order listed, each durable write awaited before the next
   * effect: what a step stores before a send is on disk before the envelope leaves.
   */
  async #execute(effects: Effect[]): Promise<void> {
    for (const effect of effects) await this.#perform(effect);
  }

  async #perform(effect: Effect): Promise<void> {
    switch (effect.kind) {
      case 'persist': {
        const { session, envelope, sequence, next } = effect;
        this.#replay.accept(session.idHex, session.entry.me, sequence);
        await this.#store.append(session.idHex, [envelope], next);
        return;
      }
      case 'nonce-marker':
        try {
          await this.#store.addNonceMarker(effect.marker);
        } catch (err) {
          this.#abandonUnrecorded(effect.session, effect.marker);
          throw err;
        }
        return;
      case 'send':
        if (effect.to === undefined) this.#sendToMembers(effect.session, effect.envelope);
        else this.#sendTo(effect.session, effect.to, effect.envelope);
        return;
      case 'publish':
        return this.#publish(effect.session.entry as VaultState, effect.envelope);
      case 'mailbox':
        return this.#touchMailbox(effect.session.entry as VaultState);
      case 'protect-peers':
        return this.#protectPeers(effect.session);
      case 'update':
        return void this.emit('update', effect.view);
      case 'penalize':
        return this.#penalize(effect.peer, effect.offence);
      case 'blamed': {
        const { kind: _, ...blame } = effect;
        return void this.emit('blame', blame);
      }
      case 'timer': {
        const { session, input } = effect;
        session.timers.set(
          () => void this.#serial(() => this.#onTimer(session, input)),
          effect.delayMs,
        );
        return;
      }
      case 'broadcast':
        return this.#broadcastFinal(effect.session, effect.attempt);
      case 'ended':
        return this.#finish(effect.session, effect.phase, effect.view);
    }
  }

  /**
   * A nonce marker could not be stored, so what the step made with those nonces must not leave:
   * the secret nonces are dropped and our nonces or partial signature of the attempt forgotten
   * (the step's later effects are not executed). The attempt cannot finish with us; nothing
   * signed with these nonces can reach anyone, not even inside a final transaction.
   */
  #abandonUnrecorded(session: Session, marker: NonceMarker): void {
    const round = session.round;
    if (round?.attempt !== marker.attempt) return;
    round.own = undefined;
    if (marker.stage === 'issued') round.nonces[session.entry.me] = undefined;
    else {
      round.partials[session.entry.me] = undefined;
      round.signed = false;
    }
  }

  /** A timer a step set has fired: its input runs against the session, if still open. */
  async #onTimer(session: Session, input: TimerInput): Promise<void> {
    if (FINISHED.has(session.phase) || this.#sessions.get(session.idHex) !== session) return;
    if (input.kind === 'failover') return this.#failover(session, input.attempt, input.position);
    return this.#run((step) => onTimer(session, input, step));
  }

  /** Our turn in the broadcast order came: unless the transaction was seen, broadcast it. */
  async #failover(session: Session, attempt: number, position: number): Promise<void> {
    const round = session.round;
    if (session.phase !== 'broadcasting' || round?.attempt !== attempt) return;
    if (await this.#chain.seen(session.checked.summary.txid).catch(() => false)) {
      await this.#end(session, 'completed');
      return;
    }
    // Everyone ahead of us in the order stayed silent: that costs them reputation.
    for (const silent of (round.order as number[]).slice(0, position))
      this.#penalize(session.peers[silent], 'timeout');
    await this.#broadcastFinal(session, attempt);
  }

  /** Broadcasts the final transaction; the chain's answer goes to the protocol's rule. */
  async #broadcastFinal(session: Session, attempt: number): Promise<void> {
    const final = session.round?.final;
    if (!final) return;
    let answer: BroadcastAnswer = { kind: 'accepted' };
    try {
      await this.#chain.broadcast(final.tx);
      void this.#learnSide(session, attempt);
    } catch (err) {
      if (await this.#chain.seen(final.txid).catch(() => false)) answer = { kind: 'seen' };
      else if (!(err instanceof BroadcastError)) answer = { kind: 'unreachable' };
      else {
        const scriptVerify = isScriptVerifyRejection(err.message);
        answer = { kind: 'rejected', message: err.message, scriptVerify };
      }
    }
    await this.#run((step) => broadcastAnswered(session, attempt, answer, step));
  }

  /** Remembers the side the network just accepted (off the protocol's path). */
  async #learnSide(session: Session, attempt: number): Promise<void> {
    const medianTime = await this.#chain.medianTimePast?.().catch(() => undefined);
    if (medianTime === undefined) return;
    const active = replayProtectionOf(session.proposal.replayProtection, attempt);
    this.#replaySwitch.learn(session.entry.vault.network, active, medianTime);
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  #createSession(
    state: VaultState,
    id: Uint8Array,
    proposer: number,
    proposal: ProposalPayload,
    checked: CheckedSpend,
  ): Session {
    const n = state.vault.members.length;
    const session: Session = {
      id,
      idHex: bytesToHex(id),
      entry: state,
      proposer,
      proposal,
      proposalBytes: new Uint8Array(0),
      checked,
      peers: Array.from({ length: n }),
      approvals: Array.from({ length: n }),
      attempt: 1,
      phase: 'awaiting-approvals',
      nextSequence: 0,
      deferred: [],
      timers: new TimerSet(this.#clock),
      deliveries: new AbortController(),
      caughtUp: new Set(),
      variants: new Map(),
      leafContexts: new Map(),
      replaying: false,
    };
    this.#sessions.set(session.idHex, session);
    return session;
  }

  async #persistNew(session: Session, envelopes: Uint8Array[]): Promise<void> {
    const record: StoredSession = {
      sessionId: session.idHex,
      vaultId: session.entry.vault.id,
      status: 'open',
      expiresAt: session.proposal.expiresAt,
      envelopes,
      nextSequence: session.nextSequence,
    };
    await this.#store.put(record);
  }

  /** Signs and durably records one of our envelopes before it can leave. */
  async #seal(
    session: Session,
    type: MessageType,
    payload: Uint8Array,
    transcript: Uint8Array,
    isProposal = false,
  ): Promise<Uint8Array> {
    if (!isProposal) return this.#run((step) => step.seal(session, type, payload, transcript));
    // A proposal opens the session's stored record instead of appending to it.
    const step = new Step(this.#clock.now(), this.#auth, this.#timeouts);
    const bytes = step.seal(session, type, payload, transcript);
    this.#replay.accept(session.idHex, session.entry.me, session.nextSequence - 1);
    session.proposalBytes = bytes;
    await this.#persistNew(session, [bytes]);
    return bytes;
  }

  async #publish(state: VaultState, envelope: Uint8Array): Promise<void> {
    await this.#transport.publish(state.keys.topic, sealFrame(state.keys, envelope)).catch(() => 0);
  }

  #sendTo(session: Session, member: number, envelope: Uint8Array): void {
    if (!session.peers[member] || member === session.entry.me) return;
    const frame = sealFrame((session.entry as VaultState).keys, envelope);
    void this.#outbox.deliver(() => session.peers[member], frame, session.deliveries.signal);
  }

  #sendToMembers(session: Session, envelope: Uint8Array): void {
    if (session.replaying) return;
    session.entry.vault.members.forEach((_, index) => this.#sendTo(session, index, envelope));
  }

  async #end(session: Session, phase: SessionPhase, end?: SessionEnd): Promise<void> {
    await this.#run((step) => step.end(session, phase, end));
  }

  /** The I/O of a session's end (its state already says it ended): store, release, tell. */
  async #finish(session: Session, phase: SessionPhase, view: SessionView): Promise<void> {
    const status: SessionStatus =
      phase === 'completed'
        ? 'completed'
        : phase === 'expired'
          ? 'expired'
          : phase === 'failed'
            ? 'failed'
            : 'aborted';
    await this.#store.finish(
      session.idHex,
      status,
      phase === 'completed' ? session.checked.summary.txid : undefined,
    );
    // Deliveries already queued (the broadcast notice, a blame) get a short grace to land.
    const deliveries = session.deliveries;
    this.#timers.set(() => deliveries.abort(), this.#timeouts.failoverMs);
    this.#drop(session, false);
    this.#tombstones.set(session.idHex, {
      expiresAt: Math.max(session.proposal.expiresAt, this.#clock.now() + this.#timeouts.retainMs),
      view,
    });
    this.#touchMailbox(session.entry as VaultState);
    this.emit(phase === 'completed' ? 'completed' : 'ended', view);
    const waiters = this.#waiters.get(session.idHex);
    this.#waiters.delete(session.idHex);
    for (const waiter of waiters ?? []) waiter(view);
  }

  /** Releases everything a session holds in memory. */
  /** Members known to be online in a live session stay connected while it lasts. */
  #protectPeers(session: Session): void {
    if (session.replaying) return;
    const vaultId = session.entry.vault.id;
    const last = this.#lastPeers.get(vaultId) ?? session.entry.vault.members.map(() => undefined);
    session.peers.forEach((peer, i) => {
      if (peer) last[i] = peer;
    });
    this.#lastPeers.set(vaultId, last);
    const peers = session.peers.filter((p, i): p is string => !!p && i !== session.entry.me);
    if (peers.length > 0) this.#transport.protectPeers?.(session.idHex, peers);
  }

  #drop(session: Session, abortDeliveries = true): void {
    this.#transport.releasePeers?.(session.idHex);
    session.timers.clearAll();
    if (abortDeliveries) session.deliveries.abort();
    session.deferred = [];
    session.round = undefined;
    this.#replay.release(session.idHex);
    this.#sessions.delete(session.idHex);
  }

  async #sweep(): Promise<void> {
    const now = this.#clock.now();
    await this.#recheckChain(now);
    for (const session of [...this.#sessions.values()])
      await this.#run((step) => expireIfDue(session, step));
    for (const [id, { expiresAt }] of this.#tombstones) {
      if (expiresAt <= now) {
        this.#tombstones.delete(id);
        await this.#store.delete(id);
      }
    }
    for (const stored of await this.#store.list()) {
      if (stored.expiresAt <= now && !this.#sessions.has(stored.sessionId))
        await this.#store.delete(stored.sessionId);
    }
    this.#early.expire(this.#timeouts.earlyMs);
    this.#reputation.prune();
  }

  /**
   * A session can complete without us hearing of it: cut off while the others finished, ended on
   * a blame while the culprit broadcast the approved transaction, or declined while k others of a
   * threshold vault signed. The chain is the witness (docs/PROTOCOL.md §6.9). A txid does not
   * cover signatures, so every attempt's transaction has the session's txid (§6.13). Open
   * sessions are checked before they may expire; ended ones that did not complete, while their
   * tombstone lasts.
   */
  async #recheckChain(now: number): Promise<void> {
    const seen = (txid: string) => this.#chain.seen(txid).catch(() => false);
    for (const session of [...this.#sessions.values()]) {
      if (FINISHED.has(session.phase)) continue;
      if (await seen(session.checked.summary.txid)) await this.#end(session, 'completed');
    }
    for (const [id, tombstone] of [...this.#tombstones]) {
      const ended = tombstone.view;
      if (!ended || ended.phase === 'completed' || tombstone.expiresAt <= now) continue;
      if (!(await seen(ended.summary.txid))) continue;
      await this.#completedElsewhere(id, ended);
    }
  }

  /** A session that ended here otherwise landed on chain: say so, truthfully. */
  async #completedElsewhere(id: string, ended: SessionView): Promise<void> {
    const declined = ended.end?.reason === 'declined' && ended.end.by === ended.me;
    const was = `${ended.phase}${ended.end ? ` (${ended.end.reason})` : ''}`;
    const view: SessionView = {
      ...ended,
      phase: 'completed',
      txid: ended.summary.txid,
      end: declined
        ? {
            reason: 'completed-without-you',
            detail: 'You declined, but enough other members signed: the spend is on chain',
          }
        : {
            reason: 'seen-on-chain',
            detail: `This wallet saw the session end ${was}, but its transaction is on chain`,
          },
    };
    await this.#store.finish(id, 'completed', view.txid);
    const tombstone = this.#tombstones.get(id);
    if (tombstone) tombstone.view = view;
    this.emit('completed', view);
  }

  #scheduleSweep(): void {
    this.#timers.set(() => {
      void this.#serial(() => this.#sweep()).finally(() => {
        if (this.#running) this.#scheduleSweep();
      });
    }, this.#timeouts.sweepMs);
  }

  #scheduleSync(): void {
    this.#timers.set(() => {
      // Republish our mailbox while a session is open: a DHT node that restarted (or a put that
      // failed while the network was down) would otherwise leave late-comers blind.
      for (const state of this.#vaults.values())
        if (this.#hasOpenSession(state)) this.#touchMailbox(state);
      void Promise.all(
        [...this.#vaults.keys()].map((id) => this.sync(id).catch(() => undefined)),
      ).finally(() => {
        if (this.#running) this.#scheduleSync();
      });
    }, this.#timeouts.syncMs);
  }

  #hasOpenSession(state: VaultState): boolean {
    for (const session of this.#sessions.values())
      if (session.entry === state && !FINISHED.has(session.phase)) return true;
    return false;
  }

  /** Marks a vault's mailbox stale; one rewrite happens after the work already queued. */
  #touchMailbox(state: VaultState): void {
    if (this.#staleMailboxes.has(state)) return;
    this.#staleMailboxes.add(state);
    void Promise.resolve().then(() =>
      this.#serial(async () => {
        this.#staleMailboxes.delete(state);
        if (this.#running && this.#vaults.get(state.vault.id) === state)
          await this.#updateMailbox(state);
      }),
    );
  }

  /** Our mailbox record: every open session's proposal and our latest approval in it. */
  async #updateMailbox(state: VaultState): Promise<void> {
    const { envelopes, until } = mailboxContents(this.#sessions.values(), state, this.#clock.now());
    const id = state.keys.recordId(state.me);
    await this.#transport
      .putRecord(id, sealRecord(state.keys, id, envelopes), until)
      .catch(() => undefined);
  }

  /**
   * After a restart: rebuild each open session from its stored public transcript, then decide.
   * An attempt whose nonces left but whose partial signature did not is abandoned (the secret
   * nonces died with the process), and the group moves to a fresh attempt.
   */
  async #resumeStored(state: VaultState): Promise<void> {
    const now = this.#clock.now();
    for (const stored of await this.#store.list()) {
      if (stored.vaultId !== state.vault.id || this.#sessions.has(stored.sessionId)) continue;
      if (stored.status !== 'open') {
        this.#tombstones.set(stored.sessionId, { expiresAt: stored.expiresAt });
        continue;
      }
      if (stored.expiresAt <= now || stored.envelopes.length === 0) {
        await this.#store.finish(stored.sessionId, 'expired');
        this.#tombstones.set(stored.sessionId, { expiresAt: stored.expiresAt });
        continue;
      }
      await this.#replayStored(state, stored);
    }
  }

  async #replayStored(state: VaultState, stored: StoredSession): Promise<void> {
    const [first, ...rest] = stored.envelopes;
    let proposal: Inbound;
    try {
      const env = openEnvelope(first as Uint8Array);
      proposal = { env, payload: decodePayload(env.type, env.payload), bytes: first as Uint8Array };
    } catch {
      await this.#store.finish(stored.sessionId, 'failed');
      return;
    }
    if (proposal.payload.type !== MessageType.proposal) return;
    const body = proposal.payload.body;
    let checked: CheckedSpend;
    try {
      checked = checkSpend(state.vault, body.spend, body.replayProtection, this.#limits, {
        leaves: body.leafAfter !== undefined,
      });
    } catch {
      await this.#store.finish(stored.sessionId, 'failed');
      return;
    }
    const session = this.#createSession(
      state,
      proposal.env.sessionId,
      proposal.env.signerIndex,
      body,
      checked,
    );
    session.proposalBytes = proposal.bytes;
    session.nextSequence = stored.nextSequence;
    session.replaying = true;
    this.#replay.accept(session.idHex, proposal.env.signerIndex, proposal.env.sequence);
    for (const bytes of rest) {
      try {
        const env = openEnvelope(bytes);
        const inbound: Inbound = { env, payload: decodePayload(env.type, env.payload), bytes };
        if (!this.#replay.accept(session.idHex, env.signerIndex, env.sequence)) continue;
        if (env.signerIndex === state.me) replayOwn(session, inbound, this.#transport.peerId);
        else await this.#dispatch(session, inbound);
      } catch (err) {
        if (!(err instanceof MessageDecodeError)) throw err;
      }
    }
    session.replaying = false;
    await this.#resume(session);
  }

  /** The store answers which nonces of the current attempt were issued; the rule decides. */
  async #resume(session: Session): Promise<void> {
    const markers = await this.#store.nonceMarkers(session.idHex);
    const state = session.entry as VaultState;
    const own = { peerId: this.#transport.peerId, ...(state.burn ? { burn: state.burn } : {}) };
    const resumed = await this.#run((step) => resume(session, markers, own, step));
    if (resumed === 'awaiting') await this.#drainDeferred(session);
  }

  #vaultState(vaultId: string): VaultState {
    const state = this.#vaults.get(vaultId);
    if (!state) throw new UnknownVaultError(`Unknown vault ${vaultId}`);
    return state;
  }

  #open(sessionId: string): Session {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new UnknownSessionError(`Unknown session ${sessionId}`);
    if (FINISHED.has(session.phase))
      throw new SessionStateError(`The session has ended (${session.phase})`);
    if (expired(session, this.#clock.now()))
      throw new SessionStateError('The proposal has expired');
    return session;
  }

  #penalize(peer: string | undefined, offence: Offence): void {
    if (peer !== undefined) this.#reputation.penalize(peer, offence);
  }

  /** Runs protocol steps one at a time, in arrival order. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

function opt(from: string | undefined): { from?: string } {
  return from === undefined ? {} : { from };
}
