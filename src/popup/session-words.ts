/**
 * How the popup names members and explains why a vault session ended, in plain words. The
 * protocol's blame carries the culprit's member index once it is proven with signed evidence.
 */
import type { SessionInfo } from '../core/rpc/index.ts';

export const member = (i: number, me: number) => (i === me ? 'You' : `Member ${i + 1}`);

/** Why a session ended, in plain words, naming the member at fault when the proof names one. */
export function endInWords(s: SessionInfo): string | undefined {
  const end = s.end;
  if (!end) return undefined;
  const who =
    end.culprit === undefined
      ? undefined
      : end.culprit === s.me
        ? 'Your wallet'
        : `${member(end.culprit, s.me)}’s wallet`;
  switch (end.reason) {
    case 'invalidPartialSig':
      return `${who ?? 'A wallet'} sent an invalid signature.`;
    case 'invalidNonce':
      return `${who ?? 'A wallet'} sent an invalid nonce.`;
    case 'equivocation':
      return `${who ?? 'A wallet'} sent different nonces to different members.`;
    case 'badReveal':
      return `${who ?? 'A wallet'} cheated in the broadcaster election.`;
    case 'declined':
      return `The spend was declined: ${end.detail}`;
    case 'expired':
      return 'The proposal expired before it was signed.';
    default:
      return end.detail;
  }
}
