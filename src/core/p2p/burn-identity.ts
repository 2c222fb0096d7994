/**
 * Burn-based identity, which a vault may require of its members: a transaction output that burns
 * XPI (an OP_RETURN output with value) and names the member's vault key. It costs an attacker
 * real coins per identity, is checked against the chain, and is bound to the key that signs the
 * member's approvals, so it cannot be borrowed.
 *
 *   script = OP_RETURN push("PETALID" ‖ u8 version (1) ‖ 33-byte member key)
 */
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { OP } from '../chain/opcodes.ts';
import { parseScript, pushData } from '../chain/script.ts';
import type { BurnRequirement } from '../wallet/vault.ts';
import type { ChainReader } from './chain.ts';
import type { BurnProof } from './messages.ts';

const MAGIC = utf8ToBytes('PETALID');
const VERSION = 1;

export function burnIdentityScript(memberKey: Uint8Array): Uint8Array {
  if (memberKey.length !== 33) throw new TypeError('member key must be 33 bytes');
  return concatBytes(
    Uint8Array.of(OP.OP_RETURN),
    pushData(concatBytes(MAGIC, Uint8Array.of(VERSION), memberKey)),
  );
}

/** The member key a burn output names, or undefined if the script is not a Petal identity burn. */
export function parseBurnIdentity(script: Uint8Array): Uint8Array | undefined {
  try {
    const chunks = parseScript(script);
    const data = chunks[1]?.data;
    if (chunks.length !== 2 || chunks[0]?.opcode !== OP.OP_RETURN || !data) return undefined;
    if (data.length !== MAGIC.length + 1 + 33) return undefined;
    if (!MAGIC.every((b, i) => data[i] === b) || data[MAGIC.length] !== VERSION) return undefined;
    return data.slice(MAGIC.length + 1);
  } catch {
    return undefined;
  }
}

export type BurnCheck =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'not-found' | 'wrong-key' | 'too-small' | 'unconfirmed' };

/** Checks a member's burn proof against the chain and the vault's requirement. */
export async function verifyBurnProof(
  reader: ChainReader,
  proof: BurnProof | undefined,
  memberKey: Uint8Array,
  requirement: BurnRequirement,
  signal?: AbortSignal,
): Promise<BurnCheck> {
  if (!proof) return { ok: false, reason: 'missing' };
  const txid = bytesToHex(proof.txid.slice().reverse());
  const output = await reader.getOutput(txid, proof.vout, signal);
  if (!output) return { ok: false, reason: 'not-found' };
  const named = parseBurnIdentity(output.script);
  if (!named || bytesToHex(named) !== bytesToHex(memberKey))
    return { ok: false, reason: 'wrong-key' };
  if (output.value < requirement.minSats) return { ok: false, reason: 'too-small' };
  if (output.confirmations < requirement.minConfirmations)
    return { ok: false, reason: 'unconfirmed' };
  return { ok: true };
}
