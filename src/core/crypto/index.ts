/**
 * Petal's Lotus cryptography: Schnorr (Lotus/BCH-2019 variant), ECDSA for legacy inputs,
 * Taproot with 33-byte keys, and MuSig2 as deployed on Lotus with fresh nonces.
 */
export {
  CryptoError,
  InvalidContributionError,
  InvalidInputError,
  NonceReuseError,
} from './errors.ts';
export type { Contribution } from './errors.ts';
export { hash160, sha256, sha256d, taggedHash } from './hash.ts';
export {
  getPublicKey,
  schnorrChallenge,
  schnorrSign,
  schnorrSignRfc6979,
  schnorrVerify,
} from './schnorr.ts';
export { ecdsaSign, ecdsaVerify } from './ecdsa.ts';
export {
  KEY_ONLY_MERKLE_ROOT,
  addScalar,
  TAPROOT_LEAF_TAPSCRIPT,
  buildScriptTree,
  controlBlock,
  tapBranchHash,
  tapLeafHash,
  tapTweakHash,
  tweakPublicKey,
  tweakSecretKey,
  verifyTaprootCommitment,
} from './taproot.ts';
export type { TapLeafInfo, TapLeafInput, TapTree } from './taproot.ts';
export {
  KeyAggContext,
  SecretNonce,
  applyTaprootTweak,
  applyTweak,
  keyAgg,
  keySort,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  partialSigVerify,
  partialSigsVerify,
  sign,
} from './musig2.ts';
export type { NonceGenInput, PartialToVerify } from './musig2.ts';
export { SigningKey } from './signing-key.ts';
export type { SecretKey } from './signing-key.ts';
export { BIP340, LOTUS } from './musig-scheme.ts';
export type { MuSigScheme } from './musig-scheme.ts';
