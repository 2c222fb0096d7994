import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { serializeUnsignedSpend } from '../../src/core/chain/unsigned-spend.ts';
import { MessageType, sealEnvelope } from '../../src/core/p2p/envelope.ts';
import { encodeProposal } from '../../src/core/p2p/messages.ts';
import { ZERO_TRANSCRIPT, sessionIdOf } from '../../src/core/p2p/transcript.ts';
import type { Group } from './signing-group.ts';

/**
 * A proposal envelope sealed by hand, claiming member 0, signed with `secretKey` (member 0's own,
 * or an outsider's for a forgery): for tests that bend an envelope the service would never send.
 */
export function handSealedProposal(group: Group, memo: string, secretKey: Uint8Array): Uint8Array {
  const vaultId = hexToBytes(group.vault.id);
  const payload = encodeProposal({
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    replayProtection: false,
    salt: randomBytes(32),
    memo,
    spend: serializeUnsignedSpend(group.spend([5_000_000n])),
  });
  return sealEnvelope(
    {
      type: MessageType.proposal,
      vaultId,
      sessionId: sessionIdOf(vaultId, 0, payload),
      signerIndex: 0,
      sequence: 0,
      transcriptHash: ZERO_TRANSCRIPT,
      sentAt: Date.now(),
      payload,
    },
    secretKey,
  );
}
