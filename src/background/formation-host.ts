/**
 * Runs one-code vault formations in the background (src/core/p2p/vault-formation.ts) over the
 * signing protocol's transport: the creator's collection of answers, a joiner's answer and wait.
 * A formed vault is kept only once this member confirms its fingerprint words; the members' names
 * then go to the contacts store (keys already named keep the user's name).
 *
 * Each open formation is also kept, sealed, in IndexedDB (src/core/p2p/formation-store.ts) and
 * resumed when the background starts with the wallet unlocked, or at the next unlock: a worker or
 * browser restart no longer ends it. The worker is held awake while one is open (as during a
 * signing session). Locking the wallet pauses them with the rest of the protocol — the creator
 * cannot sign a roster or a delivery while locked, and the invite's secret is sealed under a key
 * that exists only while unlocked; joiners keep answering and the mailbox keeps the delivery, so
 * nothing is lost — and they resume at the next unlock.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { getPublicKey } from '../core/crypto/schnorr.ts';
import type { FormationInfo, RpcClient, VaultInfo } from '../core/rpc/index.ts';
import type { Transport } from '../core/p2p/transport.ts';
import {
  CreatorFormation,
  FormationError,
  type FormationState,
  JoinerFormation,
} from '../core/p2p/vault-formation.ts';
import {
  type FormationKeeper,
  type FormationStore,
  formationStoreKey,
  keepFormation,
  loadStoredFormations,
  resumeFormation,
} from '../core/p2p/formation-store.ts';
import { WalletLockedError } from '../core/wallet/keystore-service.ts';
import { VaultError } from '../core/wallet/vault-error.ts';
import { NETWORKS } from '../core/chain/index.ts';
import type { NetworkParams } from '../core/chain/network.ts';
import {
  type VaultInvite,
  createInvite,
  describeInvitePolicy,
  readInvite,
} from '../core/wallet/vault-invite.ts';
import { checkMemberName } from '../core/wallet/member-name.ts';
import { policyNames } from '../core/wallet/roster.ts';
import {
  type Vault,
  describePolicy,
  encodeVaultDescriptor,
  vaultFingerprint,
} from '../core/wallet/vault.ts';
import { fingerprintWords } from '../core/wallet/vault-words.ts';
import type { WalletService } from '../core/wallet/wallet-service.ts';
import { browser } from '../ext/browser.ts';
import { createKeepAlive } from './keep-alive.ts';
import { type InvitePolicyRequest, invitePolicy } from './signing-host.ts';

/** No relay is reachable: form the vault with join codes and the descriptor by hand. */
export class FormationUnavailableError extends Error {
  override name = 'FormationUnavailableError';
}

/** The formation is not (or no longer) running here: expired, cancelled or confirmed. */
export class UnknownFormationError extends Error {
  override name = 'UnknownFormationError';
}

/** Where member names are kept (src/core/wallet/contact-store.ts). */
export interface MemberNames {
  nameOf(pubkeyHex: string): Promise<string | undefined>;
  setNames(contacts: { pubkey: string; name: string }[]): Promise<unknown>;
}

/**
 * Who can spend from a vault just formed, worded as on its vault page once kept (roster.ts): this
 * wallet "you", the others by the names they gave themselves with their member numbers.
 */
function formedPolicyNames(formed: { vault: Vault; names: string[] }, me: string): string[] {
  const keys = formed.vault.members.map((k) => bytesToHex(k));
  const roster = {
    me: keys.indexOf(me),
    keys,
    names: new Map(
      keys.flatMap((k, i) => (formed.names[i] ? [[k, formed.names[i]] as const] : [])),
    ),
  };
  return policyNames(roster, {
    members: keys.length,
    recoveryKeys: formed.vault.recovery?.keys.length ?? 0,
  });
}

export interface FormationHostDeps {
  wallet: WalletService;
  /** Resolves once the wallet's settings and unlocked session (if any) are restored. */
  ready: Promise<void>;
  signing: {
    formationAccess(): Promise<{
      transport: Transport;
      secretKey: Uint8Array;
      network: NetworkParams;
    }>;
    memberKey(): Promise<Uint8Array>;
    addVault(descriptor: string): Promise<VaultInfo>;
  };
  network: { client: RpcClient };
  contacts?: MemberNames;
  /** Where open formations are kept across restarts (src/background/formation-db.ts). */
  store: FormationStore;
}

interface Entry {
  invite: VaultInvite;
  code?: string;
  me: string;
  run: CreatorFormation | JoinerFormation;
  /** The formation's stored record: updated as it goes, removed once confirmed or cancelled. */
  keeper: FormationKeeper;
  saved?: VaultInfo;
}

/** After a failed resume (no relay yet), the next attempt waits at least this long. */
const RESUME_RETRY_MS = 30_000;

export function createFormationHost(deps: FormationHostDeps) {
  const entries = new Map<string, Entry>();
  const keepAlive = createKeepAlive(() => browser.runtime.getPlatformInfo());
  const hold = () => keepAlive.update([...entries].filter(([, e]) => !e.saved).map(([id]) => id));

  // Stored formations resume once per unlock; a lock stops them (their records stay).
  let resuming: Promise<void> | undefined;
  let retryAfter = 0;
  let resumeFailure: string | undefined;
  let locks = 0;

  deps.wallet.onChange((view) => {
    if (view.status === 'unlocked') {
      void resume();
      return;
    }
    locks++;
    resuming = undefined;
    retryAfter = 0;
    resumeFailure = undefined;
    for (const entry of entries.values()) entry.run.stop();
    entries.clear();
    hold();
  });

  /** Resumes the stored formations (once per unlock; again after a failure, not too often). */
  async function resume(): Promise<void> {
    // A restarted worker answers its first request before the wallet's session is restored.
    await deps.ready;
    if (deps.wallet.view().status !== 'unlocked') return;
    if (!resuming && Date.now() >= retryAfter) {
      const generation = locks;
      resuming = restore(generation).then(
        () => {
          resumeFailure = undefined;
        },
        (err: unknown) => {
          if (generation !== locks) return;
          resuming = undefined;
          retryAfter = Date.now() + RESUME_RETRY_MS;
          resumeFailure = (err as Error).message;
          console.warn(`[petal] open vault formations not resumed yet: ${resumeFailure}`);
        },
      );
    }
    await resuming;
  }

  async function restore(generation: number): Promise<void> {
    if ((await deps.store.list()).length === 0) return;
    // Not `access()`: right after a start the relay connection may still be coming up, and the
    // formations re-send until it is.
    const { transport, secretKey, network } = await deps.signing.formationAccess();
    if (generation !== locks) return;
    const key = formationStoreKey(secretKey);
    const me = bytesToHex(getPublicKey(secretKey));
    const stored = await loadStoredFormations(deps.store, {
      key,
      network: network.name,
      now: Date.now(),
    });
    for (const { id, progress } of stored) {
      if (entries.has(id)) continue;
      let resumed: Awaited<ReturnType<typeof resumeFormation>>;
      try {
        resumed = await resumeFormation(progress, {
          store: deps.store,
          key,
          transport,
          secretKey,
          network,
          onChange: forgetWhenExpired(id),
        });
      } catch (err) {
        // A record that no longer makes a formation (it opened, so it is this wallet's): dropped.
        if (!(err instanceof FormationError || err instanceof VaultError)) throw err;
        await deps.store.delete(id);
        continue;
      }
      if (generation !== locks || entries.has(id)) {
        resumed.run.stop();
        if (generation !== locks) return;
        continue;
      }
      entries.set(id, {
        invite: resumed.invite,
        ...(progress.role === 'creator' ? { code: progress.code } : {}),
        me,
        run: resumed.run,
        keeper: resumed.keeper,
      });
      hold();
    }
  }

  /** A creator's invite that ran out before the vault formed is not kept any longer. */
  const forgetWhenExpired = (id: string) => (state: FormationState) => {
    if (state.phase === 'expired') void entries.get(id)?.keeper.forget();
  };

  /** The protocol's transport, if a relay is reachable; otherwise the fallback is by hand. */
  async function access() {
    const failure = 'No relay is reachable: share join codes and the descriptor by hand';
    const granted = await deps.signing.formationAccess().catch((err: unknown) => {
      throw new FormationUnavailableError(`${failure} (${(err as Error).message})`);
    });
    const status = await deps.network.client.request('petal_networkStatus', {});
    if (!status.connections.some((c) => c.kind === 'websockets'))
      throw new FormationUnavailableError(failure);
    return granted;
  }

  function info(id: string, entry: Entry): FormationInfo {
    const state: FormationState = entry.run.view();
    const { invite } = entry;
    const formed = state.formed;
    const you = (key: Uint8Array) => bytesToHex(key) === entry.me;
    const phase = entry.saved ? 'saved' : state.phase;
    return {
      id,
      role: state.role,
      phase,
      label: invite.label,
      memberCount: invite.memberCount,
      threshold: invite.threshold,
      // Numbered as the member list below: join order, the creator first.
      policyText: describeInvitePolicy(invite, {
        me: state.members.findIndex((m) => you(m.key)),
      }),
      ...(entry.code ? { code: entry.code } : {}),
      expiresAt: invite.expiresAt * 1000,
      // Once formed, in vault order (the creator's run keeps join order): the member numbers
      // of the list then match the policy sentence's.
      members: (formed
        ? formed.vault.members.map((key, i) => ({ key, name: formed.names[i] ?? '' }))
        : state.members
      ).map((m) => ({
        key: bytesToHex(m.key),
        name: m.name,
        you: you(m.key),
      })),
      ...(formed
        ? {
            vault: {
              id: formed.vault.id,
              address: formed.vault.address,
              fingerprint: vaultFingerprint(formed.vault),
              words: fingerprintWords(formed.vault),
              policyText: describePolicy(formed.vault, formedPolicyNames(formed, entry.me)),
            },
          }
        : {}),
    };
  }

  async function entry(id: string): Promise<Entry> {
    await resume();
    const found = entries.get(id);
    if (found) return found;
    if (deps.wallet.view().status !== 'unlocked') throw new WalletLockedError();
    if (resumeFailure)
      throw new FormationUnavailableError(
        `Open vault formations could not resume yet: ${resumeFailure}`,
      );
    throw new UnknownFormationError(
      'This vault formation is not running any more (it expired, was cancelled or was kept)',
    );
  }

  async function begin(entry: Entry): Promise<FormationInfo> {
    const id = bytesToHex(entry.invite.inviteId);
    entries.get(id)?.run.stop();
    entries.set(id, entry);
    hold();
    await entry.run.start();
    return info(id, entry);
  }

  return {
    /** A one-code invite with this wallet as creator; answers are collected from now on. */
    async start(p: InvitePolicyRequest & { name: string }): Promise<FormationInfo> {
      const name = checkMemberName(p.name);
      const { transport, secretKey, network } = await access();
      const { invite, code } = createInvite(secretKey, {
        network,
        memberCount: p.members,
        ...(p.label ? { label: p.label } : {}),
        ...invitePolicy(p),
        rendezvous: { creatorName: name },
      });
      const id = bytesToHex(invite.inviteId);
      const keeper = keepFormation({
        store: deps.store,
        key: formationStoreKey(secretKey),
        invite,
        start: { role: 'creator', code, name },
      });
      const run = new CreatorFormation({
        transport,
        invite,
        secretKey,
        creatorName: name,
        save: keeper.save,
        onChange: forgetWhenExpired(id),
      });
      // The invite is kept before anyone can answer it.
      await keeper.save(run.view());
      return begin({ invite, code, me: bytesToHex(invite.creatorKey), run, keeper });
    },
    /** Answers a one-code invite under `name` and waits for the creator's delivery. */
    async join(code: string, name: string): Promise<FormationInfo> {
      const memberName = checkMemberName(name);
      const invite = readInvite(code.trim(), { network: NETWORKS[deps.wallet.settings.network] });
      if (!invite.rendezvous)
        throw new FormationUnavailableError(
          'This invite was made without a rendezvous: answer it with a join code',
        );
      const { transport, secretKey } = await access();
      await resume();
      const id = bytesToHex(invite.inviteId);
      const running = entries.get(id);
      if (running && running.run instanceof JoinerFormation) return info(id, running);
      const keeper = keepFormation({
        store: deps.store,
        key: formationStoreKey(secretKey),
        invite,
        start: { role: 'joiner', code: code.trim(), name: memberName },
      });
      const run = new JoinerFormation({
        transport,
        invite,
        secretKey,
        name: memberName,
        save: keeper.save,
      });
      await keeper.save(run.view());
      return begin({ invite, me: bytesToHex(await deps.signing.memberKey()), run, keeper });
    },
    /** Resumes the stored formations if the wallet is unlocked (at start-up; idempotent). */
    resume,
    async status(id: string): Promise<FormationInfo> {
      return info(id, await entry(id));
    },
    /** The formations under way, those resumed from storage included. */
    async list(): Promise<FormationInfo[]> {
      await resume();
      return [...entries].map(([id, e]) => info(id, e));
    },
    async finish(id: string): Promise<FormationInfo> {
      const found = await entry(id);
      if (!(found.run instanceof CreatorFormation))
        throw new UnknownFormationError('Only the creator finishes a formation');
      await found.run.finish();
      return info(id, found);
    },
    /**
     * This member read the same words as the others: the vault is kept, and every other member's
     * name goes to the contacts (unless the user already named that key).
     */
    async confirm(id: string): Promise<VaultInfo> {
      const found = await entry(id);
      if (found.saved) return found.saved;
      const formed = found.run.view().formed;
      if (!formed) throw new UnknownFormationError('The vault has not been delivered yet');
      const saved = await deps.signing.addVault(encodeVaultDescriptor(formed.vault));
      found.saved = saved;
      // Kept: the formation's record (and the invite's secret with it) goes.
      await found.keeper.forget().catch((err: unknown) => {
        console.warn(`[petal] formation record not removed: ${(err as Error).message}`);
      });
      // The creator keeps answering members who missed the delivery until it is cancelled or the
      // wallet locks; a joiner has what it came for.
      if (found.run instanceof JoinerFormation) found.run.stop();
      hold();
      await saveNames(
        formed.vault.members.map((k, i) => ({ pubkey: bytesToHex(k), name: formed.names[i]! })),
        found.me,
      );
      return saved;
    },
    /** Stops the formation and removes its record (also while locked: nothing to open). */
    async cancel(id: string): Promise<{ ok: true }> {
      const found = entries.get(id);
      found?.run.stop();
      entries.delete(id);
      hold();
      await (found ? found.keeper.forget() : deps.store.delete(id));
      return { ok: true };
    },
  };

  async function saveNames(members: { pubkey: string; name: string }[], me: string) {
    const contacts = deps.contacts;
    if (!contacts) return;
    try {
      const unnamed = [];
      for (const m of members)
        if (m.pubkey !== me && (await contacts.nameOf(m.pubkey)) === undefined) unnamed.push(m);
      if (unnamed.length > 0) await contacts.setNames(unnamed);
    } catch (err) {
      // The vault is kept either way; the names can be given by hand in the contacts.
      console.warn(`[petal] member names not saved: ${(err as Error).message}`);
    }
  }
}

export type FormationHost = ReturnType<typeof createFormationHost>;
