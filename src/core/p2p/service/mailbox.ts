/**
 * Writing this member's mailbox record (docs/PROTOCOL.md §3.3): after a session opens, approves or
 * ends, the record is rewritten once, after the work already queued, so a burst of changes costs
 * one put. What goes in it is `signing/mailbox.ts`'s rule.
 */
import { sealRecord } from '../frames.ts';
import { mailboxContents } from '../signing/mailbox.ts';
import type { ServiceContext, VaultState } from './context.ts';

/** Marks a vault's mailbox stale; one rewrite happens after the work already queued. */
export function touchMailbox(ctx: ServiceContext, state: VaultState): void {
  if (ctx.staleMailboxes.has(state)) return;
  ctx.staleMailboxes.add(state);
  void Promise.resolve().then(() =>
    ctx.serial(async () => {
      ctx.staleMailboxes.delete(state);
      if (ctx.running && ctx.vaults.get(state.vault.id) === state) await updateMailbox(ctx, state);
    }),
  );
}

/** Our mailbox record: every open session's proposal and our latest approval in it. */
async function updateMailbox(ctx: ServiceContext, state: VaultState): Promise<void> {
  const { envelopes, until } = mailboxContents(ctx.sessions.values(), state, ctx.clock.now());
  const id = state.keys.recordId(state.me);
  await ctx.transport
    .putRecord(id, sealRecord(state.keys, id, envelopes), until)
    .catch(() => undefined);
}
