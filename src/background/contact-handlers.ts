/**
 * Router handlers for contacts (names of vault members): extension pages only, answered from the
 * contact store. The rules (valid key, name length) live in src/core/wallet/contacts.ts.
 */
import {
  type CallerInfo,
  type Handlers,
  type MethodName,
  type MethodParams,
  type MethodResults,
  UnauthorizedError,
} from '../core/rpc/index.ts';
import type { ContactStore } from '../core/wallet/contact-store.ts';

export function contactHandlers(contacts: ContactStore, activity: () => Promise<void>): Handlers {
  const handle =
    <M extends MethodName>(run: (params: MethodParams<M>) => Promise<MethodResults[M]>) =>
    async (params: MethodParams<M>, caller: CallerInfo): Promise<MethodResults[M]> => {
      // Names say who the user signs with: no web page reads or changes them.
      if (caller.kind !== 'extension') throw new UnauthorizedError();
      try {
        return await run(params);
      } finally {
        await activity().catch(() => undefined);
      }
    };
  return {
    petal_contactList: handle<'petal_contactList'>(async () => ({
      contacts: await contacts.list(),
    })),
    petal_contactSet: handle<'petal_contactSet'>(async ({ pubkey, name }) => ({
      contacts: await contacts.setName(pubkey, name),
    })),
    petal_contactSetMany: handle<'petal_contactSetMany'>(async (p) => ({
      contacts: await contacts.setNames(p.contacts, { keepExisting: p.keepExisting ?? false }),
    })),
    petal_contactRemove: handle<'petal_contactRemove'>(async ({ pubkey }) => ({
      contacts: await contacts.remove(pubkey),
    })),
    petal_contactExport: handle<'petal_contactExport'>(async () => ({
      text: await contacts.exportText(),
      filename: `petal-contacts-${new Date().toISOString().slice(0, 10)}.jsonl`,
    })),
    petal_contactImport: handle<'petal_contactImport'>(async ({ text }) => {
      const result = await contacts.importText(text);
      return { ...result, contacts: await contacts.list() };
    }),
  };
}
