/**
 * Proposes refreshes of the member vaults whose coins near their recovery path (docs/PROTOCOL.md
 * §2.5): the background calls `check()` on start, on every block it hears of and every 10 minutes;
 * `planRefresh` (src/core/wallet/refresh-plan.ts) decides, this only wires it. A staggered member
 * whose turn comes between blocks is checked again at its turn.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import * as v from 'valibot';
import type { IndexedUtxo } from '../core/chain/chronik.ts';
import { parseUnsignedSpend } from '../core/chain/unsigned-spend.ts';
import type { UnsignedSpend } from '../core/chain/unsigned-spend.ts';
import { MessageType, openEnvelope } from '../core/p2p/envelope.ts';
import { decodePayload } from '../core/p2p/messages.ts';
import {
  EMPTY_REFRESH_MEMORY,
  type RefreshMemory,
  markProposed,
  outpointKey,
  planRefresh,
} from '../core/wallet/refresh-plan.ts';
import { buildRefreshSpend } from '../core/wallet/vault-recovery.ts';
import type { Vault } from '../core/wallet/vault.ts';

export interface RefreshWatchComponents {
  /** The member vaults to watch, with this wallet's index in each. */
  vaults(): { vault: Vault; me: number }[];
  coins(vault: Vault): Promise<IndexedUtxo[]>;
  tipHeight(): Promise<number>;
  /** Outpoints spent by the open sessions of a vault (anyone's proposals). */
  busy(vaultId: string): Promise<Set<string>>;
  propose(vault: Vault, spend: UnsignedSpend, memo: string): Promise<unknown>;
  /** Per vault id; kept across worker restarts so a wallet never proposes the same coins twice. */
  load(): Promise<unknown>;
  save(memory: Record<string, RefreshMemory>): Promise<void>;
  now?: () => number;
  log?: (message: string) => void;
}

export interface RefreshWatch {
  /** Checks every vault now (checks never overlap; one asked for during a check runs after it). */
  check(): Promise<void>;
  /** Checks after `delayMs`, coalescing requests (a burst of blocks makes one check). */
  schedule(delayMs?: number): void;
  stop(): void;
}

const StoredMemory = v.record(
  v.string(),
  v.object({
    dueSince: v.record(v.string(), v.number()),
    proposed: v.record(v.string(), v.number()),
  }),
);

export function createRefreshWatch(c: RefreshWatchComponents): RefreshWatch {
  const now = c.now ?? Date.now;
  const log = c.log ?? (() => {});
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Infinity;

  const schedule = (delayMs = 0) => {
    if (stopped) return;
    const at = now() + delayMs;
    if (timer !== undefined && timerAt <= at) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      void check();
    }, delayMs);
  };

  async function checkAll(): Promise<void> {
    const watched = c.vaults().filter(({ vault }) => vault.recovery);
    if (watched.length === 0) return;
    const parsed = v.safeParse(StoredMemory, await c.load());
    const stored: Record<string, RefreshMemory> = parsed.success ? parsed.output : {};
    // Only the watched vaults' memory is kept: a vault that is gone takes its memory with it.
    const memory: Record<string, RefreshMemory> = Object.fromEntries(
      watched.map(({ vault }) => [vault.id, stored[vault.id] ?? EMPTY_REFRESH_MEMORY]),
    );
    const tipHeight = await c.tipHeight();
    for (const { vault, me } of watched) {
      let m = memory[vault.id] as RefreshMemory;
      try {
        const decision = planRefresh({
          vault,
          me,
          coins: await c.coins(vault),
          tipHeight,
          now: now(),
          busy: await c.busy(vault.id),
          memory: m,
        });
        m = decision.memory;
        if (decision.action === 'wait') schedule(Math.max(0, decision.at - now()));
        if (decision.action === 'propose') {
          const spend = buildRefreshSpend(vault, decision.coins);
          // Remembered before proposing: a proposal that half-failed is not sent twice.
          m = markProposed(m, decision.coins, now());
          memory[vault.id] = m;
          await c.save(memory);
          await c.propose(vault, spend, decision.memo);
          log(`Proposed a refresh of ${decision.coins.length} coin(s) of vault ${vault.id}`);
        }
      } catch (err) {
        log(`Refresh check of vault ${vault.id} failed: ${(err as Error).message}`);
      }
      memory[vault.id] = m;
    }
    await c.save(memory);
  }

  async function check(): Promise<void> {
    if (stopped) return;
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await checkAll().catch((err: unknown) =>
          log(`Refresh check failed: ${(err as Error).message}`),
        );
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    check,
    schedule,
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * The outpoints a stored session spends, read from its proposal (the first envelope of its
 * transcript, which the signing service checked before storing); empty if it cannot be read.
 */
export function proposalOutpoints(envelopes: readonly Uint8Array[]): string[] {
  const first = envelopes[0];
  if (!first) return [];
  try {
    const env = openEnvelope(first);
    if (env.type !== MessageType.proposal) return [];
    const payload = decodePayload(env.type, env.payload);
    if (payload.type !== MessageType.proposal) return [];
    return parseUnsignedSpend(payload.body.spend).tx.inputs.map((input) =>
      outpointKey({
        txid: bytesToHex(input.prevout.txid.slice().reverse()),
        vout: input.prevout.vout,
      }),
    );
  } catch {
    return [];
  }
}
