/**
 * The dApp provider in the background: pages talk to it over one runtime port per document
 * (opened by the content script), which tells us when the page goes away and lets a page re-send
 * its open requests after a worker restart. Site grants and waiting approvals live in IndexedDB;
 * one approval window shows the queue while it is not empty, and closing it rejects with 4001.
 */
import type { Runtime } from 'webextension-polyfill';
import { browser } from '../ext/browser.ts';
import { callerFromSender } from '../ext/messaging.ts';
import {
  ENVELOPE_TAG,
  InvalidParamsError,
  type CallerInfo,
  type Router,
  serializeError,
} from '../core/rpc/index.ts';
import { formatXpi } from '../core/wallet/amount.ts';
import { sessionInfo } from '../core/rpc/signing-methods.ts';
import { ApprovalQueue, UserRejectedError } from '../core/provider/approval-queue.ts';
import { type DappBackend, DappService } from '../core/provider/dapp-service.ts';
import { PermissionRegistry, type PermissionGrant } from '../core/provider/permissions.ts';
import { OpaqueOriginError, isOpaqueOrigin } from '../core/provider/origin.ts';
import { pageDocumentId, parsePagePortName } from '../core/provider/page-port.ts';
import { SiteSessions } from '../core/provider/site-sessions.ts';
import type { PendingRequest } from '../core/provider/approval-queue.ts';
import type { RecordStore } from '../core/wallet/keystore-service.ts';
import type { WalletService } from '../core/wallet/wallet-service.ts';
import type { SessionView } from '../core/p2p/session.ts';
import type { SigningHost } from './signing-host.ts';
import { createAttention } from './attention.ts';

const GRANTS_KEY = 'site-permissions';
const PENDING_KEY = 'pending-approvals';
const SITE_SESSIONS_KEY = 'site-sessions';
const WINDOW_KEY = 'petal.approvalWindow';
const APPROVAL_URL = 'popup/index.html#/approve';

export interface ProviderHostDeps {
  wallet: WalletService;
  ready: Promise<void>;
  signing: SigningHost;
  records: RecordStore;
}

export function createProviderHost(deps: ProviderHostDeps) {
  const { wallet, signing, records } = deps;
  const permissions = new PermissionRegistry({
    load: async () => ((await records.get(GRANTS_KEY)) as PermissionGrant[] | undefined) ?? [],
    save: (grants) => records.put(GRANTS_KEY, grants),
  });
  const approvals = new ApprovalQueue({
    load: async () => ((await records.get(PENDING_KEY)) as PendingRequest[] | undefined) ?? [],
    save: (pending) => records.put(PENDING_KEY, pending),
  });
  const windows = approvalWindow(() => approvals.list().length > 0);

  const attention = createAttention((vaultId) => signing.rosterOf(vaultId));
  // The window follows the queue: open while anything waits, closed when it is empty.
  approvals.subscribe((pending) => {
    attention.requests(pending.length);
    if (pending.length > 0) void windows.open();
    else void windows.close();
  });
  windows.onClosed(() => {
    for (const request of approvals.list()) void approvals.reject(request.id);
    rejectUnlockWaiters();
  });

  const unlockWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  const rejectUnlockWaiters = () => {
    for (const waiter of unlockWaiters)
      waiter.reject(new UserRejectedError('Petal was not unlocked'));
    unlockWaiters.clear();
  };
  wallet.onChange((view) => {
    if (view.status !== 'unlocked') return;
    for (const waiter of unlockWaiters) waiter.resolve();
    unlockWaiters.clear();
    // A window opened only to unlock has done its job (the queue loads after a restart first).
    void approvals.load().then(() => {
      if (approvals.list().length === 0) void windows.close();
    });
  });

  // Sessions as dApps see them carry their vault's threshold (k of `members`), as in the popup.
  const info = (view: SessionView) => sessionInfo(view, signing.thresholdOf(view.vaultId));
  const backend: DappBackend = {
    network: () => wallet.settings.network,
    isUnlocked: () => wallet.view().status === 'unlocked',
    async unlocked() {
      await deps.ready;
      if (wallet.view().status === 'unlocked') return;
      // The approval window opens on the unlock screen, then shows the request.
      const unlocked = new Promise<void>((resolve, reject) =>
        unlockWaiters.add({ resolve, reject }),
      );
      await windows.open(true);
      return unlocked;
    },
    accounts: () => [wallet.dappAddress()],
    async balance() {
      const view = wallet.view();
      if (!view.balance) await wallet.refresh();
      const balance = wallet.view().balance;
      return balance ?? { confirmed: '0', pending: '0', total: '0' };
    },
    async prepareTransfer(to, sats) {
      const preview = await wallet
        .prepareSend({ to, amount: formatXpi(BigInt(sats)) })
        .catch(asInvalidParams);
      return { ...preview, from: wallet.dappAddress() };
    },
    confirmTransfer: (id) => wallet.confirmSend(id),
    signMessage: (message) => wallet.signMessage(message),
    vaults: () => signing.listVaults(),
    prepareVaultSpend: (p) => signing.prepareSpend(p).catch(asInvalidParams),
    proposeVaultSpend: async (id, memo) => info(await signing.proposeDraft(id, memo)),
    async session(id) {
      const view = await signing.session(id);
      return view ? info(view) : undefined;
    },
    settled: async (id) => info(await signing.settled(id)),
    createInvite: (p) => signing.createInvite(p),
  };
  // Which site started which vault session: a site sees only its own (addresses, amounts, memo).
  const sessions = new SiteSessions({
    load: async () =>
      ((await records.get(SITE_SESSIONS_KEY)) as Record<string, string[]> | undefined) ?? {},
    save: (owners) => records.put(SITE_SESSIONS_KEY, owners),
  });
  const service = new DappService({ backend, permissions, approvals, sessions });

  // ——— page ports: requests, events, and page lifetime ———
  const pages = new Set<{ port: Runtime.Port; caller: CallerInfo }>();

  async function emit(origin: string, event: string, data: unknown): Promise<void> {
    for (const page of pages)
      if (page.caller.origin === origin) page.port.postMessage({ event, data });
  }
  async function accountsChanged(origin: string): Promise<void> {
    const pageCaller = { origin, documentId: '' };
    await emit(origin, 'accountsChanged', await service.accounts(pageCaller));
  }
  const connectedOrigins = async () => {
    const origins = new Set<string>();
    for (const page of pages)
      if (await permissions.has(page.caller.origin)) origins.add(page.caller.origin);
    return origins;
  };
  let lastNetwork: string | undefined;
  let lastStatus: string | undefined;
  wallet.onChange((view) => {
    if (view.status !== lastStatus) {
      lastStatus = view.status;
      const origins = new Set([...pages].map((p) => p.caller.origin));
      for (const origin of origins) void accountsChanged(origin);
    }
    if (lastNetwork !== undefined && view.settings.network !== lastNetwork) {
      const origins = new Set([...pages].map((p) => p.caller.origin));
      for (const origin of origins)
        void emit(origin, 'networkChanged', { network: view.settings.network });
    }
    lastNetwork = view.settings.network;
  });
  signing.onEvent((kind, view) => {
    if (view && kind !== 'vaults') attention.session(kind, view);
    if (kind === 'vaults') {
      void connectedOrigins().then((origins) => {
        for (const origin of origins) void emit(origin, 'vaultsChanged', undefined);
      });
      return;
    }
    // A session goes only to the connected sites that started it, never to every site.
    if (!view) return;
    void service.sessionAudience(view.id).then((origins) => {
      for (const origin of origins) void emit(origin, 'sessionUpdate', info(view));
    });
  });

  function attach(router: Router): void {
    browser.runtime.onConnect.addListener((port) => {
      const named = parsePagePortName(port.name);
      if (!named || !port.sender) return;
      const base = callerFromSender(port.sender);
      if (base?.kind !== 'page') {
        port.disconnect();
        return;
      }
      if (isOpaqueOrigin(base.origin)) {
        refuseOpaque(port);
        return;
      }
      const documentId = pageDocumentId(
        port.sender as Runtime.MessageSender & { documentId?: string },
        named.loadId,
      );
      const page = { port, caller: { ...base, documentId } };
      pages.add(page);
      port.onMessage.addListener((message: unknown) => {
        const id = (message as { id?: unknown })?.id;
        const caller = { ...page.caller, requestKey: `${documentId}:${String(id).slice(0, 64)}` };
        void router.handle(message, caller).then((reply) => {
          if (pages.has(page)) port.postMessage(reply);
        });
      });
      port.onDisconnect.addListener(() => {
        pages.delete(page);
        // The page reloaded, navigated or closed: its requests can no longer be answered.
        void approvals.dropDocument(documentId);
      });
    });
  }

  return {
    service,
    permissions,
    approvals,
    attach,
    accountsChanged,
    /**
     * Pending requests with what the approval window shows, the first being the one on screen
     * (its arming delay starts now); restored orphans are left out.
     */
    pending: () => approvals.present(),
  };
}

export type ProviderHost = ReturnType<typeof createProviderHost>;

/**
 * A sandboxed page (opaque origin "null"): every request is answered with OpaqueOriginError and
 * the page hears no events. Answering, rather than dropping the port, keeps the page's promises
 * from hanging.
 */
function refuseOpaque(port: Runtime.Port): void {
  port.onMessage.addListener((message: unknown) => {
    const raw = (message as { id?: unknown })?.id;
    const id = typeof raw === 'string' ? raw.slice(0, 64) : '';
    port.postMessage({
      tag: ENVELOPE_TAG,
      kind: 'response',
      id,
      error: serializeError(new OpaqueOriginError()),
    });
  });
}

/** A bad address or amount is the dApp's params at fault (-32602), not an internal error. */
function asInvalidParams(err: unknown): never {
  const name = (err as Error)?.name;
  const invalid = [
    'AddressError',
    'AmountError',
    'PolicyError',
    'SendError',
    'DustAmountError',
    'ProposalRefusedError',
  ];
  if (invalid.includes(name)) throw new InvalidParamsError((err as Error).message);
  throw err;
}

/**
 * The single approval window. Opening and closing run one at a time, each deciding on the queue
 * as it is when it runs, so a request arriving while the window closes gets a new window. The id
 * is kept in storage.session so a restarted worker still knows its window.
 */
function approvalWindow(hasWork: () => boolean) {
  const closedListeners = new Set<() => void>();
  let chain: Promise<void> = Promise.resolve();

  const storedId = async (): Promise<number | undefined> =>
    (await browser.storage.session.get(WINDOW_KEY))[WINDOW_KEY] as number | undefined;
  const serial = (step: () => Promise<void>) => {
    chain = chain.then(step).catch(() => undefined);
    return chain;
  };

  browser.windows?.onRemoved.addListener((windowId) => {
    void serial(async () => {
      if ((await storedId()) !== windowId) return;
      // The user closed it (we forget the id before closing it ourselves).
      await browser.storage.session.remove(WINDOW_KEY);
      for (const listener of closedListeners) listener();
    });
  });

  const open = (force = false) =>
    serial(async () => {
      if (!force && !hasWork()) return;
      const id = await storedId();
      if (id !== undefined && (await browser.windows.get(id).catch(() => undefined))) {
        await browser.windows.update(id, { focused: true });
        return;
      }
      const created = await browser.windows.create({
        url: browser.runtime.getURL(APPROVAL_URL),
        type: 'popup',
        width: 380,
        height: 640,
        focused: true,
      });
      if (created.id !== undefined) await browser.storage.session.set({ [WINDOW_KEY]: created.id });
    });

  const close = () =>
    serial(async () => {
      if (hasWork()) return;
      const id = await storedId();
      if (id === undefined) return;
      await browser.storage.session.remove(WINDOW_KEY);
      await browser.windows.remove(id).catch(() => undefined);
    });

  return {
    open,
    close,
    onClosed(listener: () => void) {
      closedListeners.add(listener);
    },
  };
}
