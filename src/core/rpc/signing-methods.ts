import * as v from 'valibot';
import type { SessionView } from '../p2p/session.ts';
import { VAULT_HISTORY_MAX, type VaultHistoryPage } from '../wallet/vault-history.ts';
import type { TransactionView } from '../wallet/wallet-service.ts';

const Hex = (max: number) => v.pipe(v.string(), v.regex(/^([0-9a-f]{2})*$/), v.maxLength(max));
const SessionId = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const VaultId = SessionId;
const Sats = v.pipe(v.string(), v.regex(/^[1-9]\d{0,17}$/));
const Code = v.pipe(v.string(), v.minLength(10), v.maxLength(1000));
/** A frame on the wire is at most ~64 KiB of envelope; hex doubles it. */
const FRAME_HEX = 2 * 70 * 1024;
const PublicKeyHex = v.pipe(
  v.string(),
  v.regex(/^0[23][0-9a-f]{64}$/, 'a 33-byte public key in hex'),
);
export const InvitePolicyParams = v.strictObject({
  members: v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(100)),
  label: v.optional(v.pipe(v.string(), v.maxLength(64))),
  // Numbers are bounded here only loosely: the wallet's own refusal says what would fit
  // ("needs 2 to 3 signers", "1 to 65,535 blocks (about 91 days)").
  /** Signers needed, 2..members (default: every member). */
  threshold: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100))),
  recovery: v.optional(
    v.strictObject({
      /** Blocks (2 minutes each) after a coin arrives before the recovery keys may spend it. */
      afterBlocks: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(0xffff_ffff)),
      keys: v.pipe(v.array(PublicKeyHex), v.minLength(1), v.maxLength(12)),
      /** Recovery keys needed (default 1). */
      threshold: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(12))),
    }),
  ),
});

/**
 * Vault signing, between extension pages and the background (which holds the wallet and has the
 * protocol run beside the P2P node, runner-methods.ts), and the P2P bridge between the background
 * and the network host (offscreen document or Firefox background page) that vault formation uses,
 * which moves sealed frames.
 */
export const signingMethodSpecs = {
  /** This wallet's vault member key (m/44'/10605'/1'/0/0), to share when forming a vault. */
  petal_vaultMemberKey: { target: 'background', params: v.optional(v.strictObject({})) },
  petal_vaultAdd: {
    target: 'background',
    params: v.strictObject({ descriptor: v.pipe(v.string(), v.minLength(10), v.maxLength(8_000)) }),
  },
  petal_vaultList: { target: 'background', params: v.optional(v.strictObject({})) },
  /** Proposes a spend from a vault (this member approves it by proposing). */
  petal_vaultPropose: {
    target: 'background',
    params: v.strictObject({
      vaultId: VaultId,
      to: v.pipe(v.string(), v.minLength(10), v.maxLength(128)),
      sats: Sats,
      memo: v.optional(v.pipe(v.string(), v.maxLength(200))),
      /** Threshold vaults: how long to wait for every member before k may sign (ms). */
      leafAfterMs: v.optional(
        v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(604_800_000)),
      ),
    }),
  },
  /**
   * Creates an invite (this wallet is the vault's creator and first member): n members, any
   * `threshold` of whom sign (default n), and optionally recovery keys after a relative lock.
   */
  petal_vaultInviteCreate: { target: 'background', params: InvitePolicyParams },
  /** The policy in plain words, or the refusal saying what would fit, before an invite exists. */
  petal_vaultPolicyPreview: { target: 'background', params: InvitePolicyParams },
  petal_vaultInviteJoin: {
    target: 'background',
    params: v.strictObject({ invite: Code }),
  },
  petal_vaultInviteAssemble: {
    target: 'background',
    params: v.strictObject({ invite: Code, joins: v.pipe(v.array(Code), v.maxLength(99)) }),
  },
  petal_vaultDetails: { target: 'background', params: v.strictObject({ id: VaultId }) },
  /**
   * When each of a threshold vault's coins opens to its recovery path, for a member or a recovery
   * key holder. Needs only the unlocked wallet and the indexer, not the P2P node.
   */
  petal_vaultRecoveryStatus: { target: 'background', params: v.strictObject({ id: VaultId }) },
  /**
   * A recovery key holder sweeps the vault's open coins to this wallet's receive address, alone
   * (recovery by one key; the coins must be old enough: RecoveryNotOpenError says when).
   */
  petal_vaultRecover: { target: 'background', params: v.strictObject({ id: VaultId }) },
  /**
   * A vault's `limit` latest receipts and spends (default 50), newest first, and whether there
   * are older ones (read from the indexer; no P2P node needed).
   */
  petal_vaultHistory: {
    target: 'background',
    params: v.strictObject({
      id: VaultId,
      limit: v.optional(
        v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(VAULT_HISTORY_MAX)),
      ),
    }),
  },
  /** One transaction in full from the vault's point of view (its outputs are "mine"). */
  petal_vaultTransaction: {
    target: 'background',
    params: v.strictObject({ id: VaultId, txid: SessionId }),
  },
  petal_sessionList: { target: 'background', params: v.optional(v.strictObject({})) },
  petal_sessionApprove: { target: 'background', params: v.strictObject({ id: SessionId }) },
  petal_sessionDecline: {
    target: 'background',
    params: v.strictObject({
      id: SessionId,
      reason: v.optional(v.pipe(v.string(), v.maxLength(200))),
    }),
  },

  // ——— P2P bridge (background ⇄ network host); frames are sealed, data is hex ———
  petal_p2pSubscribe: {
    target: 'offscreen',
    params: v.strictObject({ topic: v.pipe(v.string(), v.maxLength(128)) }),
  },
  petal_p2pPublish: {
    target: 'offscreen',
    params: v.strictObject({ topic: v.pipe(v.string(), v.maxLength(128)), data: Hex(FRAME_HEX) }),
  },
  petal_p2pSend: {
    target: 'offscreen',
    params: v.strictObject({ peer: v.pipe(v.string(), v.maxLength(128)), data: Hex(FRAME_HEX) }),
  },
  petal_p2pPutRecord: {
    target: 'offscreen',
    params: v.strictObject({
      id: v.pipe(v.string(), v.maxLength(128)),
      payload: Hex(40 * 1024),
      expiresAt: v.number(),
    }),
  },
  petal_p2pGetRecord: {
    target: 'offscreen',
    params: v.strictObject({ id: v.pipe(v.string(), v.maxLength(128)) }),
  },
  /** Keep a live session's members connected (tagged above other peers, redialled). */
  petal_p2pProtect: {
    target: 'offscreen',
    params: v.strictObject({
      sessionId: SessionId,
      peers: v.pipe(v.array(v.pipe(v.string(), v.maxLength(128))), v.maxLength(100)),
    }),
  },
  petal_p2pRelease: { target: 'offscreen', params: v.strictObject({ sessionId: SessionId }) },
  /** The network host hands the background what arrived (a topic message or a direct one). */
  petal_p2pInbound: {
    target: 'background',
    params: v.strictObject({
      topic: v.optional(v.pipe(v.string(), v.maxLength(128))),
      from: v.pipe(v.string(), v.maxLength(128)),
      data: Hex(FRAME_HEX),
    }),
  },
} as const;

/** A vault's spending rule, for the popup and (without key material) for dApps. */
export interface VaultPolicyInfo {
  /** 'n-of-n': every member signs (policy 1, or policy 2 with k = n and a recovery path). */
  policy: 'n-of-n' | 'threshold';
  /** Members needed to sign. */
  threshold: number;
  /** Any `threshold` of `keys` (33-byte hex) may spend after `afterBlocks` blocks. */
  recovery?: { afterBlocks: number; keys: string[]; threshold: number };
}

export interface VaultInfo extends VaultPolicyInfo {
  id: string;
  label: string;
  address: string;
  /** A short code members read to each other: the same vault shows the same code everywhere. */
  fingerprint: string;
  /** The same fingerprint as five words (vault-words.ts), read aloud when the vault is formed. */
  fingerprintWords: string[];
  members: number;
  /**
   * 'member': this wallet signs the vault's spends; 'recovery': it holds one of the recovery keys
   * and may only sweep coins whose recovery path has opened (it takes no part in sessions).
   */
  role: 'member' | 'recovery';
  /** This wallet's member index; -1 for a recovery vault. */
  me: number;
  /** Recovery vaults: the index of this wallet's key in `recovery.keys`. */
  recoveryKey?: number;
  descriptor: string;
  /** The policy in plain words, members named as the popup numbers them ("Member 1 (you)"). */
  policyText: string;
}

/** What an invite proposes, in plain words, for the creator before and the joiner on answering. */
export interface InvitePolicyPreview {
  members: number;
  threshold: number;
  policyText: string;
}

export interface VaultDetails extends VaultInfo {
  memberKeys: string[];
  /** Per member: connected now (true/false), or unknown until it takes part in a session. */
  online: (boolean | undefined)[];
  /** Sats at the vault's address; absent while the indexer cannot be reached. */
  balance?: string;
  sessions: SessionInfo[];
}

/** One coin of a vault against its recovery lock (see `CoinRecoveryStatus`). */
export interface RecoveryCoinInfo {
  txid: string;
  vout: number;
  sats: string;
  /** -1 while unconfirmed. */
  blockHeight: number;
  /** The first block that may include its recovery spend. */
  opensAtHeight: number;
  /** Blocks still to be mined before a node accepts the recovery spend (0 when open). */
  blocksLeft: number;
  open: boolean;
  /** "in 1,204 blocks, about 40 hours", "open now" or "after it confirms". */
  about: string;
}

export interface VaultRecoveryStatus {
  vaultId: string;
  role: 'member' | 'recovery';
  tipHeight: number;
  afterBlocks: number;
  /** Members propose a refresh of a coin once it opens within this many blocks. */
  refreshMarginBlocks: number;
  /** Soonest to open first. */
  coins: RecoveryCoinInfo[];
  totalSats: string;
  /** What a recovery could sweep now (before the fee). */
  openSats: string;
  /** Recovery vaults: whether this wallet can recover alone; `refusal` says why not. */
  canRecover: boolean;
  refusal?: string;
}

export interface VaultRecoveryResult {
  txid: string;
  /** This wallet's receive address, which got the coins. */
  to: string;
  /** What it received. */
  sats: string;
  feeSats: string;
  coins: number;
  /** The replay-protection side the network accepted. */
  replayProtection: boolean;
}

/**
 * A SessionView with amounts as decimal strings (runtime messages carry JSON, not bigint), and the
 * vault's threshold when this wallet knows the vault (so the popup can say who is still needed).
 */
export type SessionInfo = Omit<SessionView, 'summary'> & {
  threshold?: number;
  /** The vault's member public keys (hex) by index, for the wallet's own pages to name members. */
  memberKeys?: string[];
  summary: {
    txid: string;
    inputCount: number;
    inputTotal: string;
    payments: { address?: string; script: string; sats: string; opReturn?: string }[];
    change: string;
    feeSats: string;
    feeRate: number;
  };
};

export function sessionInfo(
  view: SessionView,
  threshold?: number,
  memberKeys?: string[],
): SessionInfo {
  return {
    ...view,
    ...(threshold !== undefined ? { threshold } : {}),
    ...(memberKeys !== undefined ? { memberKeys } : {}),
    summary: summaryInfo(view.summary),
  };
}

export function summaryInfo(summary: SessionView['summary']): SessionInfo['summary'] {
  return {
    txid: summary.txid,
    inputCount: summary.inputCount,
    inputTotal: summary.inputTotal.toString(),
    payments: summary.payments.map((p) => ({ ...p, sats: p.sats.toString() })),
    change: summary.change.toString(),
    feeSats: summary.feeSats.toString(),
    feeRate: summary.feeRate,
  };
}

export interface SigningMethodResults {
  petal_vaultMemberKey: { memberKey: string };
  petal_vaultAdd: VaultInfo;
  petal_vaultList: VaultInfo[];
  petal_vaultPropose: SessionInfo;
  petal_vaultInviteCreate: { code: string; expiresAt: number } & InvitePolicyPreview;
  petal_vaultPolicyPreview: InvitePolicyPreview;
  petal_vaultInviteJoin: { join: string; label: string } & InvitePolicyPreview;
  petal_vaultInviteAssemble: VaultInfo;
  petal_vaultDetails: VaultDetails;
  petal_vaultRecoveryStatus: VaultRecoveryStatus;
  petal_vaultRecover: VaultRecoveryResult;
  petal_vaultHistory: VaultHistoryPage;
  petal_vaultTransaction: TransactionView;
  petal_sessionList: SessionInfo[];
  petal_sessionApprove: SessionInfo;
  petal_sessionDecline: SessionInfo;
  petal_p2pSubscribe: { ok: true };
  petal_p2pPublish: { ok: true };
  petal_p2pSend: { ok: true };
  petal_p2pPutRecord: { ok: true };
  petal_p2pGetRecord: { payload?: string };
  petal_p2pProtect: { ok: true };
  petal_p2pRelease: { ok: true };
  petal_p2pInbound: { ok: true };
}
