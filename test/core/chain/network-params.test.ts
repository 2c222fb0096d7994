/**
 * Pins every network constant to lotusd v11.4.14 (paths under lotusd `src/`). Each expectation is
 * a literal read from the node's source, so a change to the table must be a change to the node.
 */
import { describe, expect, it } from 'vitest';
import { hash160 } from '../../../src/core/crypto/hash.ts';
import { getPublicKey, tweakPublicKey } from '../../../src/core/crypto/index.ts';
import {
  NETWORKS,
  RELAY_POLICY,
  mainnet,
  networkByChar,
  regtest,
  replayProtectionActive,
  testnet,
} from '../../../src/core/chain/network.ts';
import {
  MAX_OP_RETURN_OUTPUTS,
  MAX_OP_RETURN_SCRIPT,
  MAX_STANDARD_TX_SIZE,
  MIN_RELAY_FEE_PER_BYTE,
  MIN_TX_SIZE,
  STANDARD_VERSIONS,
  dustThreshold,
  feeAtRate,
  minRelayFee,
} from '../../../src/core/chain/policy.ts';
import { opReturnScript, p2pkhScript, taprootScript } from '../../../src/core/chain/templates.ts';

const pub = getPublicKey(new Uint8Array(32).fill(3));

describe('replay-protection activation (validation.cpp:292-296, default secondKingsActivationTime)', () => {
  it('mainnet: chainparams.cpp:128 secondKingsActivationTime = 1798074180', () => {
    expect(mainnet.replayProtectionActivationTime).toBe(1798074180);
    expect(new Date(1798074180 * 1000).toISOString()).toBe('2026-12-24T01:03:00.000Z');
  });

  it('testnet: chainparams.cpp:253,294-296 mainnet − testnetActivationOffset (21 days)', () => {
    expect(testnet.replayProtectionActivationTime).toBe(1798074180 - 21 * 24 * 3600);
    expect(testnet.replayProtectionActivationTime).toBe(1796259780);
  });

  it('regtest: chainparams.cpp:394,427-428 the same as mainnet, not testnet', () => {
    expect(regtest.replayProtectionActivationTime).toBe(1798074180);
    expect(regtest.replayProtectionActivationTime).toBe(mainnet.replayProtectionActivationTime);
    expect(regtest.replayProtectionActivationTime).not.toBe(testnet.replayProtectionActivationTime);
  });

  it('switches on when the median time past reaches it (validation.cpp:294 `>=`)', () => {
    expect(replayProtectionActive(regtest, 1798074179)).toBe(false);
    expect(replayProtectionActive(regtest, 1798074180)).toBe(true);
    expect(replayProtectionActive(testnet, 1796259779)).toBe(false);
    expect(replayProtectionActive(testnet, 1796259780)).toBe(true);
  });
});

describe('addresses and keys', () => {
  it('XAddress network characters: addresses/xaddress.h:21-23', () => {
    expect(mainnet.addressChar).toBe('_');
    expect(testnet.addressChar).toBe('T');
    expect(regtest.addressChar).toBe('R');
    expect(networkByChar('_')).toBe(mainnet);
    expect(networkByChar('T')).toBe(testnet);
    expect(networkByChar('R')).toBe(regtest);
    expect(networkByChar('U')).toBeUndefined(); // xaddress.h:24 UNKNOWN
  });

  it('mainnet base58 versions: chainparams.cpp:178-180 (0, 5, 128)', () => {
    expect(mainnet.legacy).toEqual({ p2pkh: 0, p2sh: 5, wif: 128 });
  });

  it('testnet base58 versions: chainparams.cpp:333-335 (111, 196, 239)', () => {
    expect(testnet.legacy).toEqual({ p2pkh: 111, p2sh: 196, wif: 239 });
  });

  it('regtest base58 versions: chainparams.cpp:471-473 (111, 196, 239)', () => {
    expect(regtest.legacy).toEqual({ p2pkh: 111, p2sh: 196, wif: 239 });
  });

  it('mainnet BIP32 versions: chainparams.cpp:181-182 (04 88 B2 1E, 04 88 AD E4)', () => {
    expect(mainnet.bip32).toEqual({ public: 0x0488b21e, private: 0x0488ade4 });
  });

  it('testnet BIP32 versions: chainparams.cpp:336-337 (04 35 87 CF, 04 35 83 94)', () => {
    expect(testnet.bip32).toEqual({ public: 0x043587cf, private: 0x04358394 });
  });

  it('regtest BIP32 versions: chainparams.cpp:474-475 (04 35 87 CF, 04 35 83 94)', () => {
    expect(regtest.bip32).toEqual({ public: 0x043587cf, private: 0x04358394 });
  });

  it('fork value 0 on every network: script/sighashtype.h:61,97', () => {
    expect([mainnet.forkValue, testnet.forkValue, regtest.forkValue]).toEqual([0, 0, 0]);
  });

  it('has exactly the three networks of chainparams.cpp:488-503', () => {
    expect(Object.keys(NETWORKS)).toEqual(['mainnet', 'testnet', 'regtest']);
    expect(NETWORKS.regtest).toBe(regtest);
  });
});

describe('relay policy (lotusd defaults, the same on every network)', () => {
  it('dust relay fee: policy/policy.h:57 DUST_RELAY_TX_FEE = 1000 sats/kB', () => {
    expect(RELAY_POLICY.dustRelayFeePerKb).toBe(1000n);
  });

  it('dust spend input: policy/policy.cpp:29 32 + 4 + 1 + 107 + 4 = 148 bytes, × 3 (policy.cpp:31)', () => {
    expect(RELAY_POLICY.dustSpendInputBytes).toBe(148);
    expect(RELAY_POLICY.dustFeeMultiple).toBe(3n);
  });

  it('dust thresholds (policy/policy.cpp:14-32): P2PKH 546, Taproot 579, with state 678', () => {
    // 3 × (8 + 1 + 25 + 148), 3 × (8 + 1 + 36 + 148), 3 × (8 + 1 + 69 + 148)
    expect(dustThreshold({ script: p2pkhScript(hash160(pub)) })).toBe(546n);
    expect(dustThreshold({ script: taprootScript(tweakPublicKey(pub)) })).toBe(579n);
    expect(dustThreshold({ script: taprootScript(tweakPublicKey(pub), new Uint8Array(32)) })).toBe(
      678n,
    );
  });

  it('no dust limit for unspendable outputs: script/script.h:650-653 (policy.cpp:22-24)', () => {
    expect(dustThreshold({ script: opReturnScript([new Uint8Array(80)]) })).toBe(0n);
    expect(dustThreshold({ script: Uint8Array.of(0x6a, 0xff) })).toBe(0n); // OP_RETURN + junk
    expect(dustThreshold({ script: new Uint8Array(10_001).fill(0x51) })).toBe(0n);
    expect(RELAY_POLICY.maxScriptSize).toBe(10_000); // script/script.h:32
  });

  it('min relay fee: validation.h:70 1000 sats/kB = 1 sat per byte (feerate.cpp:36)', () => {
    expect(RELAY_POLICY.minRelayFeePerKb).toBe(1000n);
    expect(MIN_RELAY_FEE_PER_BYTE).toBe(1n);
    expect(minRelayFee(151)).toBe(151n);
    expect(minRelayFee(100_000)).toBe(100_000n);
  });

  it('CFeeRate::GetFee truncates but never rounds a positive rate to zero (feerate.cpp:36-46)', () => {
    expect(feeAtRate(1000n, 0)).toBe(0n);
    expect(feeAtRate(1000n, 1)).toBe(1n);
    expect(feeAtRate(1n, 999)).toBe(1n);
    expect(feeAtRate(1500n, 3)).toBe(4n);
  });

  it('MAX_STANDARD_TX_SIZE: policy/policy.h:33 = 100000', () => {
    expect(MAX_STANDARD_TX_SIZE).toBe(100_000);
  });

  it('MIN_TX_SIZE: consensus/consensus.h:17 = 100', () => {
    expect(MIN_TX_SIZE).toBe(100);
  });

  it('MAX_OP_RETURN_RELAY: script/standard.h:77 = 223 bytes of script', () => {
    expect(MAX_OP_RETURN_SCRIPT).toBe(223);
  });

  it('at most 3 OP_RETURN outputs: policy/policy.cpp:114-118', () => {
    expect(MAX_OP_RETURN_OUTPUTS).toBe(3);
  });

  it('standard versions 1..MAX_STANDARD_VERSION: policy.cpp:71, primitives/transaction.h:203', () => {
    expect(STANDARD_VERSIONS).toEqual([1, 2]);
  });
});
