/** Lotus network parameters (lotusd src/chainparams.cpp). */
export type NetworkName = 'mainnet' | 'testnet' | 'regtest';

export interface NetworkParams {
  name: NetworkName;
  /** The XAddress network character: `lotus_…`, `lotusT…`, `lotusR…`. */
  addressChar: '_' | 'T' | 'R';
  /** Legacy base58check version bytes, for importing old addresses and keys. */
  legacy: { p2pkh: number; p2sh: number; wif: number };
  bip32: { public: number; private: number };
  /**
   * Replay protection (lotusd 11.4.14's kill-switch) activates at this median-time-past (seconds).
   * A parameter, not a constant: a newer node release may move it.
   */
  replayProtectionActivationTime: number;
  /** The fork value carried in bits 8–31 of every hash type (0 today). */
  forkValue: number;
}

export const mainnet: NetworkParams = {
  name: 'mainnet',
  addressChar: '_',
  legacy: { p2pkh: 0, p2sh: 5, wif: 0x80 },
  bip32: { public: 0x0488b21e, private: 0x0488ade4 },
  replayProtectionActivationTime: 1798074180, // 2026-12-24 01:03 UTC
  forkValue: 0,
};

export const testnet: NetworkParams = {
  name: 'testnet',
  addressChar: 'T',
  legacy: { p2pkh: 111, p2sh: 196, wif: 0xef },
  bip32: { public: 0x043587cf, private: 0x04358394 },
  replayProtectionActivationTime: 1798074180 - 21 * 24 * 3600, // 21 days ahead of mainnet
  forkValue: 0,
};

export const regtest: NetworkParams = {
  ...testnet,
  name: 'regtest',
  addressChar: 'R',
};

export const NETWORKS: Record<NetworkName, NetworkParams> = { mainnet, testnet, regtest };

export function networkByChar(char: string): NetworkParams | undefined {
  return Object.values(NETWORKS).find((n) => n.addressChar === char);
}

/** Whether replay protection applies to a block/mempool with this median time past. */
export function replayProtectionActive(network: NetworkParams, medianTimePast: number): boolean {
  return medianTimePast >= network.replayProtectionActivationTime;
}
