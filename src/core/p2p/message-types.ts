/**
 * The payload types and limits of the protocol's messages (docs/PROTOCOL.md §4); their codecs
 * are in messages.ts, which re-exports everything here.
 */
import { type MessageType } from './envelope.ts';

export const PAYLOAD_VERSION = 1;
/** Serialized UnsignedSpend inside a proposal. */
export const MAX_SPEND_BYTES = 60_000;
export const MAX_MEMO_BYTES = 256;
export const MAX_PEER_ID_BYTES = 128;
/** Vault inputs one session may sign (nonces: 66 bytes each must fit one envelope). */
export const MAX_SESSION_INPUTS = 256;
/**
 * Outputs one session may pay. A wallet's spend is one payment, change and at most one OP_RETURN;
 * 64 leaves room for batched payouts while bounding what a proposal costs every member to check.
 */
export const MAX_SESSION_OUTPUTS = 64;
export const MAX_MEMBERS = 100;
export const MAX_EVIDENCE_ITEMS = MAX_MEMBERS + 2;
export const MAX_DETAIL_BYTES = 200;

export const AbortReason = {
  timeout: 1,
  restarted: 2,
  revoked: 3,
  blame: 4,
  expired: 5,
  user: 6,
  invalidFinal: 7,
  /** A node rejected the attempt's signatures: the next attempt signs for the other side. */
  otherSide: 8,
} as const;
export type AbortReason = (typeof AbortReason)[keyof typeof AbortReason];

export const BlameReason = {
  /** A partial signature that fails PartialSigVerify against the nonce set it commits to. */
  invalidPartialSig: 1,
  /** Two different signed nonce messages from one member for one attempt. */
  equivocation: 2,
  /** A public nonce that is not two points on the curve. */
  invalidNonce: 3,
  /** An election reveal that does not open the member's own commitment. */
  badReveal: 4,
} as const;
export type BlameReason = (typeof BlameReason)[keyof typeof BlameReason];

export interface ProposalPayload {
  createdAt: number;
  expiresAt: number;
  /** The sighash is computed with lotusd's replay protection (kill-switch) active. */
  replayProtection: boolean;
  salt: Uint8Array;
  memo: string;
  /** serializeUnsignedSpend bytes: the full unsigned transaction and the outputs it spends. */
  spend: Uint8Array;
  /**
   * Threshold vaults: from this time (ms) on, if not every member has approved, the proposer may
   * name k approvers to sign through their script leaf. Absent: key path only.
   */
  leafAfter?: number;
}

/** The proposer's choice of signers for a threshold vault's script leaf, from `attempt` on. */
export interface PathPayload {
  attempt: number;
  /** Member indices, ascending: exactly the vault's threshold of them, each one an approver. */
  signers: number[];
}

export interface BurnProof {
  txid: Uint8Array;
  vout: number;
}

export interface ApprovalPayload {
  /** The transport peer this member speaks from; round messages are accepted only from it. */
  peerId: string;
  /** TH("Petal/sighashes", every input's sighash): what the approver computed and saw. */
  sighashDigest: Uint8Array;
  burn?: BurnProof;
  /**
   * The member's public nonces for the session's current attempt, when it knows it signs that
   * attempt: exactly a nonces message's payload (docs/PROTOCOL.md §4.2), so the last approval
   * completes the nonce round.
   */
  nonces?: NoncesPayload;
}

export interface NoncesPayload {
  attempt: number;
  electionCommit: Uint8Array;
  /** One 66-byte public nonce per input, in input order. */
  pubNonces: Uint8Array[];
}

/**
 * Sent only when a partial signature commits to a nonce set other than ours: the signed nonce
 * messages we signed on, so whoever holds a different one from the same signer can prove the
 * equivocation. Large sets travel in several disclosures (each within one envelope).
 */
export interface NonceDisclosurePayload {
  attempt: number;
  /** Signed nonce envelopes (wire bytes), any subset of the attempt's signers. */
  nonces: Uint8Array[];
}

export interface PartialSigsPayload {
  attempt: number;
  /** nonceSetHash (transcript.ts) of the nonce messages the signatures were computed on. */
  nonceSetHash: Uint8Array;
  /** Opens the election commitment of the member's nonce message (docs/PROTOCOL.md §6.6). */
  electionReveal: Uint8Array;
  partialSigs: Uint8Array[];
}

export interface AbortPayload {
  attempt: number;
  reason: AbortReason;
  detail: string;
}

export interface BlamePayload {
  attempt: number;
  culprit: number;
  reason: BlameReason;
  /** Signed envelopes (wire bytes) that prove the accusation; see blame.ts. */
  evidence: Uint8Array[];
}

export interface BroadcastPayload {
  attempt: number;
  /** The fully signed transaction. */
  tx: Uint8Array;
}

export type Payload =
  | { type: typeof MessageType.proposal; body: ProposalPayload }
  | { type: typeof MessageType.approval; body: ApprovalPayload }
  | { type: typeof MessageType.revoke; body: Record<string, never> }
  | { type: typeof MessageType.nonces; body: NoncesPayload }
  | { type: typeof MessageType.nonceDisclosure; body: NonceDisclosurePayload }
  | { type: typeof MessageType.partialSigs; body: PartialSigsPayload }
  | { type: typeof MessageType.abort; body: AbortPayload }
  | { type: typeof MessageType.blame; body: BlamePayload }
  | { type: typeof MessageType.broadcast; body: BroadcastPayload }
  | { type: typeof MessageType.path; body: PathPayload };
