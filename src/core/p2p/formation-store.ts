/**
 * Open vault formations kept across restarts (docs/PROTOCOL.md §2.6 "What is kept"): a worker or
 * browser restart resumes a formation instead of making the creator share a new invite.
 *
 * The invite's secret lets whoever holds it answer in a member's place, so the record is sealed
 * like the rest of the wallet's secrets: with a key derived from the wallet's vault member key,
 * which exists only while the wallet is unlocked (the mnemonic is encrypted under the password).
 * Only what is needed to find and drop a record while locked stays in the clear — the invite id,
 * the network and the expiry — and the seal binds them, so an edited expiry does not open.
 *
 *   store key = HKDF(member secret key, salt "Petal/formation-store/v1", info "record key")
 *   sealed    = u8 1 ‖ 24-byte nonce ‖ XChaCha20-Poly1305(store key, JSON progress)
 *               AD: JSON [1, id, network, expiresAt]
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  bytesToHex,
  concatBytes,
  hexToBytes,
  randomBytes,
  utf8ToBytes,
} from '@noble/hashes/utils.js';
import * as v from 'valibot';
import type { NetworkParams } from '../chain/network.ts';
import { encodeVaultDescriptor } from '../wallet/vault.ts';
import { type VaultInvite, readInvite } from '../wallet/vault-invite.ts';
import type { Transport } from './transport.ts';
import { CreatorFormation, type FormationState, JoinerFormation } from './vault-formation.ts';

const VERSION = 1;
const NONCE = 24;
const TAG = 16;
const SALT = utf8ToBytes('Petal/formation-store/v1');
/**
 * A delivered vault waits this long for its member's confirmation (at least until the invite
 * expires): as long as the creator's DHT mailbox keeps the delivery.
 */
export const DELIVERED_KEEP_MS = 7 * 24 * 3600_000;

/** What a creator needs to go on: its invite (with the secret), its name, the answers so far. */
export interface CreatorProgress {
  role: 'creator';
  code: string;
  name: string;
  /** Answers accepted, in arrival order (keys hex). */
  joined: { key: string; name: string }[];
  /** When the vault was delivered (ms), once it was. */
  deliveredAt?: number;
}

/** What a joiner needs: the invite it answered, the name it answered with, a delivery if any. */
export interface JoinerProgress {
  role: 'joiner';
  code: string;
  name: string;
  /** A delivery received and not yet confirmed; `at` when it arrived (ms). */
  delivery?: { descriptor: string; names: string[]; at: number };
}

export type FormationProgress = CreatorProgress | JoinerProgress;

/** One record as the store holds it. */
export interface StoredFormation {
  /** The invite id, hex. */
  id: string;
  /** The network's name (a record of another network waits for the wallet to switch back). */
  network: string;
  /** Epoch ms after which the record is dropped unread. */
  expiresAt: number;
  sealed: Uint8Array;
}

/** Durable formation records (IndexedDB in the extension: src/background/formation-db.ts). */
export interface FormationStore {
  /** Every record, unchecked (whatever the database returned). */
  list(): Promise<unknown[]>;
  /** Creates or replaces the record of `record.id`; durable when it resolves. */
  put(record: StoredFormation): Promise<void>;
  delete(id: string): Promise<void>;
}

/**
 * A stored formation that cannot be used: `bad-seal` (another wallet's, or altered), `malformed`
 * (opened but not a formation's progress).
 */
export class StoredFormationError extends Error {
  override name = 'StoredFormationError';
  readonly reason: 'bad-seal' | 'malformed';
  constructor(reason: StoredFormationError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

const Name = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const Time = v.pipe(v.number(), v.integer(), v.minValue(0));
const ProgressSchema = v.variant('role', [
  v.strictObject({
    role: v.literal('creator'),
    code: v.string(),
    name: Name,
    joined: v.array(
      v.strictObject({ key: v.pipe(v.string(), v.regex(/^0[23][0-9a-f]{64}$/)), name: Name }),
    ),
    deliveredAt: v.optional(Time),
  }),
  v.strictObject({
    role: v.literal('joiner'),
    code: v.string(),
    name: Name,
    delivery: v.optional(
      v.strictObject({ descriptor: v.string(), names: v.array(Name), at: Time }),
    ),
  }),
]);

const StoredSchema = v.object({
  id: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
  network: v.string(),
  expiresAt: Time,
  sealed: v.instance(Uint8Array),
});

/**
 * The key that seals this wallet's formation records.
 * @example
 *   const key = formationStoreKey(memberKey.secretKey);
 */
export function formationStoreKey(memberSecret: Uint8Array): Uint8Array {
  return hkdf(sha256, memberSecret, SALT, utf8ToBytes('record key'), 32);
}

const headOf = (r: Omit<StoredFormation, 'sealed'>) =>
  utf8ToBytes(JSON.stringify([VERSION, r.id, r.network, r.expiresAt]));

/** Seals `progress` under the store key, bound to the record's id, network and expiry. */
export function sealStoredFormation(
  key: Uint8Array,
  head: Omit<StoredFormation, 'sealed'>,
  progress: FormationProgress,
): StoredFormation {
  const nonce = randomBytes(NONCE);
  const body = utf8ToBytes(JSON.stringify(progress));
  return {
    ...head,
    sealed: concatBytes(
      Uint8Array.of(VERSION),
      nonce,
      xchacha20poly1305(key, nonce, headOf(head)).encrypt(body),
    ),
  };
}

/**
 * Opens a record sealed by `sealStoredFormation`.
 * @throws StoredFormationError — never anything else, whatever the record holds.
 */
export function openStoredFormation(key: Uint8Array, record: StoredFormation): FormationProgress {
  const { sealed } = record;
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== VERSION)
    throw new StoredFormationError('bad-seal', 'Not a stored formation');
  let body: Uint8Array;
  try {
    body = xchacha20poly1305(key, sealed.subarray(1, 1 + NONCE), headOf(record)).decrypt(
      sealed.subarray(1 + NONCE),
    );
  } catch {
    throw new StoredFormationError('bad-seal', 'Stored formation is not sealed by this wallet');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new StoredFormationError('malformed', 'Stored formation is not JSON');
  }
  const parsed = v.safeParse(ProgressSchema, json);
  if (!parsed.success)
    throw new StoredFormationError('malformed', 'Stored formation has an unexpected shape');
  return parsed.output;
}

/** Until when a formation's record is kept: the invite's expiry, or a delivery's wait if later. */
export function storedFormationExpiry(invite: VaultInvite, deliveredAt?: number): number {
  const inviteEnds = invite.expiresAt * 1000;
  return deliveredAt === undefined
    ? inviteEnds
    : Math.max(inviteEnds, deliveredAt + DELIVERED_KEEP_MS);
}

/** What a formation's state says to keep, given how it started. */
export function progressOf(
  start: { role: FormationProgress['role']; code: string; name: string },
  state: FormationState,
  deliveredAt?: number,
): FormationProgress {
  const formed = state.formed;
  if (start.role === 'creator')
    return {
      role: 'creator',
      code: start.code,
      name: start.name,
      joined: state.members.slice(1).map((m) => ({ key: bytesToHex(m.key), name: m.name })),
      ...(formed && deliveredAt !== undefined ? { deliveredAt } : {}),
    };
  return {
    role: 'joiner',
    code: start.code,
    name: start.name,
    ...(formed && deliveredAt !== undefined
      ? {
          delivery: {
            descriptor: encodeVaultDescriptor(formed.vault),
            names: [...formed.names],
            at: deliveredAt,
          },
        }
      : {}),
  };
}

/** Keeps one formation's record up to date (its `save`) and removes it (`forget`). */
export interface FormationKeeper {
  save(state: FormationState): Promise<void>;
  /** Removes the record; later saves write nothing. */
  forget(): Promise<void>;
}

/**
 * The record keeper of one formation. Writes are serialised, so the record always holds the
 * latest state saved, and a `forget` is never undone by a save still in flight.
 * @example
 *   const keeper = keepFormation({ store, key, invite, start: { role: 'creator', code, name } });
 *   const run = new CreatorFormation({ ...options, save: keeper.save });
 */
export function keepFormation(options: {
  store: FormationStore;
  key: Uint8Array;
  invite: VaultInvite;
  start: { role: FormationProgress['role']; code: string; name: string };
  deliveredAt?: number;
  now?: () => number;
}): FormationKeeper {
  const { store, key, invite, start } = options;
  const now = options.now ?? Date.now;
  const id = bytesToHex(invite.inviteId);
  let deliveredAt = options.deliveredAt;
  let gone = false;
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (write: () => Promise<void>) => {
    const next = queue.then(write);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    save(state) {
      return enqueue(async () => {
        if (gone) return;
        if (state.formed) deliveredAt ??= now();
        const head = {
          id,
          network: invite.network.name,
          expiresAt: storedFormationExpiry(invite, deliveredAt),
        };
        await store.put(sealStoredFormation(key, head, progressOf(start, state, deliveredAt)));
      });
    },
    forget() {
      gone = true;
      return enqueue(() => store.delete(id));
    },
  };
}

/** A stored formation that can be resumed on this wallet and network. */
export interface ResumableFormation {
  id: string;
  expiresAt: number;
  progress: FormationProgress;
}

/**
 * The stored formations to resume on `network`. Records past their expiry are deleted, and so
 * are those that do not open with `key` (another wallet's, or damaged); records of another
 * network are left for when the wallet switches back.
 */
export async function loadStoredFormations(
  store: FormationStore,
  options: { key: Uint8Array; network: string; now: number },
): Promise<ResumableFormation[]> {
  const found: ResumableFormation[] = [];
  for (const raw of await store.list()) {
    const parsed = v.safeParse(StoredSchema, raw);
    if (!parsed.success) {
      const id = (raw as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string') await store.delete(id);
      continue;
    }
    const record = parsed.output;
    if (record.expiresAt < options.now) {
      await store.delete(record.id);
      continue;
    }
    if (record.network !== options.network) continue;
    try {
      found.push({
        id: record.id,
        expiresAt: record.expiresAt,
        progress: openStoredFormation(options.key, record),
      });
    } catch (err) {
      if (!(err instanceof StoredFormationError)) throw err;
      await store.delete(record.id);
    }
  }
  return found;
}

export interface ResumeOptions {
  store: FormationStore;
  key: Uint8Array;
  transport: Transport;
  /** This wallet's member key on the formation's network. */
  secretKey: Uint8Array;
  network: NetworkParams;
  repeatMs?: number;
  now?: () => number;
  onChange?: (state: FormationState) => void;
}

/**
 * Resumes a stored formation: re-reads its invite, restores the answers (creator) or the delivery
 * (joiner), re-subscribes to the rendezvous and re-reads the mailbox (`start`). A creator whose
 * vault was delivered, or whose roster is full, delivers it again.
 * @throws VaultError / FormationError for a record that no longer makes a formation.
 */
export async function resumeFormation(
  progress: FormationProgress,
  options: ResumeOptions,
): Promise<{
  invite: VaultInvite;
  run: CreatorFormation | JoinerFormation;
  keeper: FormationKeeper;
}> {
  // The record's own expiry governs (checked by loadStoredFormations): a delivered vault may
  // outlive its invite, so the invite is read as of its creation (signature, network, policy).
  const invite = readInvite(progress.code, { network: options.network, now: 0 });
  const deliveredAt = progress.role === 'creator' ? progress.deliveredAt : progress.delivery?.at;
  const keeper = keepFormation({
    store: options.store,
    key: options.key,
    invite,
    start: { role: progress.role, code: progress.code, name: progress.name },
    ...(deliveredAt !== undefined ? { deliveredAt } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const common = {
    transport: options.transport,
    invite,
    secretKey: options.secretKey,
    save: keeper.save,
    ...(options.repeatMs !== undefined ? { repeatMs: options.repeatMs } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.onChange ? { onChange: options.onChange } : {}),
  };
  if (progress.role === 'joiner') {
    const { delivery } = progress;
    const run = new JoinerFormation({
      ...common,
      name: progress.name,
      ...(delivery ? { delivery: { descriptor: delivery.descriptor, names: delivery.names } } : {}),
    });
    await run.start();
    return { invite, run, keeper };
  }
  const run = new CreatorFormation({
    ...common,
    creatorName: progress.name,
    joined: progress.joined.map((m) => ({ key: hexToBytes(m.key), name: m.name })),
  });
  if (progress.deliveredAt !== undefined) await run.finish();
  // A full roster whose delivery was not saved yet: the same members make the same vault.
  else if (run.roster.full) await run.finish().catch(() => undefined);
  await run.start();
  return { invite, run, keeper };
}
