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
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { type UnsignedSpend, serializeUnsignedSpend } from '../chain/unsigned-spend.ts';
import { parseTx, txid as txidOf } from '../chain/transaction.ts';
import { verifyTransaction } from '../chain/interpreter.ts';
import { ReplaySwitch, isScriptVerifyRejection } from '../chain/replay-side.ts';
import { type KeyAggContext, applyTaprootTweak, keyAgg } from '../crypto/musig2.ts';
import { SigningKey } from '../crypto/signing-key.ts';
import type { Vault } from '../wallet/vault.ts';
import { type BlameContext, verifyBlame } from './blame.ts';
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
  sealEnvelope,
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
  type AbortPayload,
  type ApprovalPayload,
  type BlamePayload,
  BlameReason,
  type BroadcastPayload,
  type BurnProof,
  type EchoPayload,
  type NoncesPayload,
  type PartialSigsPayload,
  type PathPayload,
  MAX_SESSION_OUTPUTS,
  type ProposalPayload,
  decodePayload,
  encodeAbort,
  encodeApproval,
  encodeBlame,
  encodeBroadcast,
  encodeEcho,
  encodeNonces,
  encodePartialSigs,
  encodePath,
  encodeProposal,
  encodeRevoke,
} from './messages.ts';
import {
  aggregateNonces,
  finalTransaction,
  firstInvalidPartial,
  makeNonces,
  noncesValid,
  signInputs,
} from './musig-round.ts';
import { electionSeed, coordinatorOrder } from './election.ts';
import { Outbox } from './outbox.ts';
import { RateLimiter } from './rate-limiter.ts';
import { ReplayGuard } from './replay-guard.ts';
import { type Offence, Reputation } from './reputation.ts';
import {
  FINISHED,
  type Inbound,
  type Received,
  type Session,
  type SessionEnd,
  type SessionPhase,
  type SessionView,
  type VaultEntry,
  newAttempt,
  viewOf,
} from './session.ts';
import type { SessionStatus, SessionStore, StoredSession } from './session-store.ts';
import { type CheckedSpend, type SpendLimits, checkSpend } from './spend-check.ts';
import {
  ZERO_TRANSCRIPT,
  attemptTranscript,
  electionCommit,
  nonceDigest,
  nonceSetHash,
  proposalTranscript,
  sessionIdOf,
  signTranscript,
} from './transcript.ts';
import type { Transport } from './transport.ts';
import { type VaultKeys, deriveVaultKeys } from './vault-keys.ts';
import { VerifiedEnvelopes } from './verified-envelopes.ts';
import {
  otherSideAttempt,
  otherSideOf,
  replayProtectionOf,
  signsOtherSide,
} from './replay-attempts.ts';
import {
  choosePathSigners,
  forLeaf,
  invalidPath,
  leafKeyContext,
  pathLeaf,
  signersFor,
} from './signing-path.ts';

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

/** Longest a proposal may stay open. */
export const MAX_PROPOSAL_TTL_MS = 7 * 24 * 3600_000;
/**
 * Open sessions a vault may have at once, and open sessions one member may have proposed in it.
 * Every open session costs each member a spend check (again at every restart), a stored
 * transcript, a mailbox entry and the user's attention; a wallet proposes one spend at a time.
 */
export interface SessionLimits {
  perVault: number;
  perProposer: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = { perVault: 32, perProposer: 8 };
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

/** How long a threshold vault's proposal waits for every member before a leaf may be used. */
export const DEFAULT_LEAF_AFTER_MS = 3600_000;
/** Clock difference tolerated when a member checks that the proposer's deadline has passed. */
const PATH_CLOCK_SKEW_MS = 60_000;

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

type Outcome = 'done' | 'defer';

/** Messages accepted only from the peer the signer's approval bound (aborts and blames are
 * self-evident from their signatures and may come from a member who never approved). */
const BOUND_TYPES: ReadonlySet<number> = new Set([
  MessageType.nonces,
  MessageType.nonceEcho,
  MessageType.partialSigs,
  MessageType.broadcast,
]);

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
    const now = this.#clock.now();
    const ttl = Math.min(options.ttlMs ?? 24 * 3600_000, MAX_PROPOSAL_TTL_MS);
    const leaves = state.vault.threshold < state.vault.members.length;
    const payload: ProposalPayload = {
      createdAt: now,
      expiresAt: now + ttl,
      replayProtection,
      salt: randomBytes(32),
      memo: options.memo ?? '',
      spend: serializeUnsignedSpend(spend),
      ...(leaves
        ? { leafAfter: now + Math.min(options.leafAfterMs ?? DEFAULT_LEAF_AFTER_MS, ttl - 1) }
        : {}),
    };
    const payloadBytes = encodeProposal(payload);
    // Refuses (typed) what the other members would refuse, before anything leaves.
    const checked = checkSpend(state.vault, payload.spend, payload.replayProtection, this.#limits, {
      leaves,
    });
    return this.#serial(async () => {
      const over = this.#overSessionLimits(state, state.me);
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
      this.#scheduleLeafDeadline(session);
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

  /** The spend with the sighashes of `attempt`: its replay-protection side, key path or leaf. */
  #checkedFor(session: Session, attempt: number): CheckedSpend {
    const other = signsOtherSide(attempt);
    const signers = this.#signers(session, attempt);
    const leaf =
      signers.length < session.entry.vault.members.length
        ? pathLeaf(session.entry.vault, signers)
        : undefined;
    if (!other && !leaf) return session.checked;
    const key = `${other ? 'other' : 'same'}:${signers.join(',')}`;
    let checked = session.variants.get(key);
    if (!checked) {
      checked = other ? otherSideOf(session.checked) : session.checked;
      if (leaf) checked = forLeaf(checked, leaf);
      session.variants.set(key, checked);
    }
    return checked;
  }

  /** Members who sign `attempt`: the proposer's path from its attempt on, else every member. */
  #signers(session: Session, attempt: number): number[] {
    return signersFor(session.entry.vault, session.path, attempt);
  }

  /** The MuSig2 context of `attempt`: the vault's tweaked key, or the path leaf's own key. */
  #ctxFor(session: Session, attempt: number): KeyAggContext {
    const signers = this.#signers(session, attempt);
    if (signers.length === session.entry.vault.members.length) return session.entry.ctx;
    const key = signers.join(',');
    let ctx = session.leafContexts.get(key);
    if (!ctx) {
      ctx = leafKeyContext(session.entry.vault, signers);
      session.leafContexts.set(key, ctx);
    }
    return ctx;
  }

  /** Every signer of `attempt` has approved. */
  #ready(session: Session, attempt: number): boolean {
    return this.#signers(session, attempt).every((i) => session.approvals[i] !== undefined);
  }

  /** Every signer of the round's attempt has sent its `items` entry. */
  #allFrom<T>(session: Session, attempt: number, items: (T | undefined)[]): boolean {
    return this.#signers(session, attempt).every((i) => items[i] !== undefined);
  }

  /** `items` of the signers of `attempt`, in signer order (present: check #allFrom first). */
  #fromSigners<T>(session: Session, attempt: number, items: (T | undefined)[]): T[] {
    return this.#signers(session, attempt).map((i) => items[i] as T);
  }

  /** Withdraws this member's approval; refused once its partial signature has left. */
  async revoke(sessionId: string): Promise<SessionView> {
    return this.#serial(async () => {
      const session = this.#open(sessionId);
      const me = session.entry.me;
      if (!session.approvals[me]) return viewOf(session);
      if (session.round?.signed)
        throw new RevokeTooLateError('Your partial signature already left; the approval stands');
      const bytes = await this.#seal(
        session,
        MessageType.revoke,
        encodeRevoke(),
        proposalTranscript(session.id),
      );
      this.#applyRevoke(session, me);
      await this.#publish(session.entry as VaultState, bytes);
      this.#sendToMembers(session, bytes);
      this.#touchMailbox(session.entry as VaultState);
      this.#changed(session);
      return viewOf(session);
    });
  }

  /** Declines a session: it ends for every member (an n-of-n spend needs everyone). */
  async decline(sessionId: string, detail = 'Declined by a member'): Promise<SessionView> {
    return this.#serial(async () => {
      const session = this.#open(sessionId);
      await this.#sendAbort(session, AbortReason.user, detail, true);
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

  /** Why a new session proposed by `proposer` would exceed the open-session limits, if it would. */
  #overSessionLimits(
    state: VaultState,
    proposer: number,
  ): { reason: string; message: string } | undefined {
    let inVault = 0;
    let byProposer = 0;
    for (const session of this.#sessions.values()) {
      if (session.entry.vault.id !== state.vault.id || FINISHED.has(session.phase)) continue;
      inVault += 1;
      if (session.proposer === proposer) byProposer += 1;
    }
    const { perVault, perProposer } = this.#sessionLimits;
    if (byProposer >= perProposer)
      return {
        reason: 'too-many-proposals',
        message: `Member ${proposer} already has ${byProposer} open proposals (at most ${perProposer})`,
      };
    if (inVault >= perVault)
      return {
        reason: 'too-many-sessions',
        message: `The vault already has ${inVault} open sessions (at most ${perVault})`,
      };
    return undefined;
  }

  async #receiveProposal(state: VaultState, inbound: Inbound): Promise<void> {
    const { env, payload } = inbound;
    if (payload.type !== MessageType.proposal) return;
    const proposal = payload.body;
    const id = sessionIdOf(state.vaultId, env.signerIndex, env.payload);
    const idHex = bytesToHex(id);
    if (this.#sessions.has(idHex)) return;
    const now = this.#clock.now();
    const refuse = (reason: string, message: string, offence: Offence = 'invalid-proposal') => {
      this.#penalize(inbound.from, offence);
      this.emit('refused', { vaultId: state.vault.id, reason, message, ...opt(inbound.from) });
    };
    if (
      !same(id, env.sessionId) ||
      env.sequence !== 0 ||
      !same(env.transcriptHash, ZERO_TRANSCRIPT)
    )
      return refuse('bad-session-id', 'The proposal does not match its session id');
    if (proposal.expiresAt <= now) return; // stale, e.g. an old mailbox record
    if (proposal.expiresAt - proposal.createdAt > MAX_PROPOSAL_TTL_MS)
      return refuse('ttl', 'The proposal stays open longer than 7 days');
    if (proposal.leafAfter !== undefined && state.vault.threshold >= state.vault.members.length)
      return refuse('no-leaves', 'The proposal allows script leaves, but the vault has none');
    // Counted before the spend is checked: a refused proposal costs this member almost nothing.
    const over = this.#overSessionLimits(state, env.signerIndex);
    if (over) return refuse(over.reason, over.message, 'over-budget');
    let checked: CheckedSpend;
    try {
      checked = checkSpend(state.vault, proposal.spend, proposal.replayProtection, this.#limits, {
        leaves: proposal.leafAfter !== undefined,
      });
    } catch (err) {
      if (err instanceof ProposalRefusedError) return refuse(err.reason, err.message);
      throw err;
    }
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
    const { env, payload, from } = inbound;
    const signer = env.signerIndex;
    if (from !== undefined && BOUND_TYPES.has(payload.type)) {
      const bound = session.peers[signer];
      if (bound === undefined) return 'defer';
      // A member that restarted may speak from a new peer before its re-approval (which
      // rebinds it) arrives: wait for that rather than drop the message.
      if (bound !== from) return 'defer';
    }
    switch (payload.type) {
      case MessageType.approval:
        return this.#onApproval(session, inbound, payload.body);
      case MessageType.revoke:
        if (!this.#expectTranscript(inbound, proposalTranscript(session.id))) return 'done';
        this.#applyRevoke(session, signer);
        this.#changed(session);
        return 'done';
      case MessageType.nonces:
        return this.#onNonces(session, inbound, payload.body);
      case MessageType.nonceEcho:
        return this.#onEcho(session, inbound, payload.body);
      case MessageType.partialSigs:
        return this.#onPartials(session, inbound, payload.body);
      case MessageType.abort:
        return this.#onAbort(session, inbound, payload.body);
      case MessageType.blame:
        return this.#onBlame(session, inbound, payload.body);
      case MessageType.broadcast:
        return this.#onBroadcast(session, payload.body);
      case MessageType.path:
        return this.#onPath(session, inbound, payload.body);
      default:
        return 'done';
    }
  }

  #expectTranscript(inbound: Inbound, expected: Uint8Array): boolean {
    if (same(inbound.env.transcriptHash, expected)) return true;
    this.#penalize(inbound.from, 'bad-frame');
    return false;
  }

  // ───────────────────────────── approvals ─────────────────────────────

  async #onApproval(session: Session, inbound: Inbound, body: ApprovalPayload): Promise<Outcome> {
    const signer = inbound.env.signerIndex;
    if (!this.#expectTranscript(inbound, proposalTranscript(session.id))) return 'done';
    if (inbound.from !== undefined && inbound.from !== body.peerId) {
      this.#penalize(inbound.from, 'unbound-peer');
      return 'done';
    }
    if (!same(body.sighashDigest, session.checked.sighashDigest)) {
      this.#penalize(inbound.from, 'invalid-proposal');
      return 'done';
    }
    const requirement = session.entry.vault.identity;
    if (requirement && !session.replaying) {
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
    session.peers[signer] = body.peerId;
    session.approvals[signer] = inbound.bytes;
    this.#protectPeers(session);
    // A member who approves after us may have missed our approval: send it straight to them.
    const mine = session.approvals[session.entry.me];
    if (mine && !session.replaying && !session.caughtUp.has(signer)) {
      session.caughtUp.add(signer);
      this.#sendTo(session, signer, mine);
    }
    this.#changed(session);
    await this.#maybeStartAttempt(session);
    return 'done';
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
    const body: ApprovalPayload = {
      peerId: this.#transport.peerId,
      sighashDigest: session.checked.sighashDigest,
      ...(state.burn ? { burn: state.burn } : {}),
    };
    const bytes = await this.#seal(
      session,
      MessageType.approval,
      encodeApproval(body),
      proposalTranscript(session.id),
    );
    session.approvals[state.me] = bytes;
    session.peers[state.me] = this.#transport.peerId;
    this.#protectPeers(session);
    await this.#publish(state, bytes);
    // Members already known to be online get it directly too (gossip is best effort).
    session.peers.forEach((peer, index) => {
      if (peer && index !== state.me) {
        session.caughtUp.add(index);
        this.#sendTo(session, index, bytes);
      }
    });
    this.#touchMailbox(state);
    this.#changed(session);
    await this.#maybeStartAttempt(session);
  }

  #applyRevoke(session: Session, signer: number): void {
    session.approvals[signer] = undefined;
    if (session.round && !session.round.signed) {
      // The round cannot finish without this member; its nonces are abandoned, never reused.
      session.round = undefined;
      session.attempt += 1;
    }
    session.phase = 'awaiting-approvals';
  }

  // ───────────────────────────── threshold paths ─────────────────────────────

  /** The proposer looks again when its deadline for every member's approval passes. */
  #scheduleLeafDeadline(session: Session): void {
    const at = session.proposal.leafAfter;
    if (at === undefined || session.proposer !== session.entry.me || session.replaying) return;
    session.timers.set(
      () => void this.#serial(() => this.#maybeChoosePath(session)),
      Math.max(0, at - this.#clock.now()),
    );
  }

  /**
   * The proposer, once its deadline passed without every member's approval, names the k
   * lowest-indexed members whose approval it holds; from the next attempt on they sign through
   * their leaf (docs/PROTOCOL.md §6.14).
   */
  async #maybeChoosePath(session: Session): Promise<void> {
    const { proposal, entry } = session;
    if (session.replaying || FINISHED.has(session.phase) || session.round || session.path) return;
    if (session.proposer !== entry.me || proposal.leafAfter === undefined) return;
    if (this.#clock.now() < proposal.leafAfter) return;
    const approved = session.approvals.map((a) => a !== undefined);
    const signers = choosePathSigners(entry.vault, approved);
    if (!signers) return;
    const path: PathPayload = { attempt: session.attempt + 1, signers };
    const bytes = await this.#seal(
      session,
      MessageType.path,
      encodePath(path),
      attemptTranscript(session.id, path.attempt),
    );
    // Gossip and the mailbox too: members who have not approved have no bound peer yet.
    session.pathBytes = bytes;
    this.#sendToMembers(session, bytes);
    await this.#publish(entry as VaultState, bytes);
    this.#touchMailbox(entry as VaultState);
    await this.#adoptPath(session, path, path.attempt);
  }

  async #adoptPath(session: Session, path: PathPayload, attempt: number): Promise<void> {
    session.path = { attempt: path.attempt, signers: [...path.signers] };
    this.#changed(session);
    await this.#advanceTo(session, attempt);
  }

  async #onPath(session: Session, inbound: Inbound, body: PathPayload): Promise<Outcome> {
    const { vault } = session.entry;
    if (!this.#expectTranscript(inbound, attemptTranscript(session.id, body.attempt)))
      return 'done';
    const deadline = session.proposal.leafAfter;
    // Only the proposer chooses, once, among approvers, and not before its own deadline.
    if (inbound.env.signerIndex !== session.proposer || deadline === undefined) {
      this.#penalize(inbound.from, 'invalid-proposal');
      return 'done';
    }
    if (session.path) return 'done';
    if (invalidPath(vault, body.signers)) {
      this.#penalize(inbound.from, 'invalid-proposal');
      return 'done';
    }
    if (!session.replaying && this.#clock.now() + PATH_CLOCK_SKEW_MS < deadline) {
      this.#penalize(inbound.from, 'invalid-proposal');
      return 'done';
    }
    if (!body.signers.every((i) => session.approvals[i] !== undefined)) return 'defer';
    if (session.replaying) {
      session.path = { attempt: body.attempt, signers: [...body.signers] };
      if (body.attempt > session.attempt) {
        session.attempt = body.attempt;
        session.round = undefined;
      }
      return 'done';
    }
    // A key-path round of ours (we held every approval) gives way: its nonces are never used.
    const target = session.round
      ? Math.max(session.attempt + 1, body.attempt)
      : Math.max(session.attempt, body.attempt);
    await this.#adoptPath(session, body, target);
    return 'done';
  }

  // ───────────────────────────── rounds ─────────────────────────────

  async #maybeStartAttempt(session: Session): Promise<void> {
    if (session.replaying || FINISHED.has(session.phase) || session.round) return;
    if (!this.#ready(session, session.attempt)) {
      await this.#maybeChoosePath(session);
      return;
    }
    await this.#startAttempt(session, session.attempt);
  }

  async #startAttempt(session: Session, attempt: number): Promise<void> {
    const { entry } = session;
    const n = entry.vault.members.length;
    session.attempt = attempt;
    // A member outside the path's signers watches: the broadcast notice tells it the outcome.
    if (!this.#signers(session, attempt).includes(entry.me)) return;
    const round = newAttempt(attempt, n);
    session.round = round;
    session.phase = 'nonces';
    const checked = this.#checkedFor(session, attempt);
    const ctx = this.#ctxFor(session, attempt);
    const own = makeNonces(ctx, entry.key, checked, session.id, attempt, entry.me);
    // Durable before the nonces leave: after a crash this attempt is abandoned, never resumed.
    await this.#store.addNonceMarker({
      sessionId: session.idHex,
      attempt,
      stage: 'issued',
      at: this.#clock.now(),
    });
    round.own = own;
    const body: NoncesPayload = { attempt, electionCommit: own.commit, pubNonces: own.pubNonces };
    const payloadBytes = encodeNonces(body);
    const bytes = await this.#seal(
      session,
      MessageType.nonces,
      payloadBytes,
      attemptTranscript(session.id, attempt),
    );
    round.nonces[entry.me] = { body, bytes, payloadBytes };
    this.#sendToMembers(session, bytes);
    this.#changed(session);
    await this.#afterNonce(session);
  }

  /** Follows the group to a later attempt (someone restarted, revoked or re-approved). */
  async #advanceTo(session: Session, attempt: number): Promise<void> {
    if (attempt <= session.attempt && session.round) return;
    session.round = undefined;
    session.attempt = attempt;
    session.phase = 'awaiting-approvals';
    if (this.#ready(session, attempt) && !session.replaying)
      await this.#startAttempt(session, attempt);
  }

  async #onNonces(session: Session, inbound: Inbound, body: NoncesPayload): Promise<Outcome> {
    const signer = inbound.env.signerIndex;
    if (body.attempt < session.attempt) return 'done'; // stale
    if (!this.#expectTranscript(inbound, attemptTranscript(session.id, body.attempt)))
      return 'done';
    const signers = this.#signers(session, body.attempt);
    // Key-path nonces racing a path choice, a sender outside the path, or we only watch it.
    if (!signers.includes(signer) || !signers.includes(session.entry.me)) return 'done';
    if (body.attempt > session.attempt || !session.round) {
      if (session.replaying || !this.#ready(session, body.attempt)) return 'defer';
      await this.#advanceTo(session, body.attempt);
      if (!session.round) return 'defer';
    }
    const round = session.round;
    const payloadBytes = inbound.env.payload;
    const previous = round.nonces[signer];
    if (previous) {
      if (!same(previous.payloadBytes, payloadBytes))
        await this.#blame(session, signer, BlameReason.equivocation, [
          previous.bytes,
          inbound.bytes,
        ]);
      return 'done';
    }
    if (!noncesValid(body.pubNonces, session.checked.sighashes.length)) {
      await this.#blame(session, signer, BlameReason.invalidNonce, [inbound.bytes]);
      return 'done';
    }
    round.nonces[signer] = { body, bytes: inbound.bytes, payloadBytes };
    await this.#afterNonce(session);
    return 'done';
  }

  /** Once every member's nonces are in: echo what we received (equivocation check). */
  async #afterNonce(session: Session): Promise<void> {
    const round = session.round;
    if (!round || round.digests || !this.#allFrom(session, round.attempt, round.nonces)) return;
    const nonces = this.#fromSigners(session, round.attempt, round.nonces);
    round.digests = nonces.map((n) => nonceDigest(n.payloadBytes));
    round.aggNonces = aggregateNonces(
      nonces.map((n) => n.body.pubNonces),
      session.checked.sighashes.length,
    );
    session.phase = 'echo';
    if (session.replaying && !round.echoes[session.entry.me]) return;
    if (!round.echoes[session.entry.me]) {
      if (!round.own) return; // restarted: this attempt is abandoned by resume()
      const body: EchoPayload = {
        attempt: round.attempt,
        electionReveal: round.own.reveal,
        digests: round.digests,
      };
      const payloadBytes = encodeEcho(body);
      const bytes = await this.#seal(
        session,
        MessageType.nonceEcho,
        payloadBytes,
        attemptTranscript(session.id, round.attempt),
      );
      round.echoes[session.entry.me] = { body, bytes, payloadBytes };
      this.#sendToMembers(session, bytes);
    }
    this.#changed(session);
    await this.#afterEcho(session);
  }

  async #onEcho(session: Session, inbound: Inbound, body: EchoPayload): Promise<Outcome> {
    const signer = inbound.env.signerIndex;
    if (body.attempt < session.attempt) return 'done';
    if (!this.#expectTranscript(inbound, attemptTranscript(session.id, body.attempt)))
      return 'done';
    if (!this.#signers(session, body.attempt).includes(session.entry.me)) return 'done';
    const round = session.round;
    if (!round || body.attempt > round.attempt || !round.digests) return 'defer';
    if (!this.#signers(session, round.attempt).includes(signer)) return 'done';
    if (round.echoes[signer]) return 'done';
    const commit = round.nonces[signer]?.body.electionCommit as Uint8Array;
    if (!same(electionCommit(session.id, round.attempt, signer, body.electionReveal), commit)) {
      await this.#blame(session, signer, BlameReason.badReveal, [
        round.nonces[signer]?.bytes as Uint8Array,
        inbound.bytes,
      ]);
      return 'done';
    }
    round.echoes[signer] = { body, bytes: inbound.bytes, payloadBytes: inbound.env.payload };
    const mismatch = body.digests.findIndex(
      (d, k) => !same(d, round.digests?.[k] ?? new Uint8Array(0)),
    );
    if (body.digests.length !== round.digests.length || mismatch >= 0) {
      const signers = this.#signers(session, round.attempt);
      await this.#onMismatch(session, mismatch < 0 ? signer : (signers[mismatch] as number));
      return 'done';
    }
    await this.#afterEcho(session);
    return 'done';
  }

  /**
   * Someone received a different nonce message from member `k` than we did. We show everyone our
   * copy; whoever holds the other can then prove the equivocation with both signed messages.
   */
  async #onMismatch(session: Session, k: number): Promise<void> {
    const round = session.round as NonNullable<Session['round']>;
    if (round.mismatch !== undefined || session.replaying) return;
    round.mismatch = k;
    const ours = round.nonces[k]?.bytes;
    if (ours) {
      const body: BlamePayload = {
        attempt: round.attempt,
        culprit: k,
        reason: BlameReason.nonceMismatch,
        evidence: [ours],
      };
      const bytes = await this.#seal(
        session,
        MessageType.blame,
        encodeBlame(body),
        attemptTranscript(session.id, round.attempt),
      );
      this.#sendToMembers(session, bytes);
    }
    session.timers.set(() => {
      void this.#serial(() =>
        FINISHED.has(session.phase)
          ? Promise.resolve()
          : this.#end(session, 'failed', {
              reason: 'nonce-mismatch',
              detail: 'Members received different nonces from the same member',
              suspect: k,
            }),
      );
    }, this.#timeouts.mismatchMs);
  }

  /** Once every echo agrees: elect, then sign (after the durable marker). */
  async #afterEcho(session: Session): Promise<void> {
    const round = session.round;
    if (!round?.digests || round.signTranscript) return;
    if (!this.#allFrom(session, round.attempt, round.echoes)) return;
    if (round.mismatch !== undefined) return;
    const { entry } = session;
    const signers = this.#signers(session, round.attempt);
    round.signTranscript = signTranscript(
      attemptTranscript(session.id, round.attempt),
      nonceSetHash(round.digests),
    );
    const echoes = this.#fromSigners(session, round.attempt, round.echoes);
    round.order = coordinatorOrder(
      session.id,
      round.attempt,
      electionSeed(echoes.map((e) => e.body.electionReveal)),
      signers.map((i) => entry.vault.members[i] as Uint8Array),
    ).map((position) => signers[position] as number);
    session.phase = 'signing';
    if (!round.partials[entry.me] && !session.replaying) {
      if (!round.own) return;
      await this.#store.addNonceMarker({
        sessionId: session.idHex,
        attempt: round.attempt,
        stage: 'consumed',
        at: this.#clock.now(),
      });
      round.signed = true;
      const partialSigs = signInputs(
        this.#ctxFor(session, round.attempt),
        entry.key,
        round.own.secNonces,
        round.aggNonces as Uint8Array[],
        this.#checkedFor(session, round.attempt),
      );
      const body: PartialSigsPayload = { attempt: round.attempt, partialSigs };
      const payloadBytes = encodePartialSigs(body);
      const bytes = await this.#seal(
        session,
        MessageType.partialSigs,
        payloadBytes,
        round.signTranscript,
      );
      round.partials[entry.me] = { body, bytes, payloadBytes };
      this.#sendToMembers(session, bytes);
    }
    this.#changed(session);
    await this.#afterPartial(session);
  }

  async #onPartials(
    session: Session,
    inbound: Inbound,
    body: PartialSigsPayload,
  ): Promise<Outcome> {
    const signer = inbound.env.signerIndex;
    if (body.attempt < session.attempt) return 'done';
    if (!this.#signers(session, body.attempt).includes(session.entry.me)) return 'done';
    const round = session.round;
    if (!round || body.attempt > round.attempt || !round.signTranscript) return 'defer';
    if (!this.#expectTranscript(inbound, round.signTranscript)) return 'done';
    const signers = this.#signers(session, round.attempt);
    if (!signers.includes(signer) || round.partials[signer]) return 'done';
    const bad = firstInvalidPartial(
      this.#ctxFor(session, round.attempt),
      signers.indexOf(signer),
      body.partialSigs,
      (round.nonces[signer] as Received<NoncesPayload>).body.pubNonces,
      round.aggNonces as Uint8Array[],
      this.#checkedFor(session, round.attempt),
    );
    if (bad >= 0) {
      await this.#blame(session, signer, BlameReason.invalidPartialSig, [
        inbound.bytes,
        (round.echoes[signer] as Received<EchoPayload>).bytes,
        ...this.#fromSigners(session, round.attempt, round.nonces).map((n) => n.bytes),
      ]);
      return 'done';
    }
    round.partials[signer] = { body, bytes: inbound.bytes, payloadBytes: inbound.env.payload };
    await this.#afterPartial(session);
    return 'done';
  }

  /** Every partial is in: aggregate, verify, and broadcast in election order. */
  async #afterPartial(session: Session): Promise<void> {
    const round = session.round;
    if (!round || round.final || session.replaying) return;
    if (!this.#allFrom(session, round.attempt, round.partials)) return;
    const signers = this.#signers(session, round.attempt);
    const leaf =
      signers.length < session.entry.vault.members.length
        ? pathLeaf(session.entry.vault, signers)
        : undefined;
    try {
      round.final = finalTransaction(
        this.#ctxFor(session, round.attempt),
        this.#fromSigners(session, round.attempt, round.partials).map((p) => p.body.partialSigs),
        round.aggNonces as Uint8Array[],
        this.#checkedFor(session, round.attempt),
        undefined,
        leaf,
      );
    } catch (err) {
      await this.#end(session, 'failed', {
        reason: 'invalid-final',
        detail: (err as Error).message,
      });
      return;
    }
    session.finalizedAt = this.#clock.now();
    session.phase = 'broadcasting';
    this.#changed(session);
    const position = (round.order as number[]).indexOf(session.entry.me);
    const attempt = round.attempt;
    if (position === 0) {
      await this.#broadcastFinal(session, attempt);
      return;
    }
    // Failover: member k in the order steps in after k × failoverMs unless the tx was seen.
    session.timers.set(() => {
      void this.#serial(async () => {
        if (session.phase !== 'broadcasting' || session.round?.attempt !== attempt) return;
        const txid = session.checked.summary.txid;
        if (await this.#chain.seen(txid).catch(() => false)) {
          await this.#end(session, 'completed');
          return;
        }
        // Everyone ahead of us in the order stayed silent: that costs them reputation.
        for (const silent of (round.order as number[]).slice(0, position))
          this.#penalize(session.peers[silent], 'timeout');
        await this.#broadcastFinal(session, attempt);
      });
    }, position * this.#timeouts.failoverMs);
  }

  async #broadcastFinal(session: Session, attempt: number): Promise<void> {
    const final = session.round?.final;
    if (!final) return;
    try {
      await this.#chain.broadcast(final.tx);
      void this.#learnSide(session, attempt);
    } catch (err) {
      // Already broadcast by someone else is success. A node's rejection is final for this
      // transaction (every member would send the same bytes), except a script-verification
      // failure of the first side tried: then the other side's attempt runs. An unreachable
      // indexer lets the next member in the order try.
      if (!(await this.#chain.seen(final.txid).catch(() => false))) {
        if (!(err instanceof BroadcastError)) this.#changed(session);
        else if (isScriptVerifyRejection(err.message) && !signsOtherSide(attempt))
          await this.#switchSide(session, attempt, err.message);
        else
          await this.#end(session, 'failed', {
            reason: 'rejected',
            detail: `The network rejected the transaction: ${err.message}`,
          });
        return;
      }
    }
    const bytes = await this.#seal(
      session,
      MessageType.broadcast,
      encodeBroadcast({ attempt, tx: final.tx }),
      session.round?.signTranscript as Uint8Array,
    );
    this.#sendToMembers(session, bytes);
    // Outside a leaf's signers, members may have no bound peer: they hear of it by gossip.
    if (session.path) await this.#publish(session.entry as VaultState, bytes);
    await this.#end(session, 'completed');
  }

  /**
   * A node refused `attempt`'s signatures as hashed for the wrong side: every member moves to the
   * other side's attempt, fresh nonces, same approvals (the abort tells them why).
   */
  async #switchSide(session: Session, attempt: number, rejection: string): Promise<void> {
    await this.#sendAbort(
      session,
      AbortReason.otherSide,
      `The network rejected the signatures' replay-protection side: ${rejection}`,
      false,
    );
    await this.#advanceTo(session, otherSideAttempt(attempt));
  }

  /** Remembers the side the network just accepted (off the protocol's path). */
  async #learnSide(session: Session, attempt: number): Promise<void> {
    const medianTime = await this.#chain.medianTimePast?.().catch(() => undefined);
    if (medianTime === undefined) return;
    const active = replayProtectionOf(session.proposal.replayProtection, attempt);
    this.#replaySwitch.learn(session.entry.vault.network, active, medianTime);
  }

  async #onBroadcast(session: Session, body: BroadcastPayload): Promise<Outcome> {
    if (!this.#isFinalTx(session, body.tx, body.attempt)) return 'done';
    if (session.replaying) return 'done';
    await this.#end(session, 'completed');
    return 'done';
  }

  /** True if `bytes` is this session's transaction, fully signed and valid. */
  #isFinalTx(session: Session, bytes: Uint8Array, attempt: number): boolean {
    try {
      const tx = parseTx(bytes);
      if (txidOf(tx) !== session.checked.summary.txid) return false;
      const { spent } = session.checked.spend;
      const { replay } = this.#checkedFor(session, attempt);
      return verifyTransaction(tx, spent, { replay }).ok;
    } catch {
      return false;
    }
  }

  async #onAbort(session: Session, inbound: Inbound, body: AbortPayload): Promise<Outcome> {
    const signer = inbound.env.signerIndex;
    if (body.reason === AbortReason.restarted || body.reason === AbortReason.timeout) {
      if (body.attempt < session.attempt) return 'done';
      if (session.replaying) {
        session.round = undefined;
        session.attempt = body.attempt + 1;
        return 'done';
      }
      await this.#advanceTo(session, body.attempt + 1);
      return 'done';
    }
    if (body.reason === AbortReason.otherSide) {
      if (body.attempt < session.attempt || signsOtherSide(body.attempt)) return 'done';
      if (session.replaying) {
        session.round = undefined;
        session.attempt = otherSideAttempt(body.attempt);
        return 'done';
      }
      await this.#advanceTo(session, otherSideAttempt(body.attempt));
      return 'done';
    }
    const reason =
      Object.entries(AbortReason).find(([, code]) => code === body.reason)?.[0] ?? 'aborted';
    await this.#end(session, 'aborted', {
      reason: reason === 'user' ? 'declined' : reason,
      detail: body.detail,
      by: signer,
    });
    return 'done';
  }

  async #onBlame(session: Session, inbound: Inbound, body: BlamePayload): Promise<Outcome> {
    const round = session.round;
    if (body.reason === BlameReason.nonceMismatch) {
      // Their copy of the culprit's nonces against ours: different and both signed = proof.
      const theirs = body.evidence[0];
      const ours = round?.attempt === body.attempt ? round.nonces[body.culprit] : undefined;
      if (!theirs || !ours) return 'done';
      const proof: BlamePayload = {
        attempt: body.attempt,
        culprit: body.culprit,
        reason: BlameReason.equivocation,
        evidence: [ours.bytes, theirs],
      };
      if (verifyBlame(this.#blameContext(session, proof.attempt), proof))
        await this.#blame(session, body.culprit, BlameReason.equivocation, proof.evidence);
      return 'done';
    }
    if (verifyBlame(this.#blameContext(session, body.attempt), body)) {
      await this.#concludeBlame(session, body.culprit, body.reason);
    } else {
      this.#penalize(inbound.from, 'false-blame');
    }
    return 'done';
  }

  #blameContext(session: Session, attempt: number): BlameContext {
    return {
      vaultId: session.entry.vaultId,
      sessionId: session.id,
      members: session.entry.vault.members,
      signers: this.#signers(session, attempt),
      keyCtx: this.#ctxFor(session, attempt),
      sighashes: this.#checkedFor(session, attempt).sighashes,
      auth: this.#auth,
    };
  }

  /** Accuses `culprit` with signed evidence, tells every member, and fails the session. */
  async #blame(session: Session, culprit: number, reason: BlameReason, evidence: Uint8Array[]) {
    if (FINISHED.has(session.phase)) return;
    if (!session.replaying) {
      const body: BlamePayload = {
        attempt: session.round?.attempt ?? session.attempt,
        culprit,
        reason,
        evidence,
      };
      const bytes = await this.#seal(
        session,
        MessageType.blame,
        encodeBlame(body),
        attemptTranscript(session.id, body.attempt),
      );
      this.#sendToMembers(session, bytes);
    }
    await this.#concludeBlame(session, culprit, reason);
  }

  async #concludeBlame(session: Session, culprit: number, reason: BlameReason) {
    if (FINISHED.has(session.phase)) return;
    const name = Object.entries(BlameReason).find(([, code]) => code === reason)?.[0] ?? 'blame';
    const peer = session.peers[culprit];
    const offence: Offence =
      reason === BlameReason.equivocation
        ? 'equivocation'
        : reason === BlameReason.badReveal
          ? 'bad-reveal'
          : 'invalid-partial-sig';
    if (peer) this.#reputation.penalize(peer, offence);
    this.emit('blame', {
      sessionId: session.idHex,
      culprit,
      reason: name,
      ...(peer ? { peerId: peer } : {}),
    });
    await this.#end(session, 'failed', {
      reason: name,
      detail: `Proven to have sent ${describe(reason)}`,
      culprit,
    });
  }

  async #sendAbort(session: Session, reason: AbortReason, detail: string, publish: boolean) {
    const attempt = Math.max(1, session.round?.attempt ?? session.attempt);
    const bytes = await this.#seal(
      session,
      MessageType.abort,
      encodeAbort({ attempt, reason, detail }),
      attemptTranscript(session.id, attempt),
    );
    this.#sendToMembers(session, bytes);
    if (publish) await this.#publish(session.entry as VaultState, bytes);
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
    const { entry } = session;
    const sequence = session.nextSequence++;
    const bytes = sealEnvelope(
      {
        type,
        vaultId: entry.vaultId,
        sessionId: session.id,
        signerIndex: entry.me,
        sequence,
        transcriptHash: transcript,
        sentAt: this.#clock.now(),
        payload,
      },
      entry.key,
      this.#auth,
    );
    this.#replay.accept(session.idHex, entry.me, sequence);
    if (isProposal) {
      session.proposalBytes = bytes;
      await this.#persistNew(session, [bytes]);
    } else await this.#store.append(session.idHex, [bytes], session.nextSequence);
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

  #changed(session: Session): void {
    if (session.replaying) return;
    this.emit('update', viewOf(session));
  }

  async #end(session: Session, phase: SessionPhase, end?: SessionEnd): Promise<void> {
    if (FINISHED.has(session.phase)) return;
    session.phase = phase;
    session.endedAt = this.#clock.now();
    if (end) session.end = end;
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
    const view = viewOf(session);
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
    for (const session of [...this.#sessions.values()]) {
      if (session.proposal.expiresAt <= now)
        await this.#end(session, 'expired', { reason: 'expired', detail: 'The proposal expired' });
    }
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
    const envelopes: Uint8Array[] = [];
    let expiresAt = 0;
    for (const session of this.#sessions.values()) {
      if (session.entry !== state || FINISHED.has(session.phase)) continue;
      envelopes.push(session.proposalBytes);
      const mine = session.approvals[state.me];
      if (mine) envelopes.push(mine);
      if (session.pathBytes) envelopes.push(session.pathBytes);
      expiresAt = Math.max(expiresAt, session.proposal.expiresAt);
    }
    const id = state.keys.recordId(state.me);
    const until = expiresAt || this.#clock.now() + 3600_000;
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
        if (env.signerIndex === state.me) this.#replayOwn(session, inbound);
        else await this.#dispatch(session, inbound);
      } catch (err) {
        if (!(err instanceof MessageDecodeError)) throw err;
      }
    }
    session.replaying = false;
    await this.#resume(session);
  }

  /** Our own stored envelopes, re-applied without re-sending or re-signing anything. */
  #replayOwn(session: Session, inbound: Inbound): void {
    const { payload, bytes } = inbound;
    const me = session.entry.me;
    const round = () => {
      if (!session.round) session.round = newAttempt(session.attempt, session.approvals.length);
      return session.round;
    };
    switch (payload.type) {
      case MessageType.approval:
        session.approvals[me] = bytes;
        session.peers[me] = this.#transport.peerId;
        break;
      case MessageType.revoke:
        this.#applyRevoke(session, me);
        break;
      case MessageType.nonces:
        if (payload.body.attempt > session.attempt) {
          session.attempt = payload.body.attempt;
          session.round = undefined;
        }
        round().nonces[me] = { body: payload.body, bytes, payloadBytes: inbound.env.payload };
        break;
      case MessageType.nonceEcho:
        round().echoes[me] = { body: payload.body, bytes, payloadBytes: inbound.env.payload };
        break;
      case MessageType.partialSigs:
        round().partials[me] = { body: payload.body, bytes, payloadBytes: inbound.env.payload };
        round().signed = true;
        break;
      case MessageType.path:
        session.path = { attempt: payload.body.attempt, signers: [...payload.body.signers] };
        session.pathBytes = bytes;
        if (payload.body.attempt > session.attempt) {
          session.attempt = payload.body.attempt;
          session.round = undefined;
        }
        break;
      case MessageType.abort:
        if (payload.body.reason === AbortReason.restarted) {
          session.attempt = payload.body.attempt + 1;
          session.round = undefined;
        } else if (payload.body.reason === AbortReason.otherSide) {
          session.attempt = otherSideAttempt(payload.body.attempt);
          session.round = undefined;
        }
        break;
      default:
        break;
    }
  }

  async #resume(session: Session): Promise<void> {
    const markers = await this.#store.nonceMarkers(session.idHex);
    const attempt = session.attempt;
    const issued = markers.some((m) => m.attempt === attempt && m.stage === 'issued');
    const round = session.round;
    const ourPartials = round?.partials[session.entry.me];
    // Our own partial signature of this attempt left already: resend it and carry on.
    if (round && ourPartials) {
      this.#sendToMembers(session, ourPartials.bytes);
      round.echoes.forEach((e, i) => {
        if (e && i === session.entry.me) this.#sendToMembers(session, e.bytes);
      });
      this.#changed(session);
      await this.#afterPartial(session);
      return;
    }
    if (issued || round?.nonces[session.entry.me]) {
      // Nonces of this attempt may have left, and their secrets are gone: abandon the attempt.
      await this.#sendAbort(session, AbortReason.restarted, 'Restarted between rounds', false);
      session.round = undefined;
      session.attempt = attempt + 1;
    } else {
      session.round = undefined;
    }
    session.phase = 'awaiting-approvals';
    this.#scheduleLeafDeadline(session);
    // Re-announce our approval so members bind our (possibly new) peer id.
    const mine = session.approvals[session.entry.me];
    if (mine) {
      session.approvals[session.entry.me] = undefined;
      await this.#approve(session);
    } else {
      this.#changed(session);
    }
    await this.#drainDeferred(session);
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
    if (session.proposal.expiresAt <= this.#clock.now())
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

function describe(reason: BlameReason): string {
  switch (reason) {
    case BlameReason.invalidPartialSig:
      return 'an invalid partial signature';
    case BlameReason.equivocation:
      return 'different nonces to different members';
    case BlameReason.invalidNonce:
      return 'an invalid public nonce';
    case BlameReason.badReveal:
      return 'an election reveal that does not open its commitment';
    default:
      return 'a protocol violation';
  }
}
