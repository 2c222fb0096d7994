/**
 * The replay-protection side a new proposal starts on (docs/PROTOCOL.md §6.13): the chain tip's
 * median time past against the switch the wallet believes in. Without a chain clock, or with the
 * indexer unreachable, wall time stands in: a wrong guess costs one more attempt, never the spend.
 */
import type { Vault } from '../../wallet/vault.ts';
import type { ServiceContext } from './context.ts';

/** How long the chain tip's median time past is reused: it moves once a block (~2 min). */
const TIP_TIME_TTL_MS = 30_000;

export async function replaySideNow(ctx: ServiceContext, vault: Vault): Promise<boolean> {
  const tipTime = await medianTime(ctx).catch(() => undefined);
  const at = tipTime ?? Math.floor(ctx.clock.now() / 1000);
  return ctx.replaySwitch.active(vault.network, at);
}

async function medianTime(ctx: ServiceContext): Promise<number | undefined> {
  if (!ctx.chain.medianTimePast) return undefined;
  const now = ctx.clock.now();
  if (!ctx.tipTime || now - ctx.tipTime.readAt > TIP_TIME_TTL_MS)
    ctx.tipTime = { medianTime: await ctx.chain.medianTimePast(), readAt: now };
  return ctx.tipTime.medianTime;
}
