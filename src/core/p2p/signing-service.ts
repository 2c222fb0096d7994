/**
 * The Petal signing protocol engine (docs/PROTOCOL.md §6): one instance per wallet, serving every
 * vault the wallet is a member of. It turns a proposal into a broadcast transaction:
 *
 *   proposal → approvals (any time, asynchronously) → nonces → partial signatures
 *            → aggregate, verify locally → elected coordinator broadcasts, the others fail over
 *
 * Everything it receives passes, in order: ban list, per-peer rate limit, vault frame decryption,
 * envelope decoding, membership and signature check, replay guard, peer binding and transcript
 * check. Everything it sends is signed, sealed for the vault and, for round messages, delivered
 * directly to every member with acknowledgement and retries. Secret nonces live only in memory;
 * a durable marker is written before a nonce or a partial signature leaves the device.
 *
 * The protocol's rules are steps without I/O in ./signing/ (one module per section of §6). Their
 * shell is ./service/: the receive pipeline (receive.ts), the effect executor (executor.ts), a
 * session's life in memory and storage (sessions.ts), the sweep (sweep.ts), the mailbox record
 * (mailbox.ts, sync.ts) and restart (resume.ts), all sharing one ServiceContext (context.ts). This
 * class is the public face: it serves vaults and turns the user's actions into steps, run one at
 * a time per wallet.
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { type UnsignedSpend, serializeUnsignedSpend } from '../chain/unsigned-spend.ts';
import { applyTaprootTweak, keyAgg } from '../crypto/musig2.ts';
import { SigningKey } from '../crypto/signing-key.ts';
import type { Vault } from '../wallet/vault.ts';
import { MessageType } from './envelope.ts';
import {
  ProposalRefusedError,
  RevokeTooLateError,
  ServiceStoppedError,
  UnknownSessionError,
  UnknownVaultError,
} from './errors.ts';
import { TypedEvents } from './events.ts';
import { AbortReason, type BurnProof, encodeProposal } from './messages.ts';
import type { Reputation } from './reputation.ts';
import { type Session, type SessionView, viewOf } from './session.ts';
import { checkSpend } from './spend-check.ts';
import { ZERO_TRANSCRIPT, sessionIdOf } from './transcript.ts';
import { sendAbort } from './signing/aborts.ts';
import { approve, revoke } from './signing/approvals.ts';
import { scheduleLeafDeadline } from './signing/leaf-path.ts';
import { newProposal, overSessionLimits } from './signing/proposal.ts';
import { Step } from './signing/effects.ts';
import { deriveVaultKeys } from './vault-keys.ts';
import { ServiceContext, type VaultState, same } from './service/context.ts';
import { end, run } from './service/executor.ts';
import type { ProposeOptions, SigningEvents, SigningServiceOptions } from './service/options.ts';
import { drainDeferred, receiveFrame, validFrame } from './service/receive.ts';
import { replaySideNow } from './service/replay-side.ts';
import { resumeStored } from './service/resume.ts';
import { createSession, drop, persistNew, publish } from './service/sessions.ts';
import { scheduleSweep, sweep } from './service/sweep.ts';
import { scheduleSync, syncVault } from './service/sync.ts';

export {
  DEFAULT_TIMEOUTS,
  type ProposeOptions,
  type SigningEvents,
  type SigningServiceOptions,
  type SigningTimeouts,
} from './service/options.ts';
export {
  DEFAULT_LEAF_AFTER_MS,
  DEFAULT_SESSION_LIMITS,
  MAX_PROPOSAL_TTL_MS,
  type SessionLimits,
} from './signing/proposal.ts';

export class SigningService extends TypedEvents<SigningEvents> {
  readonly #ctx: ServiceContext;

  constructor(options: SigningServiceOptions) {
    super();
    this.#ctx = new ServiceContext(options, (type, detail) => this.emit(type, detail));
  }

  get peerId(): string {
    return this.#ctx.transport.peerId;
  }

  get reputation(): Reputation {
    return this.#ctx.reputation;
  }

  /** Starts listening for direct messages and the periodic sweep and mailbox sync. */
  start(): void {
    const ctx = this.#ctx;
    if (ctx.running) return;
    ctx.running = true;
    ctx.transport.onDirect((from, data) => receiveFrame(ctx, from, data));
    scheduleSweep(ctx);
    scheduleSync(ctx);
  }

  /** Stops every timer, delivery and subscription; in-memory state is dropped, storage kept. */
  async stop(): Promise<void> {
    const ctx = this.#ctx;
    ctx.running = false;
    ctx.transport.onDirect(() => undefined);
    await ctx.idle();
    ctx.timers.clearAll();
    for (const session of ctx.sessions.values()) drop(ctx, session);
    for (const vault of ctx.vaults.values()) vault.unsubscribe();
    ctx.vaults.clear();
    ctx.vaultsByTag.clear();
    ctx.lastPeers.clear();
    ctx.early.clear();
  }

  /**
   * Serves a vault this wallet is a member of: listens on its topic, resumes its stored sessions
   * and reads the other members' mailbox records for sessions proposed while it was offline.
   */
  async addVault(vault: Vault, secretKey: Uint8Array, options: { burn?: BurnProof } = {}) {
    const ctx = this.#ctx;
    if (!ctx.running) throw new ServiceStoppedError('Start the signing service first');
    // The output key commits to the vault's script tree (none for an n-of-n vault).
    const tweaked = applyTaprootTweak(keyAgg(vault.members), vault.merkleRoot);
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
      ctx: tweaked,
      me,
      key,
      keys,
      unsubscribe: () => undefined,
      ...(options.burn ? { burn: options.burn } : {}),
    };
    ctx.vaults.get(vault.id)?.unsubscribe();
    ctx.vaults.set(vault.id, state);
    ctx.vaultsByTag.set(bytesToHex(keys.tag), state);
    state.unsubscribe = ctx.transport.subscribe(
      keys.topic,
      (from, data) => receiveFrame(ctx, from, data),
      (from, data) => validFrame(ctx, state, from, data),
    );
    await ctx.serial(() => resumeStored(ctx, state));
    await this.sync(vault.id);
  }

  /** Reads every other member's mailbox record now (also done periodically). */
  sync(vaultId: string): Promise<void> {
    return syncVault(this.#ctx, vaultId);
  }

  /** Proposes a spend from a vault; the proposer approves it by proposing. */
  async propose(
    vaultId: string,
    spend: UnsignedSpend,
    options: ProposeOptions = {},
  ): Promise<SessionView> {
    const ctx = this.#ctx;
    const state = ctx.vaultState(vaultId);
    const replayProtection = options.replayProtection ?? (await replaySideNow(ctx, state.vault));
    const payload = newProposal(
      state.vault,
      serializeUnsignedSpend(spend),
      { now: ctx.clock.now(), salt: randomBytes(32), replayProtection },
      options,
    );
    const leaves = payload.leafAfter !== undefined;
    const payloadBytes = encodeProposal(payload);
    // Refuses (typed) what the other members would refuse, before anything leaves.
    const checked = checkSpend(state.vault, payload.spend, payload.replayProtection, ctx.limits, {
      leaves,
    });
    return ctx.serial(async () => {
      const over = overSessionLimits(ctx.openCounts(state, state.me), state.me, ctx.sessionLimits);
      if (over) throw new ProposalRefusedError(over.reason, over.message);
      const id = sessionIdOf(state.vaultId, state.me, payloadBytes);
      const session = createSession(ctx, state, id, state.me, payload, checked);
      const bytes = await this.#sealProposal(session, payloadBytes);
      await publish(ctx, state, bytes);
      await this.#approve(session);
      await run(ctx, (step) => scheduleLeafDeadline(session, step));
      return viewOf(session);
    });
  }

  /** Approves a session: this member has seen the spend summary and agrees to sign it. */
  async approve(sessionId: string): Promise<SessionView> {
    // The approval binds the spend, not the replay-protection side: a proposal for either side is
    // approved as it stands, and a node's verdict moves the session to the other side if needed.
    return this.#ctx.serial(async () => {
      const session = this.#ctx.open(sessionId);
      if (session.approvals[session.entry.me]) return viewOf(session);
      await this.#approve(session);
      return viewOf(session);
    });
  }

  /**
   * Withdraws this member's approval; refused once a partial signature of ours has left, in any
   * attempt: an abandoned attempt's partial still completes if its other signers sign after all.
   */
  async revoke(sessionId: string): Promise<SessionView> {
    return this.#ctx.serial(async () => {
      const session = this.#ctx.open(sessionId);
      const me = session.entry.me;
      if (!session.approvals[me]) return viewOf(session);
      if (session.signedAttempts.size > 0)
        throw new RevokeTooLateError('Your partial signature already left; the approval stands');
      await run(this.#ctx, (step) => revoke(session, step));
      return viewOf(session);
    });
  }

  /** Declines a session: it ends for every member (an n-of-n spend needs everyone). */
  async decline(sessionId: string, detail = 'Declined by a member'): Promise<SessionView> {
    const ctx = this.#ctx;
    return ctx.serial(async () => {
      const session = ctx.open(sessionId);
      await run(ctx, (step) => sendAbort(session, AbortReason.user, detail, true, step));
      await end(ctx, session, 'aborted', {
        reason: 'declined',
        detail,
        by: session.entry.me,
      });
      return viewOf(session);
    });
  }

  session(sessionId: string): SessionView | undefined {
    const session = this.#ctx.sessions.get(sessionId);
    return session ? viewOf(session) : this.#ctx.tombstones.get(sessionId)?.view;
  }

  /**
   * The transport peer each member of a vault last approved from, so a wallet can show who is
   * reachable. Undefined for members not seen since this service started.
   */
  memberPeers(vaultId: string): (string | undefined)[] {
    return [...(this.#ctx.lastPeers.get(vaultId) ?? [])];
  }

  /** Open sessions, then the recently finished ones still remembered (newest last). */
  sessions(): SessionView[] {
    const { sessions, tombstones } = this.#ctx;
    const finished = [...tombstones.values()].flatMap((t) => (t.view ? [t.view] : []));
    return [...[...sessions.values()].map(viewOf), ...finished];
  }

  /** Resolves with the session's final view: completed, or ended for a reason. */
  async settled(sessionId: string, signal?: AbortSignal): Promise<SessionView> {
    const { sessions, tombstones, waiters: all } = this.#ctx;
    const finished = tombstones.get(sessionId)?.view;
    if (finished) return finished;
    if (!sessions.has(sessionId)) throw new UnknownSessionError(`Unknown session ${sessionId}`);
    return new Promise((resolve, reject) => {
      let waiters = all.get(sessionId);
      if (!waiters) all.set(sessionId, (waiters = new Set()));
      const waiter = (view: SessionView) => resolve(view);
      waiters.add(waiter);
      signal?.addEventListener('abort', () => {
        waiters.delete(waiter);
        if (waiters.size === 0) all.delete(sessionId);
        reject(signal.reason);
      });
    });
  }

  /** Sizes of every table the service keeps, to check that state stays bounded. */
  stats() {
    const ctx = this.#ctx;
    let deferred = 0;
    let sessionTimers = 0;
    for (const s of ctx.sessions.values()) {
      deferred += s.deferred.length;
      sessionTimers += s.timers.size;
    }
    return {
      sessions: ctx.sessions.size,
      waiters: ctx.waiters.size,
      tombstones: ctx.tombstones.size,
      early: ctx.early.sessions,
      earlyBytes: ctx.early.bytes,
      deferred,
      replayWindows: ctx.replay.size,
      timers: ctx.timers.size + sessionTimers,
      pendingDeliveries: ctx.outbox.pending,
      reputation: ctx.reputation.size,
      rateBuckets: ctx.rate.size,
    };
  }

  /** Runs the sweep now (tests; normally on a timer). */
  async sweep(): Promise<void> {
    await this.#ctx.serial(() => sweep(this.#ctx));
  }

  /** Signs our proposal and opens the session's stored record with it, before it can leave. */
  async #sealProposal(session: Session, payloadBytes: Uint8Array): Promise<Uint8Array> {
    const ctx = this.#ctx;
    const step = new Step(ctx.clock.now(), ctx.auth, ctx.timeouts);
    const bytes = step.seal(session, MessageType.proposal, payloadBytes, ZERO_TRANSCRIPT);
    ctx.replay.accept(session.idHex, session.entry.me, session.nextSequence - 1);
    session.proposalBytes = bytes;
    await persistNew(ctx, session, [bytes]);
    return bytes;
  }

  /** Our own approval, with the peer id and burn proof the others bind to us. */
  async #approve(session: Session): Promise<void> {
    const state = session.entry as VaultState;
    const peerId = this.#ctx.transport.peerId;
    const own = { peerId, ...(state.burn ? { burn: state.burn } : {}) };
    await run(this.#ctx, (step) => approve(session, own, step));
    // Messages set aside while our approval was missing (a path, a later attempt's nonces) may
    // proceed now; nothing else would retry them if no new message arrives (simulator seed
    // 2691684880: a re-approval after a revoke stalled a 2-of-3 leaf session).
    await drainDeferred(this.#ctx, session);
  }
}
