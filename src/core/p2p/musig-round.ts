/**
 * The MuSig2 arithmetic of one signing attempt, with no I/O: nonces for every vault input, the
 * aggregate nonces once every member's are in, this member's partial signatures, verification of
 * another member's, and the final transaction. The session calls these; the network never sees a
 * secret value.
 */
import { concatBytes, randomBytes } from '@noble/hashes/utils.js';
import { type PolicyFlags, verifyTransaction } from '../chain/interpreter.ts';
import { assertStandard } from '../chain/policy.ts';
import { rawPush } from '../chain/script.ts';
import { serializeTx, txid as txidOf } from '../chain/transaction.ts';
import { InvalidContributionError } from '../crypto/errors.ts';
import {
  type KeyAggContext,
  type SecretNonce,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  partialSigsVerify,
  sign,
} from '../crypto/musig2.ts';
import type { SigningKey } from '../crypto/signing-key.ts';
import type { CheckedSpend } from './spend-check.ts';
import { electionCommit, nonceExtraInput } from './transcript.ts';

export interface OwnNonces {
  secNonces: SecretNonce[];
  pubNonces: Uint8Array[];
  /** Election reveal; its commitment goes out with the nonces. */
  reveal: Uint8Array;
  commit: Uint8Array;
}

/** Fresh nonces for every input, bound to the session, attempt, input and the message. */
export function makeNonces(
  ctx: KeyAggContext,
  key: SigningKey,
  checked: CheckedSpend,
  sessionId: Uint8Array,
  attempt: number,
  signerIndex: number,
): OwnNonces {
  const secNonces: SecretNonce[] = [];
  const pubNonces: Uint8Array[] = [];
  checked.sighashes.forEach((message, input) => {
    const { secNonce, pubNonce } = nonceGen({
      secretKey: key,
      publicKey: key.publicKey,
      aggregatePublicKey: ctx.signingPublicKey,
      message,
      extraInput: nonceExtraInput(sessionId, attempt, input),
    });
    secNonces.push(secNonce);
    pubNonces.push(pubNonce);
  });
  const reveal = randomBytes(32);
  return {
    secNonces,
    pubNonces,
    reveal,
    commit: electionCommit(sessionId, attempt, signerIndex, reveal),
  };
}

/** True if every public nonce is two valid points (and there is one per input). */
export function noncesValid(pubNonces: Uint8Array[], inputs: number): boolean {
  if (pubNonces.length !== inputs) return false;
  try {
    for (const p of pubNonces) nonceAgg([p]);
    return true;
  } catch (err) {
    if (err instanceof InvalidContributionError) return false;
    throw err;
  }
}

/** One aggregate nonce per input from every member's public nonces (member order). */
export function aggregateNonces(perMember: Uint8Array[][], inputs: number): Uint8Array[] {
  return Array.from({ length: inputs }, (_, i) =>
    nonceAgg(perMember.map((nonces) => nonces[i] as Uint8Array)),
  );
}

/** This member's partial signature for every input; consumes the secret nonces. */
export function signInputs(
  ctx: KeyAggContext,
  key: SigningKey,
  secNonces: SecretNonce[],
  aggNonces: Uint8Array[],
  checked: CheckedSpend,
): Uint8Array[] {
  return checked.sighashes.map((message, i) =>
    sign(secNonces[i] as SecretNonce, key, ctx, aggNonces[i] as Uint8Array, message),
  );
}

/** One member's contribution to an attempt, as its KeyAgg position, partials and public nonces. */
export interface SignerPartials {
  position: number;
  partialSigs: Uint8Array[];
  pubNonces: Uint8Array[];
}

/**
 * Which of `signers` sent an invalid partial signature: the index in `signers` of the first one
 * whose partial on the earliest failing input does not verify, or -1 if every one verifies.
 * Each input's partials are checked together (`partialSigsVerify`: one weighted equation, a
 * shared doubling chain for the nonce points); only a failing batch is checked partial by
 * partial, so the member named is exactly the one a check on arrival would have named, and
 * every member names the same one.
 */
export function firstInvalidSigner(
  ctx: KeyAggContext,
  signers: readonly SignerPartials[],
  aggNonces: Uint8Array[],
  checked: Pick<CheckedSpend, 'sighashes'>,
): number {
  const inputs = checked.sighashes.length;
  const malformed = signers.findIndex((s) => s.partialSigs.length !== inputs);
  if (malformed >= 0) return malformed;
  for (let i = 0; i < inputs; i++) {
    const bad = partialSigsVerify(
      signers.map((s) => ({
        partialSig: s.partialSigs[i] as Uint8Array,
        pubNonce: s.pubNonces[i] as Uint8Array,
        signerIndex: s.position,
      })),
      ctx,
      aggNonces[i] as Uint8Array,
      checked.sighashes[i] as Uint8Array,
    );
    if (bad >= 0) return bad;
  }
  return -1;
}

/** What a Taproot script-path input carries besides its signature. */
export interface ScriptLeafSpend {
  script: Uint8Array;
  controlBlock: Uint8Array;
}

export interface FinalTx {
  tx: Uint8Array;
  txid: string;
}

/**
 * Aggregates every input's partial signatures (signer order) into a key-path signature, or with
 * `leaf` a script-path one through that leaf, builds the signed transaction and checks it with the local script verifier and lotusd's relay policy
 * before anyone broadcasts.
 * @throws Error naming the input if the result would not be valid on chain; PolicyError (with
 *   lotusd's reason: dust, fee, tx-size, …) if the network would not relay it.
 */
export function finalTransaction(
  ctx: KeyAggContext,
  partialsPerMember: Uint8Array[][],
  aggNonces: Uint8Array[],
  checked: CheckedSpend,
  flags?: PolicyFlags,
  leaf?: ScriptLeafSpend,
): FinalTx {
  const { spend, replay } = checked;
  const byte = spend.hashType & 0xff;
  const tx = {
    ...spend.tx,
    inputs: spend.tx.inputs.map((input, i) => {
      const sig = partialSigAgg(
        partialsPerMember.map((sigs) => sigs[i] as Uint8Array),
        ctx,
        aggNonces[i] as Uint8Array,
        checked.sighashes[i] as Uint8Array,
      );
      const signature = rawPush(concatBytes(sig, Uint8Array.of(byte)));
      // A script-path spend: the signature for the leaf, the leaf, and its control block.
      const scriptSig = leaf
        ? concatBytes(signature, rawPush(leaf.script), rawPush(leaf.controlBlock))
        : signature;
      return { ...input, scriptSig };
    }),
  };
  const result = verifyTransaction(tx, spend.spent, { replay, ...(flags ? { flags } : {}) });
  if (!result.ok)
    throw new Error(`Final transaction fails input ${result.inputIndex}: ${result.message}`);
  // checkSpend already refused these on the estimated size; this is the signed bytes' own word.
  assertStandard(tx, checked.summary.feeSats);
  return { tx: serializeTx(tx), txid: txidOf(tx) };
}
