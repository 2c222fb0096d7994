/**
 * Every Lotus network constant the wallet relies on, in one table, each with the lotusd v11.4.14
 * line it comes from (paths under lotusd `src/`). A value here that disagrees with the node is a
 * wallet bug: transactions it builds would be signed and then rejected.
 */
export type NetworkName = 'mainnet' | 'testnet' | 'regtest';

export interface NetworkParams {
  name: NetworkName;
  /** The XAddress network character: `lotus_…`, `lotusT…`, `lotusR…`. */
  addressChar: '_' | 'T' | 'R';
  /** Legacy base58check version bytes, for importing old addresses and keys. */
  legacy: { p2pkh: number; p2sh: number; wif: number };
  bip32: { public: number; private: number };
  /**
   * Replay protection (lotusd 11.4.14's kill-switch) activates once the tip's median-time-past
   * reaches this (seconds). A parameter, not a constant: `-replayprotectionactivationtime` or a
   * newer node release may move it (see replay-side.ts).
   */
  replayProtectionActivationTime: number;
  /** The fork value carried in bits 8–31 of every hash type (0 today). */
  forkValue: number;
}

/**
 * chainparams.cpp:128 `secondKingsActivationTime = 1798074180`: 2026-12-24 01:03 UTC (the comment
 * above it in lotusd, "2026-12-21T15:03", does not match the number; the number is what counts).
 */
const MAINNET_SECOND_KINGS = 1798074180;
/** chainparams.cpp:253 `testnetActivationOffset = 21 * 24 * 3600`. */
const TESTNET_ACTIVATION_OFFSET = 21 * 24 * 3600;

/**
 * The per-network table. Replay protection switches on at `-replayprotectionactivationtime`,
 * default the network's `secondKingsActivationTime` (validation.cpp:292-296).
 */
export const NETWORKS: Record<NetworkName, NetworkParams> = {
  mainnet: {
    name: 'mainnet',
    addressChar: '_', // addresses/xaddress.h:21 MAINNET = '_'
    legacy: {
      p2pkh: 0, // chainparams.cpp:178 PUBKEY_ADDRESS
      p2sh: 5, // chainparams.cpp:179 SCRIPT_ADDRESS
      wif: 0x80, // chainparams.cpp:180 SECRET_KEY = 128
    },
    bip32: {
      public: 0x0488b21e, // chainparams.cpp:181 EXT_PUBLIC_KEY
      private: 0x0488ade4, // chainparams.cpp:182 EXT_SECRET_KEY
    },
    replayProtectionActivationTime: MAINNET_SECOND_KINGS, // chainparams.cpp:128
    // script/sighashtype.h:61,97: SigHashType() is SIGHASH_ALL, fork value (bits 8–31) 0; the
    // node's own signers (e.g. rpc/rawtransaction.cpp:1951) use SigHashType().withForkId().
    forkValue: 0,
  },
  testnet: {
    name: 'testnet',
    addressChar: 'T', // addresses/xaddress.h:22 TESTNET = 'T'
    legacy: {
      p2pkh: 111, // chainparams.cpp:333
      p2sh: 196, // chainparams.cpp:334
      wif: 0xef, // chainparams.cpp:335 SECRET_KEY = 239
    },
    bip32: {
      public: 0x043587cf, // chainparams.cpp:336
      private: 0x04358394, // chainparams.cpp:337
    },
    // chainparams.cpp:294-296: mainnet's time less 21 days = 1796259780 (2026-12-03 01:03 UTC).
    replayProtectionActivationTime: MAINNET_SECOND_KINGS - TESTNET_ACTIVATION_OFFSET,
    forkValue: 0, // script/sighashtype.h:61,97 (as mainnet)
  },
  regtest: {
    name: 'regtest',
    addressChar: 'R', // addresses/xaddress.h:23 REGTEST = 'R'
    legacy: {
      p2pkh: 111, // chainparams.cpp:471
      p2sh: 196, // chainparams.cpp:472
      wif: 0xef, // chainparams.cpp:473 SECRET_KEY = 239
    },
    bip32: {
      public: 0x043587cf, // chainparams.cpp:474
      private: 0x04358394, // chainparams.cpp:475
    },
    // chainparams.cpp:394,427-428: "Regtest activation times are the same as mainnet".
    replayProtectionActivationTime: MAINNET_SECOND_KINGS,
    forkValue: 0, // script/sighashtype.h:61,97 (as mainnet)
  },
};

export const mainnet: NetworkParams = NETWORKS.mainnet;
export const testnet: NetworkParams = NETWORKS.testnet;
export const regtest: NetworkParams = NETWORKS.regtest;

/**
 * lotusd's relay policy at its defaults, the same on every network (node settings, not chain
 * parameters). Amounts are in sats: 1 XPI = 1,000,000 sats (amount.h:153-155). With
 * `fRequireStandardConsensus` (validation.cpp:116, on by default) blocks enforce the same
 * standardness, with a zero dust fee (validation.cpp:1849-1852).
 */
export const RELAY_POLICY = {
  /** policy/policy.h:57 DUST_RELAY_TX_FEE(1000 * SATOSHI), per kB (policy/settings.cpp:11). */
  dustRelayFeePerKb: 1000n,
  /** policy/policy.cpp:29: an input spending the output costs 32 + 4 + 1 + 107 + 4 = 148 bytes. */
  dustSpendInputBytes: 148,
  /** policy/policy.cpp:31: dust is an output worth less than 3× the fee to create and spend it. */
  dustFeeMultiple: 3n,
  /** validation.h:70 DEFAULT_MIN_RELAY_TX_FEE_PER_KB(1000 * SATOSHI), checked at validation.cpp:625. */
  minRelayFeePerKb: 1000n,
  /** policy/policy.h:33 MAX_STANDARD_TX_SIZE = 100000 (checked at policy/policy.cpp:81). */
  maxStandardTxSize: 100_000,
  /** consensus/consensus.h:17 MIN_TX_SIZE = 100 (consensus: consensus/tx_verify.cpp:53). */
  minTxSize: 100,
  /** script/standard.h:77 MAX_OP_RETURN_RELAY = 223, the whole script (policy/policy.cpp:59-62). */
  maxOpReturnScript: 223,
  /** policy/policy.cpp:114-118: "max 3 OP_RETURN txout are permitted". */
  maxOpReturnOutputs: 3,
  /** policy/policy.cpp:71 with primitives/transaction.h:203 MAX_STANDARD_VERSION = 2. */
  standardVersions: [1, 2] as readonly number[],
  /** script/script.h:32 MAX_SCRIPT_SIZE = 10000: a longer script is unspendable (script.h:650-653). */
  maxScriptSize: 10_000,
} as const;

export function networkByChar(char: string): NetworkParams | undefined {
  return Object.values(NETWORKS).find((n) => n.addressChar === char);
}

/**
 * Whether replay protection applies to a block/mempool with this median time past: lotusd's
 * `IsReplayProtectionEnabled` (validation.cpp:292-296), `nMedianTimePast >= activation time`.
 */
export function replayProtectionActive(network: NetworkParams, medianTimePast: number): boolean {
  return medianTimePast >= network.replayProtectionActivationTime;
}
