/**
 * Router handlers for `window.lotus` (pages) and for the popup's approval and site screens
 * (extension pages). A page's origin and document come from the browser, never from the payload.
 */
import {
  type CallerInfo,
  type Handlers,
  type MethodName,
  type MethodParams,
  type MethodResults,
  RpcError,
  RpcErrorCode,
  UnauthorizedError,
} from '../core/rpc/index.ts';
import type { DappCaller } from '../core/provider/dapp-service.ts';
import { OpaqueOriginError, isOpaqueOrigin } from '../core/provider/origin.ts';
import type { ApprovalView } from '../core/provider/dapp-methods.ts';
import type { ProviderHost } from './provider-host.ts';

export function dappHandlers(host: ProviderHost): Handlers {
  const { service } = host;
  const page =
    <M extends MethodName>(
      run: (caller: DappCaller, params: MethodParams<M>) => Promise<MethodResults[M]>,
    ) =>
    async (params: MethodParams<M>, caller: CallerInfo): Promise<MethodResults[M]> => {
      if (caller.kind !== 'page' || !caller.documentId)
        throw new UnauthorizedError('Only web pages use the dApp provider');
      if (isOpaqueOrigin(caller.origin)) throw new OpaqueOriginError();
      return run(
        {
          origin: caller.origin,
          documentId: caller.documentId,
          ...(caller.requestKey ? { requestKey: caller.requestKey } : {}),
        },
        params,
      );
    };
  const popup =
    <M extends MethodName>(run: (params: MethodParams<M>) => Promise<MethodResults[M]>) =>
    async (params: MethodParams<M>, caller: CallerInfo): Promise<MethodResults[M]> => {
      if (caller.kind !== 'extension') throw new UnauthorizedError();
      return run(params);
    };

  return {
    lotus_requestAccounts: page<'lotus_requestAccounts'>((c) => service.requestAccounts(c)),
    lotus_accounts: page<'lotus_accounts'>((c) => service.accounts(c)),
    lotus_getNetwork: page<'lotus_getNetwork'>(async () => service.network()),
    lotus_getBalance: page<'lotus_getBalance'>((c) => service.balance(c)),
    lotus_signMessage: page<'lotus_signMessage'>((c, p) => service.signMessage(c, p)),
    lotus_sendTransfer: page<'lotus_sendTransfer'>((c, p) => service.sendTransfer(c, p)),
    lotus_getVaults: page<'lotus_getVaults'>((c) => service.vaults(c)),
    lotus_requestVaultSpend: page<'lotus_requestVaultSpend'>((c, p) =>
      service.requestVaultSpend(c, p),
    ),
    lotus_getSession: page<'lotus_getSession'>((c, p) => service.session(c, p)),
    lotus_createVaultInvite: page<'lotus_createVaultInvite'>((c, p) =>
      service.createVaultInvite(c, p),
    ),
    wallet_requestPermissions: page<'wallet_requestPermissions'>(async (c) => {
      const granted = await service.requestPermissions(c);
      await host.accountsChanged(c.origin);
      return granted;
    }),
    wallet_getPermissions: page<'wallet_getPermissions'>((c) => service.getPermissions(c)),
    wallet_revokePermissions: page<'wallet_revokePermissions'>(async (c) => {
      await service.revokePermissions(c);
      await host.accountsChanged(c.origin);
      return null;
    }),

    petal_approvalList: popup<'petal_approvalList'>(
      async () => (await host.pending()) as ApprovalView[],
    ),
    // The window names the exact request it rendered; an approval counts only once that
    // request has been on screen for the arming delay (ApprovalQueue.confirm).
    petal_approvalResolve: popup<'petal_approvalResolve'>(async ({ id, approve, duration }) => {
      if (!host.approvals.get(id))
        throw new RpcError(RpcErrorCode.invalidParams, 'That request is no longer waiting');
      if (approve) await host.approvals.confirm(id, { ...(duration ? { duration } : {}) });
      else await host.approvals.reject(id);
      return { ok: true };
    }),
    petal_siteList: popup<'petal_siteList'>(() => host.permissions.list()),
    petal_siteRevoke: popup<'petal_siteRevoke'>(async ({ origin }) => {
      await host.permissions.revoke(origin);
      await host.accountsChanged(origin);
      return { ok: true };
    }),
  };
}
