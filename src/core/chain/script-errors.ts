/**
 * lotusd's words for a failing script, so Petal (the wallet and the devnet) reports a rejected
 * input exactly as a Lotus node would: `mandatory-script-verify-flag-failed (<message>)`.
 *
 * The verifier's reason codes (`verifyTransaction(...).reason`) are lotusd's ScriptError enum
 * names (script/script_error.h:11-115), with one historical spelling: Petal's `NULLFAIL` is
 * lotusd's `SIG_NULLFAIL`. Codes with no lotusd counterpart (`UNSUPPORTED`,
 * `MISSING_SPENT_OUTPUTS`, `UNKNOWN_ERROR`) and CheckTransaction's `bad-txns-*` reject reasons
 * (already the node's strings) have no script error message.
 */

/** ScriptErrorString, lotusd script/script_error.cpp:10-139, keyed by ScriptError enum name. */
export const LOTUSD_SCRIPT_ERROR_STRINGS = {
  OK: 'No error',
  UNKNOWN: 'unknown error',
  EVAL_FALSE: 'Script evaluated without error but finished with a false/empty top stack element',
  VERIFY: 'Script failed an OP_VERIFY operation',
  EQUALVERIFY: 'Script failed an OP_EQUALVERIFY operation',
  CHECKMULTISIGVERIFY: 'Script failed an OP_CHECKMULTISIGVERIFY operation',
  CHECKSIGVERIFY: 'Script failed an OP_CHECKSIGVERIFY operation',
  CHECKDATASIGVERIFY: 'Script failed an OP_CHECKDATASIGVERIFY operation',
  NUMEQUALVERIFY: 'Script failed an OP_NUMEQUALVERIFY operation',
  SCRIPT_SIZE: 'Script is too big',
  PUSH_SIZE: 'Push value size limit exceeded',
  OP_COUNT: 'Operation limit exceeded',
  STACK_SIZE: 'Stack size limit exceeded',
  SIG_COUNT: 'Signature count negative or greater than pubkey count',
  PUBKEY_COUNT: 'Pubkey count negative or limit exceeded',
  INPUT_SIGCHECKS: 'Input SigChecks limit exceeded',
  INVALID_OPERAND_SIZE: 'Invalid operand size',
  INVALID_NUMBER_RANGE:
    'Given operand is not a number within the valid range [-2^63 + 1...2^63 - 1]',
  IMPOSSIBLE_ENCODING: 'The requested encoding is impossible to satisfy',
  INVALID_SPLIT_RANGE: 'Invalid OP_SPLIT range',
  INVALID_BIT_COUNT: 'Invalid number of bit set in OP_CHECKMULTISIG',
  BAD_OPCODE: 'Opcode missing or not understood',
  DISABLED_OPCODE: 'Attempted to use a disabled opcode',
  INVALID_STACK_OPERATION: 'Operation not valid with the current stack size',
  INVALID_ALTSTACK_OPERATION: 'Operation not valid with the current altstack size',
  OP_RETURN: 'OP_RETURN was encountered',
  UNBALANCED_CONDITIONAL: 'Invalid OP_IF construction',
  DIV_BY_ZERO: 'Division by zero error',
  MOD_BY_ZERO: 'Modulo by zero error',
  INVALID_BITFIELD_SIZE: 'Bitfield of unexpected size error',
  INVALID_BIT_RANGE: "Bitfield's bit out of the expected range",
  NEGATIVE_LOCKTIME: 'Negative locktime',
  UNSATISFIED_LOCKTIME: 'Locktime requirement not satisfied',
  SIG_HASHTYPE: 'Signature hash type missing or not understood',
  SIG_DER: 'Non-canonical DER signature',
  MINIMALDATA: 'Data push larger than necessary',
  SIG_PUSHONLY: 'Only push operators allowed in signatures',
  SIG_HIGH_S: 'Non-canonical signature: S value is unnecessarily high',
  MINIMALIF: 'OP_IF/NOTIF argument must be minimal',
  SIG_NULLFAIL: 'Signature must be zero for failed CHECK(MULTI)SIG operation',
  SIG_BADLENGTH: 'Signature cannot be 65 bytes in CHECKMULTISIG',
  SIG_NONSCHNORR: 'Only Schnorr signatures allowed in this operation',
  DISCOURAGE_UPGRADABLE_NOPS: 'NOPx reserved for soft-fork upgrades',
  PUBKEYTYPE: 'Public key is neither compressed or uncompressed',
  CLEANSTACK: 'Stack size must be exactly one after execution',
  ILLEGAL_FORKID: 'Illegal use of SIGHASH_FORKID',
  MUST_USE_FORKID: 'Signature must use SIGHASH_FORKID or SIGHASH_LOTUS',
  INVALID_NUM2BIN_SIZE: 'OP_NUM2BIN size limit exceeded',
  SIGCHECKS_LIMIT_EXCEEDED: 'Validation resources exceeded (SigChecks)',
  INVALID_OP_SCRIPTTYPE: 'Marker opcode OP_SCRIPTTYPE cannot be executed',
  SCRIPTTYPE_INVALID_TYPE: 'Script type specified after OP_SCRIPTTYPE is invalid',
  SCRIPTTYPE_MALFORMED_SCRIPT: 'Malformed OP_SCRIPTTYPE script',
  TAPROOT_KEY_SPEND_MUST_USE_LOTUS_SIGHASH: 'Taproot key spend signatures must use SIGHASH_LOTUS',
  TAPROOT_KEY_SPEND_MUST_USE_SCHNORR_SIG: 'Taproot key spend signature must be Schnorr',
  TAPROOT_VERIFY_SIGNATURE_FAILED: 'Invalid Taproot key spend signature',
  TAPROOT_ANNEX_NOT_SUPPORTED: 'BIP341-style taproot annex (0x50) not supported',
  TAPROOT_WRONG_CONTROL_SIZE: 'Control block needs to be of length 33 + 32n',
  TAPROOT_VERIFY_COMMITMENT_FAILED: 'Taproot control does not verify the script',
  TAPROOT_LEAF_VERSION_NOT_SUPPORTED: 'Unsupported taproot script leaf version',
  TAPROOT_PHASEOUT: 'Taproot is being phased out',
} as const;

/** A lotusd ScriptError enum name. */
export type LotusdScriptError = keyof typeof LOTUSD_SCRIPT_ERROR_STRINGS;

/** Petal reason codes spelled differently from lotusd's enum name. */
const PETAL_ALIASES: Readonly<Record<string, LotusdScriptError>> = { NULLFAIL: 'SIG_NULLFAIL' };

/**
 * Flags lotusd checks only for relay, never in blocks (STANDARD_NOT_MANDATORY_VERIFY_FLAGS,
 * policy/policy.h:64-86). MINIMALIF is in neither set, so a node does not enforce it at all;
 * Petal refuses non-minimal IF arguments as its own policy and reports them in the same form.
 */
const NON_MANDATORY: ReadonlySet<LotusdScriptError> = new Set<LotusdScriptError>([
  'DISCOURAGE_UPGRADABLE_NOPS',
  'INPUT_SIGCHECKS',
  'MINIMALIF',
]);

/**
 * The lotusd ScriptError a Petal reason code stands for, or undefined when lotusd has none.
 * @example lotusdScriptError('NULLFAIL') // 'SIG_NULLFAIL'
 *          lotusdScriptError('TAPROOT_WRONG_CONTROL_SIZE') // 'TAPROOT_WRONG_CONTROL_SIZE'
 *          lotusdScriptError('UNSUPPORTED') // undefined
 */
export function lotusdScriptError(reason: string): LotusdScriptError | undefined {
  const alias = PETAL_ALIASES[reason];
  if (alias) return alias;
  return Object.hasOwn(LOTUSD_SCRIPT_ERROR_STRINGS, reason)
    ? (reason as LotusdScriptError)
    : undefined;
}

/**
 * lotusd's ScriptErrorString for a Petal reason code, or undefined when lotusd has none.
 * @example scriptErrorString('NULLFAIL')
 *          // 'Signature must be zero for failed CHECK(MULTI)SIG operation'
 */
export function scriptErrorString(reason: string): string | undefined {
  const error = lotusdScriptError(reason);
  return error && LOTUSD_SCRIPT_ERROR_STRINGS[error];
}

/**
 * The reject reason a node gives for a transaction whose input script fails with `reason`
 * (CheckInputScripts, validation.cpp:1293-1329), or undefined when lotusd has no such error. A
 * relay-only failure is `non-mandatory-…` when the script passes without that flag, which is the
 * case for every script Petal builds (otherwise the node reports the consensus failure).
 * @example scriptRejectReason('PUSH_SIZE')
 *          // 'mandatory-script-verify-flag-failed (Push value size limit exceeded)'
 *          scriptRejectReason('DISCOURAGE_UPGRADABLE_NOPS')
 *          // 'non-mandatory-script-verify-flag (NOPx reserved for soft-fork upgrades)'
 */
export function scriptRejectReason(reason: string): string | undefined {
  const error = lotusdScriptError(reason);
  if (!error) return undefined;
  const message = LOTUSD_SCRIPT_ERROR_STRINGS[error];
  return NON_MANDATORY.has(error)
    ? `non-mandatory-script-verify-flag (${message})`
    : `mandatory-script-verify-flag-failed (${message})`;
}
