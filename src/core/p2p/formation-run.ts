/**
 * What both sides of a one-code formation share (docs/PROTOCOL.md §2.6): the rendezvous topic
 * and its validator, the repeat timer, opening and checking what arrives, publishing, and the
 * state with its listener and durable save. `CreatorFormation` and `JoinerFormation`
 * (vault-formation.ts) are its two sides.
 */
import type { VaultInvite } from '../wallet/vault-invite.ts';
import {
  type FormationFrame,
  FormationFrameError,
  type FormationKeys,
  decodeFormationFrame,
  openFormationFrame,
  openFormationRecord,
  sealFormationFrame,
} from './formation-frames.ts';
import {
  FormationError,
  type FormationMember,
  type FormedVault,
  formationKeys,
} from './formation-rules.ts';
import type { Transport } from './transport.ts';

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

const DEFAULT_REPEAT_MS = 3_000;

/** What both sides share: the rendezvous, the timer, the state and its listeners. */
export abstract class FormationRun {
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
