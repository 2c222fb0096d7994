/**
 * Writing this member's mailbox record (docs/PROTOCOL.md §3.3): after a session opens, approves or
 * ends, the record is rewritten — outside the protocol queue, so no step waits for a DHT put. At
 * most one put per vault is in flight; changes made meanwhile cause one more put after it, so a
 * burst of changes costs two. What goes in it is `signing/mailbox.ts`'s rule.
 */
import { sealRecord } from '../frames.ts';
import { mailboxContents } from '../signing/mailbox.ts';
import type { ServiceContext, VaultState } from './context.ts';

/** Vaults whose record is being written, and whether it changed since that put began. */
const inFlight = new WeakMap<VaultState, { again: boolean }>();

/** Marks a vault's mailbox stale: it is rewritten after the current step, off the queue. */
export function touchMailbox(ctx: ServiceContext, state: VaultState): void {
  const flight = inFlight.get(state);
  if (flight) {
    flight.again = true;
    return;
  }
  const current = { again: true };
  inFlight.set(state, current);
  // A microtask later: the step that touched the record has finished changing the session.
  void Promise.resolve()
    .then(async () => {
      while (current.again && ctx.running && ctx.vaults.get(state.vault.id) === state) {
        current.again = false;
        await updateMailbox(ctx, state);
      }
    })
    .finally(() => inFlight.delete(state));
}

/** Our mailbox record: every open session's proposal and our latest approval in it. */
async function updateMailbox(ctx: ServiceContext, state: VaultState): Promise<void> {
  try {
    const { envelopes, until } = mailboxContents(ctx.sessions.values(), state, ctx.clock.now());
    const id = state.keys.recordId(state.me);
    await ctx.transport.putRecord(id, sealRecord(state.keys, id, envelopes), until);
  } catch (err) {
    ctx.emit('warning', {
      message: `Mailbox put failed: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}
