import { randomBytes } from '@noble/hashes/utils.js';
import {
  SIGHASH_ALL,
  SIGHASH_LOTUS,
  type TxOutput,
  buildUnsignedTx,
  p2pkhScript,
  parseTx,
  regtest,
  verifyTransaction,
  withForkValue,
} from '../../src/core/chain/index.ts';
import { parseScript } from '../../src/core/chain/script.ts';
import type { UnsignedSpend } from '../../src/core/chain/unsigned-spend.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { MemoryChain } from '../../src/core/p2p/chain.ts';
import type { ReplaySwitch } from '../../src/core/chain/replay-side.ts';
import { LOTUSD_REGTEST_REPLAY_PROTECTION_TIME } from '../../src/devnet/chain.ts';
import { ManualClock } from '../../src/core/p2p/clock.ts';
import {
  type Envelope,
  type EnvelopeAuth,
  MessageType,
  type SignedEnvelope,
  openEnvelope,
  sealEnvelope,
} from '../../src/core/p2p/envelope.ts';
import { openFrame, sealFrame } from '../../src/core/p2p/frames.ts';
import type { FrameValidator, Transport, TransportHandler } from '../../src/core/p2p/transport.ts';
import { type VaultKeys, deriveVaultKeys } from '../../src/core/p2p/vault-keys.ts';
import { hexToBytes } from '@noble/hashes/utils.js';
import { MemoryNetwork, type MemoryTransport } from '../../src/core/p2p/memory-transport.ts';
import { MemorySessionStore } from '../../src/core/p2p/session-store.ts';
import {
  type SigningService,
  type SessionLimits,
  type SigningTimeouts,
  SigningService as Service,
} from '../../src/core/p2p/signing-service.ts';
import { type BurnRequirement, type Vault, createVault } from '../../src/core/wallet/vault.ts';
import { burnIdentityScript } from '../../src/core/p2p/burn-identity.ts';
import {
  type BurnProof,
  type NoncesPayload,
  type PartialSigsPayload,
  decodePayload,
  encodeApproval,
  encodeNonces,
  encodePartialSigs,
} from '../../src/core/p2p/messages.ts';
import { nonceGen } from '../../src/core/crypto/musig2.ts';

/** A P2PKH destination that belongs to nobody in the group. */
export const PAYEE_SCRIPT = p2pkhScript(randomBytes(20));

export interface Member {
  index: number;
  peerId: string;
  secretKey: Uint8Array;
  transport: MemoryTransport;
  store: MemorySessionStore;
  service: SigningService;
}

/**
 * A member turned adversary: sees each envelope it is about to send (decrypted) and may replace
 * it (re-signed with its own key via `reseal`), drop it (null) or let it pass (undefined).
 */
export type Tamper = (
  member: number,
  envelope: SignedEnvelope,
  to: string,
  reseal: (e: Envelope) => Uint8Array,
) => Uint8Array | null | undefined;

/**
 * `transport` as seen by member `member` when `tamper` may rewrite (or drop, with null) every
 * frame it sends: the envelope is opened, handed to `tamper`, and re-signed with the member's key.
 */
export function withTamper(
  transport: Transport,
  keys: VaultKeys,
  member: number,
  secret: () => Uint8Array,
  tamper: Tamper,
): Transport {
  const rewrite = (frame: Uint8Array, to: string): Uint8Array | null => {
    const envelope = openEnvelope(openFrame(keys, frame));
    const out = tamper(member, envelope, to, (e) => sealEnvelope(e, secret()));
    if (out === null) return null;
    return out ? sealFrame(keys, out) : frame;
  };
  return {
    peerId: transport.peerId,
    subscribe: (topic: string, handler: TransportHandler, validate?: FrameValidator) =>
      transport.subscribe(topic, handler, validate),
    onDirect: (handler: TransportHandler) => transport.onDirect(handler),
    publish: async (topic: string, data: Uint8Array) => {
      const out = rewrite(data, 'topic');
      return out ? transport.publish(topic, out) : 0;
    },
    send: async (peer: string, data: Uint8Array, signal?: AbortSignal) => {
      const out = rewrite(data, peer);
      if (out) await transport.send(peer, out, signal);
    },
    putRecord: (id, payload, expiresAt) => transport.putRecord(id, payload, expiresAt),
    getRecord: (id) => transport.getRecord(id),
  };
}

/** One envelope a member sent, as its peer receives it. */
export interface Sent {
  member: number;
  env: SignedEnvelope;
  to: string;
}

/** Records every envelope members send (after `inner` rewrote or dropped it, as peers see it). */
export function recording(sent: Sent[], inner?: Tamper): Tamper {
  return (member, env, to, reseal) => {
    const out = inner?.(member, env, to, reseal);
    if (out !== null) sent.push({ member, env: out ? openEnvelope(out) : env, to });
    return out;
  };
}

/** A tamper under which member `culprit` rewrites the partial signatures it sends. */
export function rewritePartials(
  culprit: number,
  rewrite: (partialSigs: Uint8Array[]) => Uint8Array[],
): Tamper {
  return (member, env, _to, reseal) => {
    if (member !== culprit || env.type !== MessageType.partialSigs) return undefined;
    const body = decodePayload(env.type, env.payload).body as PartialSigsPayload;
    const partialSigs = rewrite(body.partialSigs);
    return reseal({ ...env, payload: encodePartialSigs({ ...body, partialSigs }) });
  };
}

/**
 * Member `culprit` sends member `target` other public nonces than everyone else, wherever its
 * nonces travel: in a nonces message or riding with its approval. The gossip copy of an approval
 * with nonces is dropped, so the target learns the approval only directly (the culprit's
 * catch-up), with the lie, and the others only directly too, with the truth.
 */
export function equivocate(culprit: number, target: number): Tamper {
  const lie = (body: NoncesPayload): NoncesPayload => ({
    ...body,
    pubNonces: body.pubNonces.map(
      () => nonceGen({ publicKey: getPublicKey(randomBytes(32)) }).pubNonce,
    ),
  });
  return (member, env, to, reseal) => {
    if (member !== culprit) return undefined;
    const payload = decodePayload(env.type, env.payload);
    if (payload.type === MessageType.approval && payload.body.nonces) {
      if (to === 'topic') return null;
      if (to !== `peer-${target}`) return undefined;
      const forged = encodeApproval({ ...payload.body, nonces: lie(payload.body.nonces) });
      return reseal({ ...env, payload: forged });
    }
    if (payload.type !== MessageType.nonces || to !== `peer-${target}`) return undefined;
    return reseal({ ...env, payload: encodeNonces(lie(payload.body)) });
  };
}

/** One bit flipped in every partial signature: each then fails PartialSigVerify. */
export const flipOneBit = (partialSigs: Uint8Array[]): Uint8Array[] =>
  partialSigs.map((p) => {
    const q = p.slice();
    q[31]! ^= 1;
    return q;
  });

export interface GroupOptions {
  /** The vault requires burn identities; `burn(i)` is what member i burned (none: undefined). */
  identity?: {
    requirement: BurnRequirement;
    burn: (index: number) => { sats: bigint; confirmations: number } | undefined;
  };
  /** Asked when member `index` is about to broadcast; true = it crashes instead. */
  crashOnBroadcast?: (index: number) => boolean;
  tamper?: Tamper;
  timeouts?: Partial<SigningTimeouts>;
  auth?: EnvelopeAuth;
  /**
   * Use a manual clock for protocol timers (memory-network hops still use real macrotasks): true
   * for a fresh one, or the test's own (e.g. one whose timers fire early).
   */
  manualClock?: boolean | ManualClock;
  /** The chain's judge (default: a fresh TestLedger with lotusd's switch). */
  ledger?: TestLedger;
  /** Member `index`'s belief about the replay-protection switch (default: lotusd's table). */
  replaySwitch?: (index: number) => ReplaySwitch;
  /** A threshold vault: any `threshold` members sign through their script leaf (default n-of-n). */
  threshold?: number;
  /** Open-session caps (default: the service's, 32 per vault and 8 per proposer). */
  sessionLimits?: Partial<SessionLimits>;
}

export interface Group {
  vault: Vault;
  network: MemoryNetwork;
  chain: MemoryChain;
  /** The chain's judge: its replay-protection switch and forced rejections. */
  ledger: TestLedger;
  clock?: ManualClock;
  members: Member[];
  /** Members that crashed at broadcast time. */
  crashed: ReadonlySet<number>;
  /** Funds the vault with one output per value and returns the spend of all of them. */
  spend(values: bigint[], pay?: bigint, extraOutputs?: TxOutput[]): UnsignedSpend;
  /** Starts a fresh service for member `index` on the same store (a restart). */
  restart(index: number): Promise<Member>;
  stop(): Promise<void>;
}

/**
 * The pushes of the broadcast transaction's first input: one signature on the key path; the
 * signature, leaf script and control block on a leaf.
 */
export function firstInputPushes(g: Group, txid: string): Uint8Array[] {
  const raw = g.chain.transaction(txid);
  if (!raw) throw new Error('not broadcast');
  return parseScript(parseTx(raw).inputs[0]!.scriptSig).map((c) => c.data as Uint8Array);
}

/**
 * Vault outputs that exist only for a test, and a MemoryChain that accepts a transaction only if
 * the local script verifier passes it against those outputs (as a Lotus node would).
 */
export class TestLedger {
  readonly #funded = new Map<string, TxOutput>();
  /** The node's replay-protection switch (its own, not the wallet's table): lotusd's by default. */
  replayProtectionTime = LOTUSD_REGTEST_REPLAY_PROTECTION_TIME;
  /** When set, every transaction is refused with this node reason (before any script runs). */
  refuseWith: string | undefined;
  /** Transactions refused so far, with the node's reason. */
  readonly refusals: string[] = [];
  readonly chain = new MemoryChain({
    validate: (bytes) => {
      try {
        this.#judge(bytes);
      } catch (err) {
        this.refusals.push((err as Error).message);
        throw err;
      }
    },
  });

  #judge(bytes: Uint8Array): void {
    if (this.refuseWith) throw new Error(this.refuseWith);
    const tx = parseTx(bytes);
    const spent = tx.inputs.map((input) => {
      const key = `${Buffer.from(input.prevout.txid).toString('hex')}:${input.prevout.vout}`;
      const out = this.#funded.get(key);
      if (!out) throw new Error(`unknown input ${key}`);
      return out;
    });
    // As a node would: replay-protected hash types from its own activation time on.
    const replay = { active: this.chain.medianTime >= this.replayProtectionTime };
    const result = verifyTransaction(tx, spent, { replay });
    if (!result.ok) throw new Error(`mandatory-script-verify-flag-failed (${result.reason})`);
  }

  /** Funds `vault` with one output per value; returns an unsigned spend of all of them. */
  spend(
    vault: Vault,
    values: bigint[],
    pay?: bigint,
    extraOutputs: TxOutput[] = [],
  ): UnsignedSpend {
    const utxos = values.map((value) => {
      const txid = randomBytes(32);
      this.#funded.set(`${Buffer.from(txid).toString('hex')}:0`, { value, script: vault.script });
      return { outpoint: { txid, vout: 0 }, value, script: vault.script };
    });
    const total = values.reduce((a, b) => a + b, 0n);
    const amount = pay ?? total / 2n;
    const fee = 1_000n + 200n * BigInt(values.length);
    const outputs: TxOutput[] = [
      { value: amount, script: PAYEE_SCRIPT },
      ...extraOutputs,
      { value: total - amount - fee, script: vault.script },
    ];
    return {
      network: regtest,
      tx: buildUnsignedTx(utxos, outputs),
      spent: utxos.map((u) => ({ value: u.value, script: u.script })),
      hashType: withForkValue(SIGHASH_ALL | SIGHASH_LOTUS, regtest.forkValue),
    };
  }
}

export const FAST: Partial<SigningTimeouts> = {
  failoverMs: 150,
  mismatchMs: 2_000,
  sweepMs: 3_600_000,
  syncMs: 3_600_000,
};

/** n members, each with its own service, store and transport, serving one n-of-n vault. */
export async function createGroup(n: number, options: GroupOptions = {}): Promise<Group> {
  const secrets = Array.from({ length: n }, () => randomBytes(32));
  const vault = createVault(
    secrets.map((s) => getPublicKey(s)),
    regtest,
    `group of ${n}`,
    {
      ...(options.identity ? { identity: options.identity.requirement } : {}),
      ...(options.threshold ? { threshold: options.threshold } : {}),
    },
  );
  const clock =
    options.manualClock instanceof ManualClock
      ? options.manualClock
      : options.manualClock
        ? new ManualClock(Date.now())
        : undefined;
  const network = new MemoryNetwork(clock ? { now: () => clock.now() } : {});
  const ledger = options.ledger ?? new TestLedger();
  const chain = ledger.chain;
  // Sorted member order = the vault's; map each secret to its member index.
  const bySortedIndex = vault.members.map((key) => {
    const i = secrets.findIndex((s) => Buffer.from(getPublicKey(s)).equals(Buffer.from(key)));
    return secrets[i] as Uint8Array;
  });

  const keys = deriveVaultKeys(hexToBytes(vault.id));
  const wrap = (index: number, transport: MemoryTransport): Transport =>
    options.tamper
      ? withTamper(
          transport,
          keys,
          index,
          () => (members[index] as Member).secretKey,
          options.tamper,
        )
      : transport;

  // A member that crashes at the moment it would broadcast (failover tests).
  const crashed = new Set<number>();
  const crashable = (index: number, view: ReturnType<MemoryChain['as']>) => ({
    ...view,
    broadcast: async (tx: Uint8Array) => {
      if (options.crashOnBroadcast?.(index)) {
        // It crashes after its own messages left (else nobody could finish without it).
        const member = members[index] as Member;
        while (member.service.stats().pendingDeliveries > 0)
          await new Promise((r) => setTimeout(r, 5));
        crashed.add(index);
        network.disconnect((members[index] as Member).peerId);
        void (members[index] as Member).service.stop();
        throw new Error('crashed');
      }
      return view.broadcast(tx);
    },
  });

  const makeService = (index: number, store: MemorySessionStore, transport: MemoryTransport) =>
    new Service({
      transport: wrap(index, transport),
      store,
      chain: crashable(index, chain.as(`member-${index}`)),
      timeouts: { ...FAST, ...options.timeouts },
      ...(clock ? { clock } : {}),
      ...(options.auth ? { auth: options.auth } : {}),
      ...(options.replaySwitch ? { replaySwitch: options.replaySwitch(index) } : {}),
      ...(options.sessionLimits ? { sessionLimits: options.sessionLimits } : {}),
    });

  const members: Member[] = [];
  for (let index = 0; index < n; index++) {
    const peerId = `peer-${index}`;
    const transport = network.join(peerId);
    const store = new MemorySessionStore();
    const service = makeService(index, store, transport);
    members.push({
      index,
      peerId,
      secretKey: bySortedIndex[index] as Uint8Array,
      transport,
      store,
      service,
    });
  }
  // Burn identities: each member's burn output is on the chain before the vault is used.
  const burns: (BurnProof | undefined)[] = members.map((m) => {
    const burned = options.identity?.burn(m.index);
    if (!burned) return undefined;
    const txid = randomBytes(32);
    const display = Buffer.from(txid).reverse().toString('hex');
    chain.fund(display, 0, {
      value: burned.sats,
      script: burnIdentityScript(vault.members[m.index] as Uint8Array),
      confirmations: burned.confirmations,
    });
    return { txid, vout: 0 };
  });
  const addVault = (m: Member) => {
    const burn =
      burns[m.index] ?? (options.identity ? { txid: randomBytes(32), vout: 0 } : undefined);
    return m.service.addVault(vault, m.secretKey, burn ? { burn } : {});
  };
  for (const m of members) m.service.start();
  for (const m of members) await addVault(m);

  let restarts = 0;
  return {
    vault,
    network,
    chain,
    ledger,
    ...(clock ? { clock } : {}),
    members,
    crashed,
    spend: (values, pay, extraOutputs = []) => ledger.spend(vault, values, pay, extraOutputs),
    async restart(index) {
      const old = members[index] as Member;
      await old.service.stop();
      network.disconnect(old.peerId);
      const peerId = `peer-${index}-r${++restarts}`;
      const transport = network.join(peerId);
      const service = makeService(index, old.store, transport);
      const fresh: Member = { ...old, peerId, transport, service };
      members[index] = fresh;
      service.start();
      await addVault(fresh);
      return fresh;
    },
    async stop() {
      await Promise.all(members.map((m) => m.service.stop()));
    },
  };
}
