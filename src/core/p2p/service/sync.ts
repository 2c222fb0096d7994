/**
 * Reading the other members' mailbox records (docs/PROTOCOL.md §3.3, §6.1): how a member that was
 * offline learns of sessions proposed meanwhile. Each envelope in a record takes the same receive
 * pipeline as one from the network. While a session is open the service also republishes its own
 * record, in case a DHT node lost it.
 */
import { openRecord } from '../frames.ts';
import type { ServiceContext } from './context.ts';
import { touchMailbox } from './mailbox.ts';
import { receiveEnvelope } from './receive.ts';

/** Reads every other member's mailbox record of the vault now. */
export async function syncVault(ctx: ServiceContext, vaultId: string): Promise<void> {
  const state = ctx.vaultState(vaultId);
  await Promise.all(
    state.vault.members.map(async (_, index) => {
      if (index === state.me) return;
      const id = state.keys.recordId(index);
      let envelopes: Uint8Array[];
      try {
        const record = await ctx.transport.getRecord(id);
        if (!record) return;
        envelopes = openRecord(state.keys, id, record);
      } catch {
        return; // offline, or a record that is not ours to read: try again next sync
      }
      await ctx.serial(async () => {
        for (const bytes of envelopes) await receiveEnvelope(ctx, state, bytes, undefined);
      });
    }),
  );
}

/** Syncs every vault every `syncMs` while the service runs. */
export function scheduleSync(ctx: ServiceContext): void {
  ctx.timers.set(() => {
    // Republish our mailbox while a session is open: a DHT node that restarted (or a put that
    // failed while the network was down) would otherwise leave late-comers blind.
    for (const state of ctx.vaults.values())
      if (ctx.hasOpenSession(state)) touchMailbox(ctx, state);
    void Promise.all(
      [...ctx.vaults.keys()].map((id) => syncVault(ctx, id).catch(() => undefined)),
    ).finally(() => {
      if (ctx.running) scheduleSync(ctx);
    });
  }, ctx.timeouts.syncMs);
}
