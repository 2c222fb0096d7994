/**
 * Router handlers for vault signing. The wallet's own pages only: a web page reaches vault spends
 * through the provider's approval flow, never through these.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  type CallerInfo,
  type Handlers,
  type MethodName,
  type MethodParams,
  type MethodResults,
  UnauthorizedError,
  sessionInfo,
} from '../core/rpc/index.ts';
import type { SessionView } from '../core/p2p/session.ts';
import { RpcError, RpcErrorCode } from '../core/rpc/errors.ts';
import { RecoveryNotOpenError } from '../core/wallet/vault-recovery.ts';
import type { SigningHost } from './signing-host.ts';

/**
 * "Not open yet" in words a person reads (when, not which outpoint), keeping the error's name
 * and, for callers, the height and the blocks left.
 */
function plainRecoveryError(err: unknown): unknown {
  if (!(err instanceof RecoveryNotOpenError)) return err;
  const first = err.coins[0];
  if (!first) return err;
  const when = first.confirmed
    ? `${first.about} (block ${first.opensAtHeight.toLocaleString('en-US')})`
    : 'once it confirms, and then after the vault’s wait';
  return new RpcError(
    RpcErrorCode.internal,
    `No coin is open to recovery yet: the first opens ${when}`,
    {
      name: err.name,
      data: { opensAtHeight: first.opensAtHeight, blocksLeft: first.blocksLeft },
    },
  );
}

export function signingHandlers(host: SigningHost): Handlers {
  const handle =
    <M extends MethodName>(run: (params: MethodParams<M>) => Promise<MethodResults[M]>) =>
    async (params: MethodParams<M>, caller: CallerInfo): Promise<MethodResults[M]> => {
      if (caller.kind !== 'extension') throw new UnauthorizedError();
      return run(params);
    };
  // Session views carry their vault's threshold, so the popup can say who is still needed, and
  // its member keys, so the popup can put the user's names to them (dApps get neither keys).
  const info = (view: SessionView) =>
    sessionInfo(view, host.thresholdOf(view.vaultId), host.membersOf(view.vaultId));
  return {
    petal_vaultMemberKey: handle<'petal_vaultMemberKey'>(async () => ({
      memberKey: bytesToHex(await host.memberKey()),
    })),
    petal_vaultAdd: handle<'petal_vaultAdd'>(({ descriptor }) => host.addVault(descriptor)),
    // The popup lists recovery vaults too; dApps see member vaults only (provider-host).
    petal_vaultList: handle<'petal_vaultList'>(() => host.listAllVaults()),
    petal_vaultPropose: handle<'petal_vaultPropose'>(async (p) => info(await host.propose(p))),
    petal_vaultInviteCreate: handle<'petal_vaultInviteCreate'>((p) => host.createInvite(p)),
    petal_vaultPolicyPreview: handle<'petal_vaultPolicyPreview'>((p) => host.previewPolicy(p)),
    petal_vaultInviteJoin: handle<'petal_vaultInviteJoin'>(({ invite }) => host.joinInvite(invite)),
    petal_vaultInviteAssemble: handle<'petal_vaultInviteAssemble'>(({ invite, joins }) =>
      host.assembleInvite(invite, joins),
    ),
    petal_vaultDetails: handle<'petal_vaultDetails'>(async ({ id }) => {
      const details = await host.vaultDetails(id);
      return { ...details, sessions: details.sessions.map(info) };
    }),
    petal_vaultRecoveryStatus: handle<'petal_vaultRecoveryStatus'>(({ id }) =>
      host.recoveryStatus(id),
    ),
    petal_vaultRecover: handle<'petal_vaultRecover'>(({ id }) =>
      host.recover(id).catch((err: unknown) => {
        throw plainRecoveryError(err);
      }),
    ),
    petal_vaultHistory: handle<'petal_vaultHistory'>(({ id, limit }) =>
      host.vaultHistory(id, limit),
    ),
    petal_vaultTransaction: handle<'petal_vaultTransaction'>(({ id, txid }) =>
      host.vaultTransaction(id, txid),
    ),
    petal_sessionList: handle<'petal_sessionList'>(async () => (await host.sessions()).map(info)),
    petal_sessionApprove: handle<'petal_sessionApprove'>(async ({ id }) =>
      info(await host.approve(id)),
    ),
    petal_sessionDecline: handle<'petal_sessionDecline'>(async ({ id, reason }) =>
      info(await host.decline(id, reason)),
    ),
    petal_p2pInbound: handle<'petal_p2pInbound'>(async (message) => {
      await host.inbound(message);
      return { ok: true };
    }),
    petal_runnerEvent: handle<'petal_runnerEvent'>(async (event) => {
      await host.runnerEvent(event);
      return { ok: true };
    }),
  };
}
