import { describe, expect, it } from 'vitest';
import {
  LOTUSD_SCRIPT_ERROR_STRINGS,
  lotusdScriptError,
  scriptErrorString,
  scriptRejectReason,
} from '../../../src/core/chain/script-errors.ts';

describe('lotusd script error strings', () => {
  it('maps Petal’s NULLFAIL to lotusd’s SIG_NULLFAIL', () => {
    expect(lotusdScriptError('NULLFAIL')).toBe('SIG_NULLFAIL');
    expect(scriptErrorString('NULLFAIL')).toBe(
      'Signature must be zero for failed CHECK(MULTI)SIG operation',
    );
  });

  it('keeps every lotusd enum name as its own code', () => {
    for (const [name, message] of Object.entries(LOTUSD_SCRIPT_ERROR_STRINGS))
      expect(scriptErrorString(name)).toBe(message);
  });

  it('has no message for Petal-only codes and CheckTransaction rejects', () => {
    for (const code of [
      'UNSUPPORTED',
      'MISSING_SPENT_OUTPUTS',
      'UNKNOWN_ERROR',
      'bad-txns-vin-empty',
    ])
      expect(scriptRejectReason(code)).toBeUndefined();
    expect(scriptErrorString('toString')).toBeUndefined();
  });

  it('words the reject reason as the node does, mandatory or not', () => {
    expect(scriptRejectReason('TAPROOT_WRONG_CONTROL_SIZE')).toBe(
      'mandatory-script-verify-flag-failed (Control block needs to be of length 33 + 32n)',
    );
    expect(scriptRejectReason('DISCOURAGE_UPGRADABLE_NOPS')).toBe(
      'non-mandatory-script-verify-flag (NOPx reserved for soft-fork upgrades)',
    );
  });
});
