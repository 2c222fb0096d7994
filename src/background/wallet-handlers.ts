/**
 * Router handlers for the wallet methods: check the caller is an extension page, wait for the
 * wallet to be ready, call the service, count the call as activity. No rules live here.
 */
import {
  type CallerInfo,
  type Handlers,
  type MethodName,
  type MethodParams,
  type MethodResults,
  UnauthorizedError,
} from '../core/rpc/index.ts';
import type { WalletHost } from './wallet-host.ts';

export function walletHandlers(host: WalletHost): Handlers {
  const { wallet } = host;
  const handle =
    <M extends MethodName>(run: (params: MethodParams<M>) => Promise<MethodResults[M]>) =>
    async (params: MethodParams<M>, caller: CallerInfo): Promise<MethodResults[M]> => {
      // Pages never reach the wallet's own methods: only the popup and other extension pages.
      if (caller.kind !== 'extension') throw new UnauthorizedError();
      await host.ready;
      await wallet.lockIfExpired();
      try {
        return await run(params);
      } finally {
        await host.activity();
      }
    };
  const view = async () => wallet.view();

  return {
    petal_walletState: handle<'petal_walletState'>(view),
    petal_walletNewMnemonic: handle<'petal_walletNewMnemonic'>(async ({ words }) =>
      wallet.newMnemonic(words),
    ),
    petal_walletCreate: handle<'petal_walletCreate'>(async ({ password, words }) => {
      await wallet.createFromPending(password, words);
      return wallet.view();
    }),
    petal_walletImport: handle<'petal_walletImport'>(async (p) => {
      await wallet.importMnemonic(p.password, p.mnemonic, {
        passphrase: p.passphrase,
        replace: p.replace,
      });
      return wallet.view();
    }),
    petal_walletUnlock: handle<'petal_walletUnlock'>(async ({ password }) => {
      await wallet.unlock(password);
      return wallet.view();
    }),
    petal_walletLock: handle<'petal_walletLock'>(async () => {
      await wallet.lock();
      return wallet.view();
    }),
    petal_walletChangePassword: handle<'petal_walletChangePassword'>(async (p) => {
      await wallet.changePassword(p.oldPassword, p.newPassword);
      return wallet.view();
    }),
    petal_walletRevealMnemonic: handle<'petal_walletRevealMnemonic'>(async ({ password }) => ({
      mnemonic: await wallet.revealMnemonic(password),
    })),
    petal_walletExportBackup: handle<'petal_walletExportBackup'>(async ({ password }) => ({
      backup: await wallet.exportBackup(password),
      filename: `petal-backup-${new Date().toISOString().slice(0, 10)}.json`,
    })),
    petal_walletImportBackup: handle<'petal_walletImportBackup'>(async (p) => {
      await wallet.importBackup(p.backup, p.password, p.replace);
      return wallet.view();
    }),
    petal_walletSettings: handle<'petal_walletSettings'>(async (patch) =>
      patch && Object.keys(patch).length > 0 ? wallet.updateSettings(patch) : wallet.settings,
    ),
    petal_walletTransaction: handle<'petal_walletTransaction'>(async ({ txid }) =>
      wallet.transaction(txid),
    ),
    petal_walletLabels: handle<'petal_walletLabels'>(async () => ({
      labels: await wallet.labels(),
    })),
    petal_walletSetLabel: handle<'petal_walletSetLabel'>(async ({ type, ref, label }) => ({
      labels: await wallet.setLabel(type, ref, label),
    })),
    petal_walletExportLabels: handle<'petal_walletExportLabels'>(async () => ({
      text: await wallet.exportLabels(),
      filename: `petal-labels-${new Date().toISOString().slice(0, 10)}.jsonl`,
    })),
    petal_walletImportLabels: handle<'petal_walletImportLabels'>(async ({ text }) =>
      wallet.importLabels(text),
    ),
    petal_walletReceive: handle<'petal_walletReceive'>(async (p) => ({
      address: await wallet.receiveAddress(p?.fresh ?? false),
    })),
    petal_walletPrepareSend: handle<'petal_walletPrepareSend'>(async (p) => wallet.prepareSend(p)),
    petal_walletConfirmSend: handle<'petal_walletConfirmSend'>(async ({ id }) => ({
      txid: await wallet.confirmSend(id),
    })),
    petal_walletRefresh: handle<'petal_walletRefresh'>(async () => {
      await wallet.refresh();
      return wallet.view();
    }),
  };
}
