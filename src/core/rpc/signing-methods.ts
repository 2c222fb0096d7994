import * as v from 'valibot';
import type { SessionView } from '../p2p/session.ts';

const Hex = (max: number) => v.pipe(v.string(), v.regex(/^([0-9a-f]{2})*$/), v.maxLength(max));
const SessionId = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const VaultId = SessionId;
const Sats = v.pipe(v.string(), v.regex(/^[1-9]\d{0,17}$/));
const Code = v.pipe(v.string(), v.minLength(10), v.maxLength(1000));
/** A frame on the wire is at most ~64 KiB of envelope; hex doubles it. */
const FRAME_HEX = 2 * 70 * 1024;

/**
 * Vault signing, between extension pages and the background (which holds the keys and runs the
 * protocol), and the P2P bridge between the background and the network host (offscreen document
 * or Firefox background page), which moves sealed frames and never sees a key.
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
    }),
  },
  /** Creates an invite (this wallet is the vault's creator and first member). */
  petal_vaultInviteCreate: {
    target: 'background',
    params: v.strictObject({
      members: v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(100)),
      label: v.optional(v.pipe(v.string(), v.maxLength(64))),
    }),
  },
  petal_vaultInviteJoin: {
    target: 'background',
    params: v.strictObject({ invite: Code }),
  },
  petal_vaultInviteAssemble: {
    target: 'background',
    params: v.strictObject({ invite: Code, joins: v.pipe(v.array(Code), v.maxLength(99)) }),
  },
  petal_vaultDetails: { target: 'background', params: v.strictObject({ id: VaultId }) },
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

export interface VaultInfo {
  id: string;
  label: string;
  address: string;
  members: number;
  me: number;
  descriptor: string;
}

export interface VaultDetails extends VaultInfo {
  memberKeys: string[];
  /** Per member: connected now (true/false), or unknown until it takes part in a session. */
  online: (boolean | undefined)[];
  /** Sats at the vault's address; absent while the indexer cannot be reached. */
  balance?: string;
  sessions: SessionInfo[];
}

/** A SessionView with amounts as decimal strings (runtime messages carry JSON, not bigint). */
export type SessionInfo = Omit<SessionView, 'summary'> & {
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

export function sessionInfo(view: SessionView): SessionInfo {
  return { ...view, summary: summaryInfo(view.summary) };
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
  petal_vaultInviteCreate: { code: string; expiresAt: number };
  petal_vaultInviteJoin: { join: string; label: string; members: number };
  petal_vaultInviteAssemble: VaultInfo;
  petal_vaultDetails: VaultDetails;
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
