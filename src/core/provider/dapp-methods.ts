import * as v from 'valibot';
import type { Eip2255Permission, PermissionGrant } from './permissions.ts';
import type { PendingRequest } from './approval-queue.ts';
import type { SessionInfo } from '../rpc/signing-methods.ts';

/**
 * The dApp API behind `window.lotus` (docs/PROVIDER.md) and the popup methods that answer its
 * approvals. Params are checked here, on arrival in the background, before any handler runs.
 */
const NoParams = v.optional(
  v.union([v.strictObject({}), v.pipe(v.array(v.unknown()), v.maxLength(0))]),
);
const Sats = v.pipe(
  v.string(),
  v.regex(/^[1-9]\d{0,17}$/, 'sats must be a positive integer string'),
);
const Address = v.pipe(v.string(), v.minLength(10), v.maxLength(128));
const Hex64 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
/** EIP-2255 asks for capabilities by name: `[{ lotus_accounts: {} }]`. */
const PermissionRequest = v.pipe(
  v.array(v.strictObject({ lotus_accounts: v.strictObject({}) })),
  v.minLength(1),
  v.maxLength(1),
);
export const GrantDuration = v.picklist(['once', '1h', 'always']);

export const dappMethodSpecs = {
  lotus_requestAccounts: { target: 'background', params: NoParams },
  lotus_accounts: { target: 'background', params: NoParams },
  lotus_getNetwork: { target: 'background', params: NoParams },
  lotus_getBalance: { target: 'background', params: NoParams },
  lotus_signMessage: {
    target: 'background',
    params: v.strictObject({ message: v.pipe(v.string(), v.minLength(1), v.maxLength(16_384)) }),
  },
  lotus_sendTransfer: {
    target: 'background',
    params: v.strictObject({ to: Address, sats: Sats }),
  },
  lotus_getVaults: { target: 'background', params: NoParams },
  lotus_requestVaultSpend: {
    target: 'background',
    params: v.strictObject({
      vaultId: Hex64,
      to: Address,
      sats: Sats,
      memo: v.optional(v.pipe(v.string(), v.maxLength(200))),
    }),
  },
  lotus_getSession: { target: 'background', params: v.strictObject({ id: Hex64 }) },
  lotus_createVaultInvite: {
    target: 'background',
    params: v.strictObject({
      members: v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(100)),
      label: v.optional(v.pipe(v.string(), v.maxLength(64))),
    }),
  },
  wallet_requestPermissions: { target: 'background', params: PermissionRequest },
  wallet_getPermissions: { target: 'background', params: NoParams },
  wallet_revokePermissions: { target: 'background', params: PermissionRequest },

  // ——— the popup's side of approvals and connected sites (extension pages only) ———
  petal_approvalList: { target: 'background', params: v.optional(v.strictObject({})) },
  petal_approvalResolve: {
    target: 'background',
    params: v.strictObject({
      id: v.pipe(v.string(), v.maxLength(64)),
      approve: v.boolean(),
      duration: v.optional(GrantDuration),
    }),
  },
  petal_siteList: { target: 'background', params: v.optional(v.strictObject({})) },
  petal_siteRevoke: {
    target: 'background',
    params: v.strictObject({ origin: v.pipe(v.string(), v.maxLength(512)) }),
  },
} as const;

export interface Balance {
  confirmed: string;
  pending: string;
  total: string;
}

/**
 * A vault as a dApp sees it: no keys, only the spending rule. `policy` is 'n-of-n' when every
 * member must sign (also a vault whose only extra is a recovery path), 'threshold' when any
 * `threshold` of the `members` may.
 */
export interface DappVault {
  id: string;
  label: string;
  address: string;
  members: number;
  policy: 'n-of-n' | 'threshold';
  /** Members needed to sign (= members for n-of-n). */
  threshold: number;
  /** Any `threshold` of `keys` recovery keys may spend once a coin is `afterBlocks` blocks old. */
  recovery?: { afterBlocks: number; keys: number; threshold: number };
}

/** What a vault spend settles with; `pathSigners` when k members signed through their leaf. */
export interface VaultSpendResult {
  txid: string;
  sessionId: string;
  /** Threshold vaults: the members (0-based indices) who signed; absent: every member did. */
  pathSigners?: number[];
}

export interface SignedMessageResult {
  address: string;
  publicKey: string;
  signature: string;
}

/** What an approval window shows; computed by the background when the request arrives. */
export type ApprovalDetails =
  | { kind: 'connect' }
  | { kind: 'signMessage'; message: string; address: string }
  | {
      kind: 'transfer';
      from: string;
      outputs: { address: string; value: string; isChange: boolean }[];
      amount: string;
      fee: string;
      total: string;
      balance?: string;
    }
  | {
      kind: 'vaultSpend';
      /**
       * `me` proposes (the site asks in this wallet's name); `policyText` says who can spend,
       * members by the user's names for them (absent in requests queued by older versions).
       */
      vault: DappVault & { me: number; policyText?: string };
      payments: { address?: string; sats: string }[];
      change: string;
      fee: string;
      inputTotal: string;
      memo?: string;
    }
  | { kind: 'vaultInvite'; members: number; label: string };

export interface ApprovalView extends PendingRequest {
  details: ApprovalDetails;
}

export interface DappMethodResults {
  lotus_requestAccounts: string[];
  lotus_accounts: string[];
  lotus_getNetwork: { network: string };
  lotus_getBalance: Balance;
  lotus_signMessage: SignedMessageResult;
  lotus_sendTransfer: { txid: string };
  lotus_getVaults: DappVault[];
  lotus_requestVaultSpend: VaultSpendResult;
  lotus_getSession: SessionInfo;
  lotus_createVaultInvite: { code: string; expiresAt: number };
  wallet_requestPermissions: Eip2255Permission[];
  wallet_getPermissions: Eip2255Permission[];
  wallet_revokePermissions: null;
  petal_approvalList: ApprovalView[];
  petal_approvalResolve: { ok: true };
  petal_siteList: PermissionGrant[];
  petal_siteRevoke: { ok: true };
}
