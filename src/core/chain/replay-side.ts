/**
 * Which side of lotusd's replay-protection switch the network is on. lotusd decides it per block:
 * replay protection applies when the tip's median time past reaches
 * `-replayprotectionactivationtime` (lotusd src/validation.cpp:292-296, default the network's
 * `secondKingsActivationTime`, src/chainparams.cpp:128). A node operator, or one lotusd release,
 * can move that time, so the wallet's table is only the first guess: a node that rejects a
 * signature for one side tells us the other is in force, and what it accepted is remembered.
 */
import type { NetworkName, NetworkParams } from './network.ts';

/** What the network was seen to accept: bounds on where its switch really is. */
export interface ReplaySideMemory {
  /** The lowest median time past at which replay-protected signatures were accepted. */
  onAt?: number;
  /** The highest median time past at which unprotected signatures were accepted. */
  offAt?: number;
}

export interface ReplaySwitchOptions {
  /** A user's override of the activation time, per network (seconds), e.g. from Settings. */
  activationTime?: (network: NetworkName) => number | undefined;
  /** Called after every change of what was learned, to persist it. */
  onLearn?: (network: NetworkName, memory: ReplaySideMemory) => void;
}

/**
 * The wallet's belief about the replay-protection side, per network. The switch is monotone in
 * the median time past, so one accepted transaction on a side bounds it for every later (on) or
 * earlier (off) tip; the newest observation wins if an older one contradicts it (a new devnet, a
 * node that moved its time).
 */
export class ReplaySwitch {
  readonly #options: ReplaySwitchOptions;
  readonly #memory = new Map<NetworkName, ReplaySideMemory>();

  constructor(options: ReplaySwitchOptions = {}) {
    this.#options = options;
  }

  /** Restores what was learned before (from storage), without reporting it as new. */
  restore(memory: Partial<Record<NetworkName, ReplaySideMemory>>): void {
    for (const [name, learned] of Object.entries(memory))
      if (learned) this.#memory.set(name as NetworkName, { ...learned });
  }

  /** The activation time the wallet assumes for `network`: the user's override, else the table. */
  activationTime(network: NetworkParams): number {
    return this.#options.activationTime?.(network.name) ?? network.replayProtectionActivationTime;
  }

  /** Whether a transaction for a tip with this median time past should sign replay-protected. */
  active(network: NetworkParams, medianTimePast: number): boolean {
    const memory = this.#memory.get(network.name);
    if (memory?.onAt !== undefined && medianTimePast >= memory.onAt) return true;
    if (memory?.offAt !== undefined && medianTimePast <= memory.offAt) return false;
    return medianTimePast >= this.activationTime(network);
  }

  /** Records that the network accepted a transaction signed for `active` at this tip. */
  learn(network: NetworkParams, active: boolean, medianTimePast: number): void {
    const before = this.#memory.get(network.name) ?? {};
    const memory: ReplaySideMemory = { ...before };
    if (active) {
      memory.onAt = Math.min(before.onAt ?? Infinity, medianTimePast);
      if (memory.offAt !== undefined && memory.offAt >= medianTimePast) delete memory.offAt;
    } else {
      memory.offAt = Math.max(before.offAt ?? -Infinity, medianTimePast);
      if (memory.onAt !== undefined && memory.onAt <= medianTimePast) delete memory.onAt;
    }
    if (memory.onAt === before.onAt && memory.offAt === before.offAt) return;
    this.#memory.set(network.name, memory);
    this.#options.onLearn?.(network.name, { ...memory });
  }

  /** What was learned for `network` (for storage and the About screen). */
  memory(network: NetworkName): ReplaySideMemory {
    return { ...this.#memory.get(network) };
  }

  /** Forgets what was learned (a user who set a new activation time starts from it). */
  forget(network: NetworkName): void {
    if (!this.#memory.delete(network)) return;
    this.#options.onLearn?.(network, {});
  }
}

/**
 * True if a node's rejection says a script did not verify (lotusd's
 * `mandatory-script-verify-flag-failed (…)`, src/validation.cpp:1328): after the
 * wallet's own verifier passed the transaction, the likeliest cause is signatures hashed for the
 * other side of the replay-protection switch.
 */
export function isScriptVerifyRejection(reason: string): boolean {
  return /mandatory-script-verify-flag-failed/.test(reason);
}

/**
 * Signs and broadcasts a transaction on the side `guess` names; if the node rejects it as a
 * script-verification failure, signs once more for the other side and broadcasts that. At most
 * one of the two can ever confirm: both spend the same inputs (and share the Lotus txid, which
 * does not cover signatures). Returns the txid and the side the network accepted.
 */
export async function broadcastOnEitherSide(
  guess: boolean,
  sign: (replayProtection: boolean) => Uint8Array,
  broadcast: (raw: Uint8Array) => Promise<string>,
  rejectionReason: (err: unknown) => string | undefined,
): Promise<{ txid: string; replayProtection: boolean }> {
  try {
    return { txid: await broadcast(sign(guess)), replayProtection: guess };
  } catch (err) {
    const reason = rejectionReason(err);
    if (reason === undefined || !isScriptVerifyRejection(reason)) throw err;
  }
  return { txid: await broadcast(sign(!guess)), replayProtection: !guess };
}
