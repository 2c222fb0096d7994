/**
 * Router handlers for one-code vault formation: the wallet's own pages only (a web page never
 * forms vaults). The rules live in src/core/p2p/vault-formation.ts; formation-host.ts runs them.
 */
import {
  type CallerInfo,
  type Handlers,
  type MethodName,
  type MethodParams,
  type MethodResults,
  UnauthorizedError,
} from '../core/rpc/index.ts';
import type { FormationHost } from './formation-host.ts';

export function formationHandlers(host: FormationHost): Handlers {
  const handle =
    <M extends MethodName>(run: (params: MethodParams<M>) => Promise<MethodResults[M]>) =>
    async (params: MethodParams<M>, caller: CallerInfo): Promise<MethodResults[M]> => {
      if (caller.kind !== 'extension') throw new UnauthorizedError();
      return run(params);
    };
  return {
    petal_formationStart: handle<'petal_formationStart'>(({ name, ...policy }) =>
      host.start({ ...policy, name }),
    ),
    petal_formationJoin: handle<'petal_formationJoin'>(({ invite, name }) =>
      host.join(invite, name),
    ),
    petal_formationStatus: handle<'petal_formationStatus'>(async ({ id }) => host.status(id)),
    petal_formationList: handle<'petal_formationList'>(async () => host.list()),
    petal_formationFinish: handle<'petal_formationFinish'>(({ id }) => host.finish(id)),
    petal_formationConfirm: handle<'petal_formationConfirm'>(({ id }) => host.confirm(id)),
    petal_formationCancel: handle<'petal_formationCancel'>(async ({ id }) => host.cancel(id)),
  };
}
