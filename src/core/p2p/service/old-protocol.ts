/**
 * Members still running signing protocol 1 (docs/PROTOCOL.md §3.1): their envelopes are refused
 * with a typed error, reported once per peer and vault, and not counted against the peer. An
 * honest member that has not updated yet is not an attacker; it just cannot take part.
 */
import type { OldProtocolError } from '../envelope.ts';
import type { ServiceContext, VaultState } from './context.ts';

/** Peers already reported, per service (bounded: an old client is reported again after a wrap). */
const reported = new WeakMap<ServiceContext, Set<string>>();
const MAX_REPORTED = 1024;

export function refuseOldProtocol(
  ctx: ServiceContext,
  state: VaultState,
  from: string | undefined,
  err: OldProtocolError,
): void {
  let seen = reported.get(ctx);
  if (!seen) reported.set(ctx, (seen = new Set()));
  const key = `${state.vault.id}:${from ?? 'mailbox'}`;
  if (seen.has(key)) return;
  if (seen.size >= MAX_REPORTED) seen.clear();
  seen.add(key);
  ctx.emit('outdated', {
    vaultId: state.vault.id,
    reason: err.reason,
    message: err.message,
    ...(from === undefined ? {} : { from }),
  });
}
