/**
 * The invariants, checked as the run goes (what members send, what they submit to the chain,
 * the size of their state after every step) and once at the end (agreement, liveness).
 * It judges honest members only: hostile ones may do anything, and the oracle only records what
 * they did so that blame can be checked against it.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { parseScript } from '../../src/core/chain/script.ts';
import { parseTx, txid as txidOf } from '../../src/core/chain/transaction.ts';
import { verifyTransaction } from '../../src/core/chain/interpreter.ts';
import { DEFAULT_EARLY_LIMITS } from '../../src/core/p2p/early-buffer.ts';
import { MessageType, openEnvelope } from '../../src/core/p2p/envelope.ts';
import { openFrame } from '../../src/core/p2p/frames.ts';
import {
  type ApprovalPayload,
  type NoncesPayload,
  type PartialSigsPayload,
  decodePayload,
  encodeNonces,
} from '../../src/core/p2p/messages.ts';
import type { SessionView } from '../../src/core/p2p/session.ts';
import type { SigningService } from '../../src/core/p2p/signing-service.ts';
import type { VaultKeys } from '../../src/core/p2p/vault-keys.ts';
import type { Vault } from '../../src/core/wallet/vault.ts';
import type { Adversary } from './adversary.ts';
import type { Submission, SimLedger } from './ledger.ts';

export type Invariant =
  | 'nonce-reuse'
  | 'signed-unapproved'
  | 'invalid-broadcast'
  | 'disagreement'
  | 'false-blame'
  | 'unbounded-state'
  | 'liveness'
  | 'stuck';

/**
 * Protocol weaknesses the simulator found and that are reported, not yet fixed (docs/SIMULATOR.md
 * "Known findings"). A run that shows one records it as a finding instead of a violation, unless
 * the run is strict. None is open: every weakness found so far is fixed, and the simulator
 * reports it as a violation should it come back. Name one here (and pass it to `terminated` or
 * `live` where its precondition holds) to report a new weakness before it is fixed.
 */
export type Finding = never;

export interface Violation {
  invariant: Invariant;
  at: number;
  detail: string;
}

type Stats = ReturnType<SigningService['stats']>;

/** The part of a final session view the end checks read. */
export type Ending = Pick<SessionView, 'phase' | 'txid' | 'end'>;

/** Messages that name an attempt. */
const ATTEMPT_TYPES: ReadonlySet<number> = new Set([
  MessageType.nonces,
  MessageType.nonceDisclosure,
  MessageType.partialSigs,
  MessageType.abort,
  MessageType.path,
  MessageType.blame,
]);

/** Which blame reasons a misbehaviour can justify. */
const JUSTIFIES: Record<string, string[]> = {
  equivocation: ['equivocation'],
  invalidPartialSig: ['invalid-partial'],
  'nonce-mismatch': ['equivocation'],
};

export class Oracle {
  readonly violations: Violation[] = [];
  readonly findings: (Violation & { finding: Finding })[] = [];
  readonly #strict: boolean;
  readonly #vault: Vault;
  readonly #keys: VaultKeys;
  readonly #adversaries: Map<number, Adversary>;
  readonly #ledger: SimLedger;
  #now: () => number;
  /** (member:session:attempt) → the one nonces / partial-signature payload it may send. */
  readonly #nonces = new Map<string, string>();
  readonly #partials = new Map<string, string>();
  /** Public nonce → the (member:session:attempt) that issued it. */
  readonly #pubNonces = new Map<string, string>();
  /** Attempts any member ran or abandoned (the per-attempt state budgets scale with them). */
  readonly #attempts = new Set<number>();
  /** Per member: approved now (the user clicked Approve or proposed, and did not revoke since). */
  readonly approved: boolean[];
  readonly everApproved: boolean[];
  readonly declined: boolean[];
  /** How each member's session ended, and when. */
  readonly ends: ({ view: Ending; at: number } | undefined)[];
  /** Blames honest members raised: [accuser, culprit, reason]. */
  readonly blames: [number, number, string][] = [];

  constructor(options: {
    vault: Vault;
    keys: VaultKeys;
    adversaries: Map<number, Adversary>;
    ledger: SimLedger;
    now: () => number;
    strict?: boolean;
  }) {
    this.#strict = options.strict ?? false;
    this.#vault = options.vault;
    this.#keys = options.keys;
    this.#adversaries = options.adversaries;
    this.#ledger = options.ledger;
    this.#now = options.now;
    const n = this.#vault.members.length;
    this.approved = Array.from({ length: n }, () => false);
    this.everApproved = Array.from({ length: n }, () => false);
    this.declined = Array.from({ length: n }, () => false);
    this.ends = Array.from({ length: n });
  }

  honest(member: number): boolean {
    return !this.#adversaries.has(member);
  }

  #fail(invariant: Invariant, detail: string, finding?: Finding): void {
    const v = { invariant, at: this.#now(), detail };
    // One fault is often seen once per recipient: report it once.
    if (this.violations.some((o) => o.invariant === invariant && o.detail === detail)) return;
    if (finding && !this.#strict) this.findings.push({ ...v, finding });
    else this.violations.push(finding ? { ...v, detail: `${detail} [${finding}]` } : v);
  }

  // ─── what members send ───

  /** A frame left member `member`'s transport. Returns a short description for the trace. */
  sent(member: number, frame: Uint8Array, to: string): string | undefined {
    let env;
    try {
      env = openEnvelope(openFrame(this.#keys, frame));
    } catch {
      return undefined; // not a vault frame (a hostile member's junk)
    }
    const typeName = Object.entries(MessageType).find(([, t]) => t === env.type)?.[0] ?? '?';
    if (ATTEMPT_TYPES.has(env.type)) {
      try {
        this.#attempts.add(
          (decodePayload(env.type, env.payload).body as { attempt: number }).attempt,
        );
      } catch {
        // a hostile member's malformed payload: no attempt to count
      }
    }
    if (!this.honest(member)) return `${typeName}`;
    const session = bytesToHex(env.sessionId).slice(0, 12);
    // Nonces travel in a nonces message or ride with an approval: one rule for both.
    const carried =
      env.type === MessageType.approval
        ? (decodePayload(env.type, env.payload).body as ApprovalPayload).nonces
        : undefined;
    if (env.type === MessageType.nonces || carried) {
      const body = carried ?? (decodePayload(env.type, env.payload).body as NoncesPayload);
      const key = `${member}:${session}:${body.attempt}`;
      const payload = bytesToHex(carried ? encodeNonces(carried) : env.payload);
      const earlier = this.#nonces.get(key);
      if (earlier === undefined) {
        this.#nonces.set(key, payload);
        for (const p of body.pubNonces) {
          const id = bytesToHex(p);
          const owner = this.#pubNonces.get(id);
          if (owner !== undefined && owner !== key)
            this.#fail('nonce-reuse', `member ${member}: public nonce of ${owner} issued again`);
          this.#pubNonces.set(id, key);
        }
      } else if (earlier !== payload) {
        this.#fail(
          'nonce-reuse',
          `member ${member} sent two different nonce sets for attempt ${body.attempt}`,
        );
      }
      return carried
        ? `approval+nonces a${body.attempt} → ${to}`
        : `nonces a${body.attempt} → ${to}`;
    }
    if (env.type === MessageType.partialSigs) {
      const body = decodePayload(env.type, env.payload).body as PartialSigsPayload;
      const key = `${member}:${session}:${body.attempt}`;
      const payload = bytesToHex(env.payload);
      const earlier = this.#partials.get(key);
      if (!this.approved[member])
        this.#fail('signed-unapproved', `member ${member} signed without a standing approval`);
      if (!this.#nonces.has(key))
        this.#fail(
          'nonce-reuse',
          `member ${member} signed attempt ${body.attempt} without its nonces`,
        );
      if (earlier !== undefined && earlier !== payload)
        this.#fail(
          'nonce-reuse',
          `member ${member} sent two different partial signatures for attempt ${body.attempt}`,
        );
      this.#partials.set(key, payload);
      return `partials a${body.attempt} → ${to}`;
    }
    if (env.type === MessageType.abort || env.type === MessageType.nonceDisclosure) {
      const body = decodePayload(env.type, env.payload).body as { attempt: number };
      return `${typeName} a${body.attempt} → ${to}`;
    }
    return `${typeName} → ${to}`;
  }

  // ─── what users did ───

  /** Order of user actions: a revoke counts only if no approval was asked for after it. */
  #actions = 0;
  readonly #lastApproval = new Map<number, number>();

  userApproved(member: number): void {
    this.approved[member] = true;
    this.everApproved[member] = true;
    this.#lastApproval.set(member, ++this.#actions);
  }

  /** A revoke was asked for; returns what to call once the service has done it. */
  userRevoking(member: number): () => void {
    const ticket = ++this.#actions;
    return () => {
      // The service runs user actions in order: an approval asked for later stands.
      if ((this.#lastApproval.get(member) ?? 0) < ticket) this.approved[member] = false;
    };
  }

  userDeclined(member: number): void {
    this.declined[member] = true;
  }

  // ─── what members concluded ───

  blamed(accuser: number, culprit: number, reason: string): void {
    if (!this.honest(accuser)) return;
    this.blames.push([accuser, culprit, reason]);
    this.#checkNamed(accuser, culprit, reason, 'blamed');
  }

  #checkNamed(accuser: number, culprit: number, reason: string, how: string): void {
    const did = this.#adversaries.get(culprit)?.did;
    const allowed = JUSTIFIES[reason] ?? [];
    if (!did || !allowed.some((kind) => did.has(kind as never)))
      this.#fail(
        'false-blame',
        `member ${accuser} ${how} member ${culprit} (${reason}), who did ${did ? [...did].join('/') || 'nothing' : 'nothing (honest)'}`,
      );
  }

  ended(member: number, view: Ending): void {
    if (!this.honest(member)) return;
    // A session that ended otherwise may complete later, once the member sees its tx on chain.
    const earlier = this.ends[member]?.view.phase;
    if (earlier && (earlier === 'completed' || view.phase !== 'completed')) return;
    this.ends[member] = { view, at: this.#now() };
  }

  /** Every transaction an honest member hands to the network must verify and be the approved one. */
  submitted(sub: Submission, sessionTxid: string | undefined): void {
    if (!this.honest(sub.member)) return;
    const tx = parseTx(sub.tx);
    const spent = this.#ledger.spentBy(sub.tx);
    const id = txidOf(tx);
    if (sessionTxid !== undefined && id !== sessionTxid)
      this.#fail('invalid-broadcast', `member ${sub.member} broadcast ${id}, not the session's tx`);
    if (!spent) {
      this.#fail(
        'invalid-broadcast',
        `member ${sub.member} broadcast a tx spending unknown outputs`,
      );
      return;
    }
    const verifies = [false, true].some(
      (active) => verifyTransaction(tx, spent, { replay: { active } }).ok,
    );
    if (!verifies)
      this.#fail('invalid-broadcast', `member ${sub.member} broadcast a tx that does not verify`);
    if (sub.accepted) {
      for (const signer of this.#signersOf(tx.inputs[0]?.scriptSig))
        if (this.honest(signer) && !this.everApproved[signer])
          this.#fail('signed-unapproved', `tx on chain carries member ${signer}'s unapproved key`);
    }
  }

  /** The members whose keys a vault input's signature stands for (key path: all of them). */
  #signersOf(scriptSig: Uint8Array | undefined): number[] {
    const pushes = scriptSig ? parseScript(scriptSig) : [];
    if (pushes.length <= 1) return this.#vault.members.map((_, i) => i);
    const script = pushes[1]?.data;
    const leaf = this.#vault.leaves.find(
      (l) =>
        script && l.script.length === script.length && l.script.every((b, i) => b === script[i]),
    );
    return leaf ? [...leaf.signers] : this.#vault.members.map((_, i) => i);
  }

  // ─── state size, after every step ───

  bounded(member: number, stats: Stats, transcript: number, peersSeen: number): void {
    const n = this.#vault.members.length;
    const attempts = this.#attempts.size + 1;
    // Per attempt a member sends each other member at most nonces, echo, partials, an abort and
    // a blame; per session at most approvals, catch-ups, a revoke, a path and the broadcast.
    const deliveries = (n - 1) * (5 * attempts + 8);
    const checks: [string, number, number][] = [
      ['sessions', stats.sessions, 1],
      ['deferred', stats.deferred, 8 * n + 16],
      ['early bytes', stats.earlyBytes, DEFAULT_EARLY_LIMITS.totalBytes],
      ['replay windows', stats.replayWindows, 1 + stats.early],
      ['timers', stats.timers, 8],
      ['pending deliveries', stats.pendingDeliveries, deliveries],
      ['stored transcript', transcript, 2 + n * (6 * attempts + 4)],
      ['reputation entries', stats.reputation, peersSeen],
    ];
    for (const [what, value, bound] of checks)
      if (value > bound)
        this.#fail('unbounded-state', `member ${member}: ${what} ${value} > ${bound}`);
  }

  // ─── at the end ───

  /** Agreement: one outcome among honest members that ended; completed means on chain. */
  agreement(chainHas: (txid: string) => boolean): void {
    const ends = this.ends.flatMap((e, i) => (e && this.honest(i) ? [{ i, ...e }] : []));
    const completed = ends.filter((e) => e.view.phase === 'completed');
    const txids = new Set(completed.map((e) => e.view.txid));
    if (txids.size > 1) this.#fail('disagreement', `honest members completed different txs`);
    for (const e of completed)
      if (e.view.txid && !chainHas(e.view.txid))
        this.#fail('disagreement', `member ${e.i} completed, but its tx is not on chain`);
    if (completed.length > 0)
      for (const e of ends)
        if (e.view.phase !== 'completed')
          this.#fail(
            'disagreement',
            `member ${e.i} ended ${e.view.phase} (${e.view.end?.reason}) while member ${completed[0]?.i} completed`,
          );
  }

  /** Every honest member's session must have ended by the end of the run. */
  terminated(members: number[], cause?: Finding): void {
    for (const m of members)
      if (this.honest(m) && !this.ends[m])
        this.#fail('stuck', `member ${m} never ended the session`, cause);
  }

  /** Liveness: every honest member completed within `bound` ms of `from`. */
  live(members: number[], from: number, bound: number, cause?: Finding): void {
    for (const m of members) {
      if (!this.honest(m)) continue;
      const end = this.ends[m];
      if (!end || end.view.phase !== 'completed' || end.at > from + bound)
        this.#fail(
          'liveness',
          `member ${m} ${end ? `ended ${end.view.phase} (${end.view.end?.reason ?? ''}) at ${end.at} ms` : 'never ended'}; expected completion by ${from + bound} ms`,
          cause,
        );
    }
  }
}
