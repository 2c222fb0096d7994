/**
 * What `window.lotus` can do, and on whose say-so. Every method runs for an origin the browser
 * reported; nothing is revealed to a site the user has not connected (4100), and nothing is
 * signed or sent before the user approved exactly what the approval window showed (4001 if not).
 * The background supplies the wallet through `DappBackend`; this file owns the rules.
 */
import { InvalidParamsError, RpcError, RpcErrorCode, UnauthorizedError } from '../rpc/errors.ts';
import type { SessionInfo } from '../rpc/signing-methods.ts';
import type { ApprovalQueue } from './approval-queue.ts';
import type {
  ApprovalDetails,
  Balance,
  DappMethodResults,
  DappVault,
  SignedMessageResult,
  VaultSpendResult,
} from './dapp-methods.ts';
import type { GrantDuration, PermissionRegistry } from './permissions.ts';
import { SiteSessions } from './site-sessions.ts';

export interface PreparedTransfer {
  id: string;
  from: string;
  amount: string;
  fee: string;
  total: string;
  outputs: { address: string; value: string; isChange: boolean }[];
}

/**
 * A vault as the wallet describes it (VaultInfo's fields); recovery keys are hex. `policyText`
 * names members as the user does (their contacts): for the approval window only, never a site.
 */
export type WalletVault = Omit<DappVault, 'recovery'> & {
  me: number;
  recovery?: { afterBlocks: number; keys: string[]; threshold: number };
  policyText?: string;
};

/** What a dApp may know of a vault: its rule and the number of recovery keys, never the keys. */
export function dappVault(v: WalletVault): DappVault {
  return {
    id: v.id,
    label: v.label,
    address: v.address,
    members: v.members,
    policy: v.policy,
    threshold: v.threshold,
    ...(v.recovery
      ? {
          recovery: {
            afterBlocks: v.recovery.afterBlocks,
            keys: v.recovery.keys.length,
            threshold: v.recovery.threshold,
          },
        }
      : {}),
  };
}

export interface PreparedVaultSpend {
  id: string;
  vault: WalletVault;
  summary: SessionInfo['summary'];
}

/** The wallet as the provider sees it; the background implements it. */
export interface DappBackend {
  network(): string;
  /** Resolves once the wallet is unlocked (the background shows the unlock screen if needed). */
  unlocked(): Promise<void>;
  isUnlocked(): boolean;
  accounts(): string[];
  balance(): Promise<Balance>;
  prepareTransfer(to: string, sats: string): Promise<PreparedTransfer>;
  confirmTransfer(id: string): Promise<string>;
  signMessage(message: string): SignedMessageResult;
  vaults(): Promise<WalletVault[]>;
  prepareVaultSpend(p: { vaultId: string; to: string; sats: string }): Promise<PreparedVaultSpend>;
  proposeVaultSpend(id: string, memo?: string): Promise<SessionInfo>;
  session(id: string): Promise<SessionInfo | undefined>;
  settled(id: string): Promise<SessionInfo>;
  createInvite(p: {
    members: number;
    label?: string;
  }): Promise<{ code: string; expiresAt: number }>;
}

/** Who is asking: the origin and document the browser reported, and the page's request id. */
export interface DappCaller {
  origin: string;
  documentId: string;
  /** Stable across a re-send of the same request (see ApprovalQueue `key`). */
  requestKey?: string;
}

export class VaultSpendFailedError extends RpcError {
  constructor(message: string, data: unknown) {
    super(RpcErrorCode.internal, message, { name: 'VaultSpendFailedError', data });
  }
}

/**
 * Refusals that are the request's own fault, raised before anything is signed: an amount below
 * its destination's dust limit (DustAmountError) or a vault spend the network would not relay
 * (ProposalRefusedError). The dApp gets -32602 with the wallet's words (amounts in XPI) and the
 * reason code, so it can branch on `data.reason`.
 */
const REQUEST_FAULTS = new Set(['DustAmountError', 'ProposalRefusedError']);

function asRequestFault(err: unknown): never {
  if (err instanceof Error && REQUEST_FAULTS.has(err.name)) {
    const { reason } = err as { reason?: unknown };
    throw new InvalidParamsError(err.message, {
      name: err.name,
      ...(typeof reason === 'string' ? { reason } : {}),
    });
  }
  throw err;
}

/** The user's answer in the approval window. */
export interface ApprovalDecision {
  duration?: GrantDuration;
}

type Params<M extends keyof DappMethodResults> = M extends keyof DappParams ? DappParams[M] : never;
interface DappParams {
  lotus_signMessage: { message: string };
  lotus_sendTransfer: { to: string; sats: string };
  lotus_requestVaultSpend: { vaultId: string; to: string; sats: string; memo?: string };
  lotus_getSession: { id: string };
  lotus_createVaultInvite: { members: number; label?: string };
}

export class DappService {
  readonly #backend: DappBackend;
  readonly #permissions: PermissionRegistry;
  readonly #approvals: ApprovalQueue;
  readonly #sessions: SiteSessions;

  /**
   * The background watches `approvals` and keeps an approval window open while it is not empty.
   * `sessions` remembers which site started which vault session (in memory unless given).
   */
  constructor(deps: {
    backend: DappBackend;
    permissions: PermissionRegistry;
    approvals: ApprovalQueue;
    sessions?: SiteSessions;
  }) {
    this.#backend = deps.backend;
    this.#permissions = deps.permissions;
    this.#approvals = deps.approvals;
    this.#sessions = deps.sessions ?? new SiteSessions();
  }

  async requestAccounts(caller: DappCaller): Promise<string[]> {
    if (await this.#permissions.has(caller.origin)) {
      await this.#backend.unlocked();
      return this.#backend.accounts();
    }
    const decision = (await this.#ask(caller, 'lotus_requestAccounts', undefined, {
      kind: 'connect',
    })) as ApprovalDecision;
    const duration = decision?.duration ?? 'always';
    // "Once" answers this request only; nothing stays granted.
    if (duration !== 'once') await this.#permissions.grant(caller.origin, duration);
    await this.#backend.unlocked();
    return this.#backend.accounts();
  }

  async accounts(caller: DappCaller): Promise<string[]> {
    if (!(await this.#permissions.has(caller.origin)) || !this.#backend.isUnlocked()) return [];
    return this.#backend.accounts();
  }

  network(): { network: string } {
    return { network: this.#backend.network() };
  }

  async balance(caller: DappCaller): Promise<Balance> {
    await this.#connected(caller);
    await this.#backend.unlocked();
    return this.#backend.balance();
  }

  async signMessage(
    caller: DappCaller,
    { message }: Params<'lotus_signMessage'>,
  ): Promise<SignedMessageResult> {
    await this.#connected(caller);
    await this.#backend.unlocked();
    const [address] = this.#backend.accounts();
    await this.#ask(
      caller,
      'lotus_signMessage',
      { message },
      {
        kind: 'signMessage',
        message,
        address: address ?? '',
      },
    );
    return this.#backend.signMessage(message);
  }

  async sendTransfer(
    caller: DappCaller,
    params: Params<'lotus_sendTransfer'>,
  ): Promise<{ txid: string }> {
    await this.#connected(caller);
    await this.#backend.unlocked();
    const prepared = await this.#backend
      .prepareTransfer(params.to, params.sats)
      .catch(asRequestFault);
    const balance = await this.#backend.balance().catch(() => undefined);
    await this.#ask(caller, 'lotus_sendTransfer', params, {
      kind: 'transfer',
      from: prepared.from,
      outputs: prepared.outputs,
      amount: prepared.amount,
      fee: prepared.fee,
      total: prepared.total,
      ...(balance ? { balance: balance.total } : {}),
    });
    return { txid: await this.#backend.confirmTransfer(prepared.id) };
  }

  async vaults(caller: DappCaller): Promise<DappVault[]> {
    await this.#connected(caller);
    await this.#backend.unlocked();
    return (await this.#backend.vaults()).map(dappVault);
  }

  /** Proposes a vault spend after approval; resolves when broadcast, rejects with the reason. */
  async requestVaultSpend(
    caller: DappCaller,
    params: Params<'lotus_requestVaultSpend'>,
  ): Promise<VaultSpendResult> {
    await this.#connected(caller);
    await this.#backend.unlocked();
    const prepared = await this.#backend.prepareVaultSpend(params).catch(asRequestFault);
    const { summary } = prepared;
    await this.#ask(caller, 'lotus_requestVaultSpend', params, {
      kind: 'vaultSpend',
      vault: {
        ...dappVault(prepared.vault),
        me: prepared.vault.me,
        ...(prepared.vault.policyText ? { policyText: prepared.vault.policyText } : {}),
      },
      payments: summary.payments.map((p) => ({
        ...(p.address ? { address: p.address } : {}),
        sats: p.sats,
      })),
      change: summary.change,
      fee: summary.feeSats,
      inputTotal: summary.inputTotal,
      ...(params.memo ? { memo: params.memo } : {}),
    });
    const session = await this.#backend.proposeVaultSpend(prepared.id, params.memo);
    await this.#sessions.add(caller.origin, session.id);
    const final = await this.#backend.settled(session.id);
    if (final.phase === 'completed' && final.txid)
      return {
        txid: final.txid,
        sessionId: session.id,
        ...(final.pathSigners ? { pathSigners: [...final.pathSigners] } : {}),
      };
    const reason = final.end?.detail ?? final.end?.reason ?? final.phase;
    if (final.end?.reason === 'declined')
      throw new RpcError(RpcErrorCode.userRejected, `A vault member declined: ${reason}`, {
        name: 'UserRejectedError',
        data: { sessionId: session.id, phase: final.phase, end: final.end },
      });
    throw new VaultSpendFailedError(`The vault spend did not complete: ${reason}`, {
      sessionId: session.id,
      phase: final.phase,
      end: final.end,
    });
  }

  /**
   * A session this site started. Sessions the user, a co-signer or another site started are
   * "unknown" here, exactly like ids that do not exist, so a site learns nothing about them.
   */
  async session(caller: DappCaller, { id }: Params<'lotus_getSession'>): Promise<SessionInfo> {
    await this.#connected(caller);
    await this.#backend.unlocked();
    const session = (await this.#sessions.owns(caller.origin, id))
      ? await this.#backend.session(id)
      : undefined;
    if (!session) throw new RpcError(RpcErrorCode.invalidParams, `Unknown session ${id}`);
    return session;
  }

  /** The connected sites that may hear `sessionUpdate` for `sessionId`: those that started it. */
  async sessionAudience(sessionId: string): Promise<string[]> {
    const audience: string[] = [];
    for (const origin of await this.#sessions.origins(sessionId))
      if (await this.#permissions.has(origin)) audience.push(origin);
    return audience;
  }

  async createVaultInvite(
    caller: DappCaller,
    params: Params<'lotus_createVaultInvite'>,
  ): Promise<{ code: string; expiresAt: number }> {
    await this.#connected(caller);
    await this.#backend.unlocked();
    await this.#ask(caller, 'lotus_createVaultInvite', params, {
      kind: 'vaultInvite',
      members: params.members,
      label: params.label ?? '',
    });
    const { code, expiresAt } = await this.#backend.createInvite(params);
    return { code, expiresAt };
  }

  // ——— EIP-2255 ———

  async requestPermissions(caller: DappCaller) {
    await this.requestAccounts(caller);
    return this.getPermissions(caller);
  }

  getPermissions(caller: DappCaller) {
    return this.#permissions.describe(caller.origin);
  }

  async revokePermissions(caller: DappCaller): Promise<null> {
    await this.#permissions.revoke(caller.origin);
    return null;
  }

  async #connected(caller: DappCaller): Promise<void> {
    if (!(await this.#permissions.has(caller.origin)))
      throw new UnauthorizedError(
        `${caller.origin} is not connected to Petal; call lotus_requestAccounts first`,
      );
  }

  async #ask(
    caller: DappCaller,
    method: string,
    params: unknown,
    details: ApprovalDetails,
  ): Promise<unknown> {
    return this.#approvals.enqueue({
      origin: caller.origin,
      documentId: caller.documentId,
      method,
      params,
      details,
      ...(caller.requestKey ? { key: caller.requestKey } : {}),
    });
  }
}
