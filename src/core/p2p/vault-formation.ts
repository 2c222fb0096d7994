/**
 * One-code vault formation (docs/PROTOCOL.md §2.6): the creator shares one invite carrying a
 * fresh secret; every joiner answers on the rendezvous derived from it (formation-frames.ts) with
 * its member key and the name it chose; the creator's wallet collects the answers, publishes who
 * has joined, and once all n are in (or the creator finishes) assembles the vault and delivers its
 * descriptor with every member's name, on the topic and in its DHT mailbox for members who were
 * offline. No vault is kept here: each member confirms the fingerprint words first (the caller).
 * The caller may keep the progress durable (`save`, formation-store.ts) so a restart resumes it.
 *
 * `CreatorFormation` and `JoinerFormation` run over the protocol's `Transport`, so the same code
 * forms vaults over libp2p (extension, tests) and over the in-memory network.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { getPublicKey } from '../crypto/schnorr.ts';
import {
  type Vault,
  createVault,
  decodeVaultDescriptor,
  encodeVaultDescriptor,
} from '../wallet/vault.ts';
import type { VaultInvite } from '../wallet/vault-invite.ts';
import {
  ANSWER,
  type AnswerFrame,
  DELIVERY,
  type DeliveryFrame,
  type FormationFrame,
  FormationFrameError,
  type FormationKeys,
  ROSTER,
  decodeFormationFrame,
  deriveFormationKeys,
  encodeAnswer,
  encodeDelivery,
  encodeRoster,
  openFormationFrame,
  openFormationRecord,
  sealFormationFrame,
  sealFormationRecord,
} from './formation-frames.ts';
import type { Transport } from './transport.ts';

/**
 * A formation step refused. `reason`:
 * - `duplicate-member`: a key that has already joined (or the creator's) answers with another name;
 * - `full`: every member is in already;
 * - `expired`: the invite's time is over;
 * - `bad-delivery`: a descriptor that is not the vault the invite proposed, or leaves you out;
 * - `not-an-invite`: an invite without a secret (answer it with a join code instead).
 */
export class FormationError extends Error {
  override name = 'FormationError';
  readonly reason: 'duplicate-member' | 'full' | 'expired' | 'bad-delivery' | 'not-an-invite';
  constructor(reason: FormationError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface FormationMember {
  key: Uint8Array;
  name: string;
}

/** What a formation produced: the vault and each member's name by vault member index. */
export interface FormedVault {
  vault: Vault;
  names: string[];
}

const same = (a: Uint8Array, b: Uint8Array) => bytesToHex(a) === bytesToHex(b);

/** The rendezvous keys of a one-code invite. @throws FormationError('not-an-invite'). */
export function formationKeys(invite: VaultInvite): FormationKeys {
  if (!invite.rendezvous)
    throw new FormationError(
      'not-an-invite',
      'This invite has no rendezvous: answer it with a join code',
    );
  return deriveFormationKeys(invite.rendezvous.secret);
}

/**
 * The creator's record of who has joined: the creator first, then answers in arrival order.
 * An exact repeat of an answer (joiners re-send until they see themselves) changes nothing.
 */
export class FormationRoster {
  readonly invite: VaultInvite;
  readonly #members: FormationMember[];

  constructor(invite: VaultInvite, creatorName: string) {
    this.invite = invite;
    this.#members = [{ key: invite.creatorKey, name: creatorName }];
  }

  get members(): FormationMember[] {
    return this.#members.map((m) => ({ ...m }));
  }

  get full(): boolean {
    return this.#members.length >= this.invite.memberCount;
  }

  /**
   * Adds a joiner's (already verified) answer.
   * @returns 'added', or 'repeat' for an answer already counted.
   * @throws FormationError: `duplicate-member`, `full`, `expired`.
   */
  accept(answer: Pick<AnswerFrame, 'memberKey' | 'name'>, nowMs: number): 'added' | 'repeat' {
    const known = this.#members.find((m) => same(m.key, answer.memberKey));
    const creator = same(answer.memberKey, this.invite.creatorKey);
    if (known && !creator && known.name === answer.name) return 'repeat';
    if (known)
      throw new FormationError(
        'duplicate-member',
        `The key ${bytesToHex(answer.memberKey).slice(0, 10)}… has already joined` +
          (creator ? ' (it is the creator’s)' : ''),
      );
    if (nowMs > this.invite.expiresAt * 1000)
      throw new FormationError('expired', 'The invite has expired');
    if (this.full)
      throw new FormationError('full', `All ${this.invite.memberCount} members have joined`);
    this.#members.push({ key: answer.memberKey, name: answer.name });
    return 'added';
  }

  /**
   * Answers accepted before a restart, in their order. Their time was checked when they came, so
   * a stored formation whose invite has since expired still restores (to re-deliver its vault).
   * @throws FormationError: `duplicate-member`, `full`.
   */
  restore(answers: Pick<AnswerFrame, 'memberKey' | 'name'>[]): void {
    for (const answer of answers) this.accept(answer, -Infinity);
  }

  /**
   * The vault of everyone in so far, with the invite's label and policy, and the names by member
   * index. Finishing before all n are in makes a smaller vault (its policy must still hold).
   * @throws VaultError (from createVault) for a vault those members cannot have.
   */
  assemble(): FormedVault {
    const { invite } = this;
    const vault = createVault(
      this.#members.map((m) => m.key),
      invite.network,
      invite.label,
      {
        threshold: invite.threshold,
        ...(invite.recovery ? { recovery: invite.recovery } : {}),
      },
    );
    const byKey = new Map(this.#members.map((m) => [bytesToHex(m.key), m.name]));
    return { vault, names: vault.members.map((k) => byKey.get(bytesToHex(k)) as string) };
  }
}

/**
 * A joiner's check of the creator's delivery: the vault the invite proposed (network, label,
 * threshold, recovery path, at most n members, the creator among them) with this member in it
 * and a name for every member.
 * @throws FormationError('bad-delivery') saying what differs.
 */
export function checkDelivery(
  invite: VaultInvite,
  delivery: Pick<DeliveryFrame, 'descriptor' | 'names'>,
  memberKey: Uint8Array,
): FormedVault {
  const bad = (why: string) => new FormationError('bad-delivery', `The delivered vault ${why}`);
  let vault: Vault;
  try {
    vault = decodeVaultDescriptor(delivery.descriptor, invite.network);
  } catch (err) {
    throw bad(`does not read: ${(err as Error).message}`);
  }
  if (vault.label !== invite.label) throw bad('has another name than the invite');
  if (vault.threshold !== invite.threshold) throw bad('needs another number of signers');
  if (vault.identity) throw bad('asks for burn identities the invite did not');
  const recoveryOf = (r: VaultInvite['recovery']) =>
    r ? `${r.afterBlocks}:${r.threshold}:${r.keys.map(bytesToHex).join(',')}` : '';
  if (recoveryOf(vault.recovery) !== recoveryOf(invite.recovery))
    throw bad('has another recovery path than the invite');
  if (vault.members.length > invite.memberCount) throw bad('has more members than the invite');
  if (!vault.members.some((k) => same(k, invite.creatorKey))) throw bad('leaves out its creator');
  if (!vault.members.some((k) => same(k, memberKey))) throw bad('leaves you out');
  if (delivery.names.length !== vault.members.length) throw bad('does not name every member');
  return { vault, names: [...delivery.names] };
}

/** How a formation stands, for whoever shows it. */
export interface FormationState {
  role: 'creator' | 'joiner';
  /** collecting: answers come in; delivered: the vault is known; expired: it never formed. */
  phase: 'collecting' | 'delivered' | 'expired';
  /** Who has joined, as the creator last said (the creator first). */
  members: FormationMember[];
  formed?: FormedVault;
  /** Frames dropped, by reason (strangers' frames, forgeries, malformed bytes, refusals). */
  dropped: Record<string, number>;
}

export interface FormationOptions {
  transport: Transport;
  invite: VaultInvite;
  /** This member's vault key (the creator's must be the invite's creator key). */
  secretKey: Uint8Array;
  /** How often answers, rosters and deliveries are re-sent and the mailbox re-read (ms). */
  repeatMs?: number;
  now?: () => number;
  /** Told after every change of state. */
  onChange?: (state: FormationState) => void;
  /**
   * Makes the progress durable, awaited before the others hear of it: after an answer is accepted
   * (before a roster naming it goes out), before a delivery goes out, and when a delivery arrives.
   * So a restarted creator never forgets what it already told the members. Failures are ignored
   * here (the formation goes on in memory); the caller reports them.
   */
  save?: (state: FormationState) => Promise<void>;
}

/** DHT records live at most 7 days (dht-records.ts); the mailbox stays as long as allowed. */
const MAILBOX_TTL_MS = 7 * 24 * 3600_000 - 60_000;
const DEFAULT_REPEAT_MS = 3_000;

/** What both sides share: the rendezvous, the timer, the state and its listeners. */
abstract class FormationRun {
  protected readonly transport: Transport;
  protected readonly invite: VaultInvite;
  protected readonly keys: FormationKeys;
  protected readonly secretKey: Uint8Array;
  protected readonly now: () => number;
  readonly #repeatMs: number;
  readonly #onChange: ((state: FormationState) => void) | undefined;
  readonly #save: ((state: FormationState) => Promise<void>) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #unsubscribe: (() => void) | undefined;
  protected running = false;
  protected readonly state: FormationState;

  constructor(role: FormationState['role'], options: FormationOptions) {
    this.transport = options.transport;
    this.invite = options.invite;
    this.keys = formationKeys(options.invite);
    this.secretKey = options.secretKey;
    this.now = options.now ?? Date.now;
    this.#repeatMs = options.repeatMs ?? DEFAULT_REPEAT_MS;
    this.#onChange = options.onChange;
    this.#save = options.save;
    this.state = { role, phase: 'collecting', members: [], dropped: {} };
  }

  /** A copy of where the formation stands. */
  view(): FormationState {
    return {
      ...this.state,
      members: this.state.members.map((m) => ({ ...m })),
      dropped: { ...this.state.dropped },
      ...(this.state.formed ? { formed: this.state.formed } : {}),
    };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.#unsubscribe = this.transport.subscribe(
      this.keys.topic,
      (_from, data) => this.receive(data),
      // Relaying members drop what is not sealed for this invite before forwarding it.
      (_from, data) => {
        try {
          openFormationFrame(this.keys, data);
          return true;
        } catch {
          return false;
        }
      },
    );
    await this.tick();
    this.#schedule();
  }

  stop(): void {
    this.running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.tick()
        .catch(() => undefined)
        .finally(() => {
          if (this.running) this.#schedule();
        });
    }, this.#repeatMs);
  }

  /** One round of re-sending and polling. */
  protected abstract tick(): Promise<void>;
  protected abstract handle(frame: FormationFrame): Promise<void> | void;

  /** A sealed frame from the topic (or the mailbox's body): opened, checked, handled. */
  protected async receive(sealed: Uint8Array, fromRecord = false): Promise<void> {
    if (!this.running) return;
    let frame: FormationFrame;
    try {
      const body = fromRecord
        ? openFormationRecord(this.keys, sealed)
        : openFormationFrame(this.keys, sealed);
      frame = decodeFormationFrame(body, this.invite);
      await this.handle(frame);
    } catch (err) {
      if (!(err instanceof FormationFrameError || err instanceof FormationError)) throw err;
      this.drop(err.reason);
    }
  }

  protected drop(reason: string): void {
    this.state.dropped[reason] = (this.state.dropped[reason] ?? 0) + 1;
    this.changed();
  }

  protected changed(): void {
    this.#onChange?.(this.view());
  }

  protected async saved(): Promise<void> {
    await this.#save?.(this.view()).catch(() => undefined);
  }

  protected async publish(body: Uint8Array): Promise<void> {
    await this.transport
      .publish(this.keys.topic, sealFormationFrame(this.keys, body))
      .catch(() => 0);
  }

  protected expired(): boolean {
    return this.now() > this.invite.expiresAt * 1000;
  }
}

/**
 * The creator's side: collects answers, publishes the roster after each, and delivers the vault
 * when all n are in or `finish()` is called. Runs until stopped (it keeps answering members who
 * missed the delivery).
 */
export class CreatorFormation extends FormationRun {
  readonly roster: FormationRoster;
  #delivery: Uint8Array | undefined;
  /** The members as last saved: only they are named in rosters (see `save`). */
  #told: FormationMember[];

  /** `joined`: the answers a stored formation had collected (formation-store.ts), in order. */
  constructor(options: FormationOptions & { creatorName: string; joined?: FormationMember[] }) {
    super('creator', options);
    if (!same(getPublicKey(options.secretKey), options.invite.creatorKey))
      throw new FormationError('not-an-invite', 'Only the invite’s creator collects its answers');
    this.roster = new FormationRoster(options.invite, options.creatorName);
    this.roster.restore((options.joined ?? []).map((m) => ({ memberKey: m.key, name: m.name })));
    this.state.members = this.roster.members;
    this.#told = this.roster.members;
  }

  /**
   * Delivers the vault of everyone in so far (all n, or fewer when the creator stops waiting).
   * @throws VaultError when those members cannot have the invite's policy (e.g. fewer than k).
   */
  async finish(): Promise<FormedVault> {
    if (this.state.formed) return this.state.formed;
    const formed = this.roster.assemble();
    const delivery = encodeDelivery(
      this.invite.inviteId,
      this.secretKey,
      encodeVaultDescriptor(formed.vault),
      formed.names,
    );
    this.state.formed = formed;
    this.state.phase = 'delivered';
    this.changed();
    await this.saved();
    this.#delivery = delivery;
    await Promise.all([this.publish(delivery), this.#putMailbox(delivery)]);
    return formed;
  }

  protected async tick(): Promise<void> {
    if (this.#delivery) {
      await this.publish(this.#delivery);
      return;
    }
    if (this.state.formed) return; // the delivery is being saved; a roster would overwrite it
    if (this.expired()) {
      if (this.state.phase !== 'expired') {
        this.state.phase = 'expired';
        this.changed();
      }
      return;
    }
    const roster = this.#roster();
    await Promise.all([this.publish(roster), this.#putMailbox(roster)]);
  }

  protected async handle(frame: FormationFrame): Promise<void> {
    if (frame.kind !== ANSWER) return; // rosters and deliveries are the creator's own
    if (this.state.formed) {
      // A member asking again after the delivery missed it: say it again. Strangers get nothing.
      if (this.#delivery && this.state.formed.vault.members.some((k) => same(k, frame.memberKey)))
        await this.publish(this.#delivery);
      return;
    }
    if (this.roster.accept(frame, this.now()) === 'repeat') {
      await this.publish(this.#roster());
      return;
    }
    this.state.members = this.roster.members;
    this.changed();
    const members = this.roster.members;
    await this.saved();
    if (members.length > this.#told.length) this.#told = members;
    if (this.roster.full) {
      await this.finish().catch(() => undefined);
      return;
    }
    const roster = this.#roster();
    await Promise.all([this.publish(roster), this.#putMailbox(roster)]);
  }

  #roster(): Uint8Array {
    return encodeRoster(this.invite.inviteId, this.secretKey, this.#told);
  }

  async #putMailbox(body: Uint8Array): Promise<void> {
    await this.transport
      .putRecord(
        this.keys.recordId,
        sealFormationRecord(this.keys, body),
        this.now() + MAILBOX_TTL_MS,
      )
      .catch(() => undefined);
  }
}

/**
 * A joiner's side: answers (again every `repeatMs` until the creator's roster lists it), reads the
 * creator's mailbox, and takes the first delivery that checks out (`checkDelivery`).
 */
export class JoinerFormation extends FormationRun {
  readonly #answer: Uint8Array;
  readonly #memberKey: Uint8Array;

  /**
   * `delivery`: one a stored formation had received but not yet confirmed (formation-store.ts);
   * it is checked again (`checkDelivery`, throws FormationError) and taken as formed.
   */
  constructor(
    options: FormationOptions & {
      name: string;
      delivery?: Pick<DeliveryFrame, 'descriptor' | 'names'>;
    },
  ) {
    super('joiner', options);
    this.#memberKey = getPublicKey(options.secretKey);
    if (same(this.#memberKey, options.invite.creatorKey))
      throw new FormationError('duplicate-member', 'This is your own invite: share it instead');
    this.#answer = encodeAnswer(options.invite.inviteId, options.secretKey, options.name);
    const creatorName = options.invite.rendezvous?.creatorName ?? '';
    this.state.members = [{ key: options.invite.creatorKey, name: creatorName }];
    if (options.delivery) this.#take(options.delivery);
  }

  protected async tick(): Promise<void> {
    if (this.state.formed) return;
    const listed = this.state.members.some((m) => same(m.key, this.#memberKey));
    if (!listed && !this.expired()) await this.publish(this.#answer);
    const record = await this.transport.getRecord(this.keys.recordId).catch(() => undefined);
    if (record) await this.receive(record, true);
  }

  protected async handle(frame: FormationFrame): Promise<void> {
    if (this.state.formed) return;
    if (frame.kind === ROSTER) {
      this.state.members = frame.members;
      this.changed();
    } else if (frame.kind === DELIVERY) {
      this.#take(frame);
      this.changed();
      await this.saved();
    }
  }

  /** @throws FormationError('bad-delivery') (checkDelivery). */
  #take(delivery: Pick<DeliveryFrame, 'descriptor' | 'names'>): void {
    const formed = checkDelivery(this.invite, delivery, this.#memberKey);
    this.state.formed = formed;
    this.state.phase = 'delivered';
    this.state.members = formed.vault.members.map((key, i) => ({
      key,
      name: formed.names[i] as string,
    }));
  }
}
