/**
 * The rules of one-code vault formation without I/O (docs/PROTOCOL.md §2.6): the rendezvous keys
 * of an invite, the creator's roster of who has joined (step 2, collect) and a joiner's check of
 * the creator's delivery (step 4, check). The runs that apply them over the network are in
 * formation-run.ts and vault-formation.ts.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { type Vault, createVault, decodeVaultDescriptor } from '../wallet/vault.ts';
import type { VaultInvite } from '../wallet/vault-invite.ts';
import {
  type AnswerFrame,
  type DeliveryFrame,
  type FormationKeys,
  deriveFormationKeys,
} from './formation-frames.ts';

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

export const same = (a: Uint8Array, b: Uint8Array) => bytesToHex(a) === bytesToHex(b);

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
