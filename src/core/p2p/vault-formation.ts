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
import { getPublicKey } from '../crypto/schnorr.ts';
import { encodeVaultDescriptor } from '../wallet/vault.ts';
import {
  ANSWER,
  DELIVERY,
  type DeliveryFrame,
  type FormationFrame,
  ROSTER,
  encodeAnswer,
  encodeDelivery,
  encodeRoster,
  sealFormationRecord,
} from './formation-frames.ts';
import {
  type FormationMember,
  type FormedVault,
  FormationError,
  FormationRoster,
  checkDelivery,
  same,
} from './formation-rules.ts';
import { type FormationOptions, FormationRun } from './formation-run.ts';

export {
  type FormationMember,
  type FormedVault,
  FormationError,
  FormationRoster,
  checkDelivery,
  formationKeys,
} from './formation-rules.ts';
export type { FormationOptions, FormationState } from './formation-run.ts';

/** DHT records live at most 7 days (dht-records.ts); the mailbox stays as long as allowed. */
const MAILBOX_TTL_MS = 7 * 24 * 3600_000 - 60_000;

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
