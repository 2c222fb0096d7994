/**
 * One simulated signing session: n members, each the real SigningService with real crypto, over
 * the simulated network, store and chain, driven by the scheduler from one seed. Members crash
 * and restart from their durable store (a restart is a new process: new peer id, no memory);
 * users approve, decline and revoke at their planned times; hostile members do their worst. The
 * oracle checks the invariants after every step and at the end.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { regtest } from '../../src/core/chain/network.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { UnknownSessionError } from '../../src/core/p2p/errors.ts';
import { FINISHED, type SessionView } from '../../src/core/p2p/session.ts';
import {
  DEFAULT_TIMEOUTS,
  SigningService,
  type SigningTimeouts,
} from '../../src/core/p2p/signing-service.ts';
import type { NonceMarker } from '../../src/core/p2p/session-store.ts';
import type { Transport } from '../../src/core/p2p/transport.ts';
import { deriveVaultKeys } from '../../src/core/p2p/vault-keys.ts';
import { type Vault, createVault } from '../../src/core/wallet/vault.ts';
import { MessageType, openEnvelope } from '../../src/core/p2p/envelope.ts';
import { decodePayload } from '../../src/core/p2p/messages.ts';
import { type Adversary, hostileBurst, hostileTransport, newAdversary } from './adversary.ts';
import { SimLedger } from './ledger.ts';
import { CALM, SimNetwork, type SimTransport } from './network.ts';
import { type Invariant, Oracle, type Violation } from './oracle.ts';
import { Prng } from './prng.ts';
import { MemberClock, Scheduler } from './scheduler.ts';
import { type Scenario, type Tier, drawScenario } from './scenario.ts';
import { withSeededCrypto } from './seeded-crypto.ts';
import { DurableStore, IncarnationStore, type WriteKind } from './store.ts';

/**
 * Deliberately broken rules, to show the simulator catches them (test only).
 * - `forget-issued-nonces`: the store acknowledges the `issued` nonce marker and the member's own
 *   nonce envelope (or the approval its nonces rode with) but loses them, so a member that restarts after its nonces left does not know
 *   they did (the rule "durable before it leaves", docs/PROTOCOL.md §6.5, broken).
 */
export type BrokenRule = 'forget-issued-nonces';

export interface RunOptions {
  seed: number;
  tier?: Tier;
  brokenRule?: BrokenRule;
  /** Lines of trace kept for a failure report (the digest covers every line). */
  traceLines?: number;
  /** Treat known, reported findings as violations too. */
  strict?: boolean;
}

export interface RunResult {
  seed: number;
  tier: Tier;
  n: number;
  threshold: number;
  /** The honest members' outcome: completed, or how the session ended (or 'mixed'). */
  outcome: string;
  /** Faults and adversities this run actually injected, by kind. */
  faults: Record<string, number>;
  violations: Violation[];
  /** Known weaknesses this run showed (oracle.ts `Finding`), when not strict. */
  findings: string[];
  trace: string[];
  /** FNV-1a over every event and trace line: equal digests mean identical runs. */
  digest: string;
  steps: number;
  simMs: number;
  livenessChecked: boolean;
}

const MINUTE = 60_000;
const EPOCH = 1_800_000_000_000;
/** Production timeouts: virtual time costs nothing, so the simulator runs what users run. */
const TIMEOUTS: SigningTimeouts = { ...DEFAULT_TIMEOUTS };
/** After the last fault, approval or restart: enough for two mailbox syncs and full failover. */
export const livenessBound = (n: number) =>
  3 * TIMEOUTS.syncMs + (n + 2) * TIMEOUTS.failoverMs + MINUTE;

interface CachedVault {
  vault: Vault;
  /** Secret keys in vault member order. */
  secrets: Uint8Array[];
}

const vaults = new Map<string, CachedVault>();

/**
 * A vault over fixed keys (a pure function of its arguments, cached: building trees is slow).
 * Member i of key set s has the same key in every vault, so the crypto layer's per-key tables
 * and MuSig2 context caches stay warm across runs, as they do for a wallet serving its vaults.
 */
function vaultFor(n: number, threshold: number, keyset: number): CachedVault {
  const id = `${n}/${threshold}/${keyset}`;
  let cached = vaults.get(id);
  if (!cached) {
    const secrets = Array.from({ length: n }, (_, i) =>
      sha256(utf8ToBytes(`petal-sim/${keyset}/${i}`)),
    );
    const keys = secrets.map((s) => getPublicKey(s));
    const vault = createVault(keys, regtest, `sim ${id}`, { threshold });
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const sorted = vault.members.map((m) => secrets[keys.findIndex((k) => hex(k) === hex(m))]!);
    cached = { vault, secrets: sorted };
    vaults.set(id, cached);
  }
  return cached;
}

interface Incarnation {
  index: number;
  peerId: string;
  alive: boolean;
  writes: number;
  clock: MemberClock;
  store: IncarnationStore;
  transport: SimTransport;
  service: SigningService;
}

class Fnv {
  #h = 0x811c9dc5;
  add(s: string): void {
    for (let i = 0; i < s.length; i++) this.#h = Math.imul(this.#h ^ s.charCodeAt(i), 0x01000193);
  }
  get hex(): string {
    return (this.#h >>> 0).toString(16).padStart(8, '0');
  }
}

export async function runSession(options: RunOptions): Promise<RunResult> {
  const prng = new Prng(options.seed);
  const scenario = drawScenario(prng.fork(), options.tier);
  // Built (or taken from the cache) before the seeded stream starts: noble blinds secret
  // multiplications with random bytes, so a cache miss must not shift the run's stream.
  const vault = vaultFor(scenario.n, scenario.threshold, scenario.keyset);
  return withSeededCrypto(prng.fork(), () => new World(options, prng, scenario, vault).run());
}

class World {
  readonly #options: RunOptions;
  readonly #prng: Prng;
  readonly #sc: Scenario;
  readonly #scheduler = new Scheduler(EPOCH);
  readonly #network: SimNetwork;
  readonly #ledger: SimLedger;
  readonly #vault: Vault;
  readonly #secrets: Uint8Array[];
  readonly #keys;
  readonly #oracle: Oracle;
  readonly #adversaries = new Map<number, Adversary>();
  readonly #durable: DurableStore[];
  readonly #current: Incarnation[] = [];
  readonly #restarts: number[];
  readonly #writeCrashes: Map<number, { afterWrites: number; downMs: number }[]> = new Map();
  readonly #faults: Record<string, number> = {};
  readonly #trace: string[] = [];
  readonly #digest = new Fnv();
  #sessionId: string | undefined;
  #txid: string | undefined;
  /** When the proposer proposed (a crash may hold it back long after the run began). */
  #proposedAt = 0;
  #submissionsSeen = 0;
  /** When the last fault, approval or restart happened: liveness is measured from here. */
  #calmAt = 0;
  #peersCreated = 0;

  constructor(options: RunOptions, prng: Prng, scenario: Scenario, cached: CachedVault) {
    this.#options = options;
    this.#prng = prng;
    this.#sc = scenario;
    this.#network = new SimNetwork(this.#scheduler, prng.fork());
    this.#ledger = new SimLedger(this.#scheduler, prng.fork());
    const { vault, secrets } = cached;
    this.#vault = vault;
    this.#secrets = secrets;
    this.#keys = deriveVaultKeys(hexToBytes(vault.id));
    for (const [member, plan] of this.#sc.hostile)
      this.#adversaries.set(member, newAdversary(member, plan.kind, plan.target));
    this.#oracle = new Oracle({
      vault,
      keys: this.#keys,
      adversaries: this.#adversaries,
      ledger: this.#ledger,
      now: () => this.#scheduler.now,
      ...(options.strict ? { strict: true } : {}),
    });
    this.#durable = Array.from({ length: this.#sc.n }, () => new DurableStore());
    this.#restarts = Array.from({ length: this.#sc.n }, () => 0);
    for (const c of this.#sc.crashes)
      if ('afterWrites' in c) {
        const list = this.#writeCrashes.get(c.member) ?? [];
        list.push({ afterWrites: c.afterWrites, downMs: c.downMs });
        this.#writeCrashes.set(c.member, list);
      }
  }

  #count(kind: string, by = 1): void {
    if (by > 0) this.#faults[kind] = (this.#faults[kind] ?? 0) + by;
  }

  #log(line: string): void {
    const entry = `[${(this.#scheduler.now / 1000).toFixed(3)}s] ${line}`;
    this.#digest.add(entry);
    this.#trace.push(entry);
    const keep = this.#options.traceLines ?? 80;
    if (this.#trace.length > keep) this.#trace.shift();
  }

  #after(ms: number, label: string, fn: () => void): void {
    this.#scheduler.after(ms, label, fn);
  }

  // ─── members ───

  #start(index: number): Incarnation {
    const peerId = `m${index}.${this.#restarts[index]}`;
    this.#peersCreated++;
    const raw = this.#network.join(peerId, index);
    const adv = this.#adversaries.get(index);
    const transport: Transport = adv
      ? hostileTransport(
          raw,
          adv,
          this.#keys,
          this.#secrets[index]!,
          (peer) => this.#memberOf(peer),
          this.#prng.fork(),
        )
      : raw;
    const clock = new MemberClock(this.#scheduler, this.#sc.skew[index]!, peerId);
    const inc = { index, peerId, alive: true, writes: 0, clock, transport: raw } as Incarnation;
    inc.store = new IncarnationStore(this.#durable[index]!, {
      afterWrite: (kind) => this.#afterWrite(inc, kind),
      ...(this.#options.brokenRule === 'forget-issued-nonces'
        ? { loses: (kind, detail) => this.#loses(index, kind, detail) }
        : {}),
    });
    inc.service = new SigningService({
      transport,
      store: inc.store,
      chain: this.#ledger.view(index, () => inc.alive),
      clock,
      timeouts: TIMEOUTS,
    });
    const live =
      <T>(fn: (v: T) => void) =>
      (v: T) => {
        if (inc.alive) fn(v);
      };
    inc.service.on(
      'blame',
      live((b) => {
        this.#log(`m${index} blames m${b.culprit} (${b.reason})`);
        this.#oracle.blamed(index, b.culprit, b.reason);
      }),
    );
    const ended = live((view: SessionView) => {
      if (view.id !== this.#sessionId) return;
      this.#log(`m${index} ${view.phase}${view.end ? ` (${view.end.reason})` : ''}`);
      this.#oracle.ended(index, view);
    });
    inc.service.on('completed', ended);
    inc.service.on('ended', ended);
    inc.service.on(
      'proposal',
      live((view) => {
        this.#sessionId ??= view.id;
        this.#txid ??= view.summary.txid;
      }),
    );
    this.#current[index] = inc;
    inc.service.start();
    void inc.service
      .addVault(this.#vault, this.#secrets[index]!)
      .catch((err: Error) => this.#log(`m${index} addVault failed: ${err.message}`));
    return inc;
  }

  #memberOf(peerId: string): number | undefined {
    const m = /^m(\d+)\./.exec(peerId);
    return m ? Number(m[1]) : undefined;
  }

  #afterWrite(inc: Incarnation, kind: WriteKind): void {
    if (!inc.alive) return;
    inc.writes++;
    const plans = this.#writeCrashes.get(inc.index);
    const plan = plans?.[0];
    if (plan && inc.writes === plan.afterWrites) {
      plans.shift();
      this.#count('crash after a durable write');
      this.#crash(inc.index, `right after durable write #${inc.writes} (${kind})`, plan.downMs);
    }
  }

  #loses(
    index: number,
    kind: WriteKind,
    detail: { marker?: NonceMarker; envelopes?: Uint8Array[] },
  ): boolean {
    if (kind === 'marker') return detail.marker?.stage === 'issued';
    // The member's own nonces, in a nonces message or riding with its approval.
    return (detail.envelopes ?? []).some((bytes) => {
      const env = openEnvelope(bytes);
      if (env.signerIndex !== index) return false;
      if (env.type === MessageType.nonces) return true;
      if (env.type !== MessageType.approval) return false;
      const payload = decodePayload(env.type, env.payload);
      return payload.type === MessageType.approval && payload.body.nonces !== undefined;
    });
  }

  #crash(index: number, why: string, downMs: number): void {
    const inc = this.#current[index];
    if (!inc?.alive) return;
    inc.alive = false;
    inc.clock.kill();
    inc.store.kill();
    this.#network.leave(inc.peerId);
    this.#log(`m${index} CRASH ${why}; back in ${downMs} ms`);
    this.#after(downMs, `restart m${index}`, () => {
      this.#restarts[index]!++;
      this.#calmAt = Math.max(this.#calmAt, this.#scheduler.now);
      this.#log(`m${index} restarts as m${index}.${this.#restarts[index]}`);
      this.#start(index);
      this.#after(this.#prng.int(2_000, 30_000), `reopen m${index}`, () => this.#reopen(index));
    });
  }

  // ─── users ───

  /**
   * The user opens the wallet after a restart. A crash between storing the proposal and sealing
   * the proposer's approval loses that approval: the session asks for it again, and the user
   * (who proposed it) gives it.
   */
  #reopen(index: number): void {
    const id = this.#sessionId;
    const view = id ? this.#current[index]?.service.session(id) : undefined;
    if (!view || FINISHED.has(view.phase) || view.approvedByMe || !this.#oracle.approved[index])
      return;
    this.#count('approval lost in a crash, given again');
    this.#act(index, 'approve');
  }

  /** A user action on the member's current process; retried while it cannot be done yet. */
  #act(index: number, what: 'approve' | 'decline' | 'revoke', tries = 0): void {
    const retry = () => {
      if (tries < 200)
        this.#after(5_000, `${what} m${index} retry`, () => this.#act(index, what, tries + 1));
    };
    const inc = this.#current[index];
    const id = this.#sessionId;
    const view = id ? inc?.service.session(id) : undefined;
    if (!inc?.alive || !id || !view) return retry();
    if (FINISHED.has(view.phase)) return;
    this.#calmAt = Math.max(this.#calmAt, this.#scheduler.now);
    this.#log(`m${index} user: ${what}`);
    if (what === 'approve') {
      this.#oracle.userApproved(index);
      inc.service.approve(id).catch((err: Error) => {
        this.#log(`m${index} approve refused: ${err.name}`);
        if (err instanceof UnknownSessionError) retry();
      });
    } else if (what === 'decline') {
      this.#oracle.userDeclined(index);
      this.#count('user declines');
      inc.service.decline(id).catch((err: Error) => this.#log(`decline refused: ${err.name}`));
    } else {
      const revoked = this.#oracle.userRevoking(index);
      inc.service.revoke(id).then(
        () => {
          revoked();
          this.#count('user revokes');
        },
        (err: Error) => this.#log(`m${index} revoke refused: ${err.name}`),
      );
    }
  }

  // ─── the run ───

  #plan(): void {
    const sc = this.#sc;
    this.#count(`n=${sc.n}${sc.threshold < sc.n ? ` ${sc.threshold}-of-n` : ''}`);
    this.#log(
      `scenario: ${sc.threshold}-of-${sc.n}, proposer m${sc.proposer}, ${sc.inputs} input(s), chain ${sc.chainSide}`,
    );
    this.#ledger.chain.medianTime = sc.chainSide === 'before' ? 0 : this.#ledger.activation + 3_600;
    if (sc.chainSide === 'mismatch') this.#count('replay-protection side mismatch');
    sc.skew.forEach((s) => s !== 0 && this.#count('clock skew'));

    // The network: faulty until `faultsUntil`, then calm.
    if (sc.faultsUntil > 0) {
      this.#network.faults = sc.faults;
      this.#count('faulty network window');
      this.#after(sc.faultsUntil, 'network calms', () => {
        this.#network.faults = CALM;
        this.#log('network calm');
      });
      this.#calmAt = sc.faultsUntil;
    }
    if (sc.partition) {
      const p = sc.partition;
      this.#count('partition');
      this.#after(p.at, 'partition', () => {
        this.#network.partition = p.groups;
        this.#log(`partition ${JSON.stringify(p.groups)}`);
      });
      this.#after(p.until, 'partition heals', () => {
        this.#network.partition = undefined;
        this.#log('partition healed');
      });
    }
    for (const c of sc.crashes)
      if ('at' in c) {
        this.#after(c.at, `crash m${c.member}`, () => {
          this.#count('crash');
          this.#crash(c.member, 'at a random time', c.downMs);
        });
      }
    for (const [member, plan] of sc.hostile) {
      this.#count(`hostile: ${plan.kind}`);
      for (const at of plan.bursts)
        this.#after(at, `burst m${member}`, () => {
          const inc = this.#current[member];
          const adv = this.#adversaries.get(member);
          if (!inc?.alive || !adv) return;
          const peers = this.#current
            .filter((c, i) => c?.alive && i !== member)
            .map((c) => c.peerId);
          hostileBurst(adv, inc.transport, peers, this.#prng, 150);
        });
    }

    for (let i = 0; i < sc.n; i++) this.#start(i);

    // The proposal, then every user's plan.
    this.#after(this.#prng.int(0, 500), 'propose', () => this.#propose());
    sc.users.forEach((plan, i) => {
      if (i === sc.proposer) return;
      if (plan.kind === 'silent') return this.#count('silent user');
      if (plan.kind === 'decline')
        return this.#after(plan.at, 'decline', () => this.#act(i, 'decline'));
      this.#after(plan.at, 'approve', () => this.#act(i, 'approve'));
      if (plan.kind === 'revoke') {
        this.#after(plan.revokeAt, 'revoke', () => this.#act(i, 'revoke'));
        this.#after(plan.reapproveAt, 'reapprove', () => this.#act(i, 'approve'));
      }
    });
  }

  #propose(): void {
    const sc = this.#sc;
    const inc = this.#current[sc.proposer];
    if (!inc?.alive) {
      this.#after(5_000, 'propose retry', () => this.#propose());
      return;
    }
    const values = Array.from(
      { length: sc.inputs },
      () => BigInt(this.#prng.int(10, 60)) * 1_000_000n,
    );
    const spend = this.#ledger.spend(this.#vault, values, this.#prng.fill(new Uint8Array(20)));
    this.#oracle.userApproved(sc.proposer);
    this.#proposedAt = this.#scheduler.now;
    this.#log(`m${sc.proposer} user: propose`);
    inc.service
      .propose(this.#vault.id, spend, {
        memo: 'sim',
        ttlMs: sc.ttlMs,
        leafAfterMs: sc.leafAfterMs,
        ...(sc.chainSide === 'mismatch' ? { replayProtection: false } : {}),
      })
      .then(
        (view) => {
          this.#sessionId ??= view.id;
          this.#txid ??= view.summary.txid;
        },
        (err: Error) => this.#log(`propose failed: ${err.message}`),
      );
  }

  /** The proposer crashed while proposing: its store may hold the session all the same. */
  #findSession(): void {
    if (this.#sessionId) return;
    const stored = [...this.#durable[this.#sc.proposer]!.sessions.keys()][0];
    if (stored) this.#sessionId = stored;
  }

  /**
   * A member that crashed right after durably finishing the session never emitted the event:
   * its store's status is its outcome (as its next process will find it).
   */
  #storedEnds(): void {
    const id = this.#sessionId;
    if (!id) return;
    this.#durable.forEach((durable, i) => {
      const record = durable.sessions.get(id);
      if (!record || record.status === 'open') return;
      // An earlier end counts unless the store has since learned the session completed.
      const earlier = this.#oracle.ends[i]?.view.phase;
      if (earlier && (earlier === 'completed' || record.status !== 'completed')) return;
      const phase = record.status === 'completed' ? 'completed' : record.status;
      this.#log(`m${i} ${phase} (from its store)`);
      this.#oracle.ended(i, { phase, ...(record.txid ? { txid: record.txid } : {}) });
    });
  }

  #check = (label: string): void => {
    this.#digest.add(label);
    this.#findSession();
    this.#storedEnds();
    const subs = this.#ledger.submissions;
    for (; this.#submissionsSeen < subs.length; this.#submissionsSeen++) {
      const sub = subs[this.#submissionsSeen]!;
      this.#log(`m${sub.member} broadcast ${sub.accepted ? 'accepted' : `refused: ${sub.reason}`}`);
      this.#oracle.submitted(sub, this.#txid);
    }
    for (const inc of this.#current) {
      if (!inc?.alive) continue;
      const stats = inc.service.stats();
      this.#oracle.bounded(
        inc.index,
        stats,
        this.#durable[inc.index]!.largestTranscript(),
        this.#peersCreated + 1,
      );
    }
  };

  #honestEnded(): boolean {
    return this.#current.every((inc, i) => !this.#oracle.honest(i) || !!this.#oracle.ends[i]);
  }

  /**
   * Every honest member ended, and if the session's transaction is on chain every one of them
   * knows: a member that ended otherwise (a blame while the culprit still broadcast) learns it at
   * its next sweep's chain re-check (docs/PROTOCOL.md §6.9), so the run waits for that.
   */
  #settled(): boolean {
    if (!this.#honestEnded()) return false;
    const txid = this.#txid;
    if (txid === undefined || this.#ledger.chain.transaction(txid) === undefined) return true;
    return this.#oracle.ends.every(
      (e, i) => !this.#oracle.honest(i) || !e || e.view.phase === 'completed',
    );
  }

  async run(): Promise<RunResult> {
    this.#network.tap = (member, frame, to) => {
      const what = this.#oracle.sent(member, frame, to);
      if (what) this.#log(`m${member} ${what}`);
    };
    this.#plan();
    // Every member's sweep expires the session within a few sweeps of its deadline, which runs
    // from the proposal (simulator seed 2987860963: the proposer crashed for 102 s first).
    const until = () => this.#proposedAt + this.#sc.ttlMs + 3 * TIMEOUTS.sweepMs;
    await this.#scheduler.run(
      until,
      () =>
        this.#oracle.violations.length > 0 ||
        (this.#settled() && this.#scheduler.now > this.#calmAt),
      this.#check,
    );
    const violations = this.#oracle.violations;
    let livenessChecked = false;
    if (violations.length === 0) {
      if (this.#sessionId) {
        this.#oracle.terminated(this.#liveMembers());
        this.#oracle.agreement((txid) => this.#ledger.chain.transaction(txid) !== undefined);
      }
      if (this.#sessionId && this.#livenessExpected()) {
        livenessChecked = true;
        this.#oracle.live(this.#liveMembers(), this.#calmAt, livenessBound(this.#sc.n));
      }
    }
    for (const v of violations) this.#log(`VIOLATION ${v.invariant}: ${v.detail}`);
    for (const f of this.#oracle.findings) this.#log(`finding ${f.finding}: ${f.detail}`);
    this.#count('frames dropped', this.#network.counts.dropped);
    this.#count('frames duplicated', this.#network.counts.duplicated);
    this.#count('acks lost', this.#network.counts.ackLost);
    this.#count('frames cut by a partition', this.#network.counts.partitioned);
    for (const adv of this.#adversaries.values())
      for (const did of adv.did) this.#count(`hostile did: ${did}`);
    if (this.#options.brokenRule) this.#count(`broken rule: ${this.#options.brokenRule}`);
    const outcome = this.#outcome();
    this.#digest.add(outcome);
    return {
      seed: this.#options.seed,
      tier: this.#options.tier ?? 'normal',
      n: this.#sc.n,
      threshold: this.#sc.threshold,
      outcome,
      faults: this.#faults,
      violations: [...violations],
      findings: [...new Set(this.#oracle.findings.map((f) => f.finding))],
      trace: [...this.#trace],
      digest: this.#digest.hex,
      steps: this.#scheduler.steps,
      simMs: this.#scheduler.now,
      livenessChecked,
    };
  }

  /**
   * The members whose session must end (and, when liveness is owed, complete): every honest one,
   * except a member who never approved and never heard of the session (a threshold vault's
   * silent member whose mailbox reads all failed while the session was open).
   */
  #liveMembers(): number[] {
    const id = this.#sessionId;
    return [...Array(this.#sc.n).keys()].filter(
      (i) =>
        this.#oracle.honest(i) &&
        (this.#oracle.everApproved[i] || (!!id && this.#durable[i]!.sessions.has(id))),
    );
  }

  /**
   * Liveness is owed when nothing legitimate can stop the session: nobody declined, no hostile
   * member did something that ends it with blame, and enough members approved (all of them, or
   * for a threshold vault at least k, the proposer being honest and its deadline passed).
   */
  #livenessExpected(): boolean {
    const o = this.#oracle;
    if (o.declined.some(Boolean)) return false;
    // Blame ends a session; a flood of copies of early envelopes or junk frames may get the
    // flooder banned, and a banned signer stalls an n-of-n session as a silent one does.
    for (const adv of this.#adversaries.values())
      if (adv.did.has('equivocation') || adv.did.has('invalid-partial') || adv.did.has('flood'))
        return false;
    const approvals = o.approved.filter(Boolean).length;
    if (approvals === this.#sc.n) return true;
    if (this.#sc.threshold < this.#sc.n && approvals >= this.#sc.threshold) {
      this.#calmAt = Math.max(this.#calmAt, this.#sc.leafAfterMs + 60_000);
      return true;
    }
    return false;
  }

  #outcome(): string {
    if (!this.#sessionId) return 'no session';
    const kinds = new Set(
      this.#oracle.ends.flatMap((e, i) =>
        e && this.#oracle.honest(i)
          ? [e.view.phase === 'completed' ? 'completed' : `${e.view.phase}: ${e.view.end?.reason}`]
          : [],
      ),
    );
    if (kinds.size === 0) return 'unfinished';
    return kinds.size === 1 ? [...kinds][0]! : 'mixed';
  }
}

export type { Invariant, Violation };
