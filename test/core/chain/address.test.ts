import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  decodeAddress,
  decodeLegacyAddress,
  decodeWif,
  encodeAddress,
  encodeWif,
} from '../../../src/core/chain/address.ts';
import {
  NETWORKS,
  type NetworkParams,
  mainnet,
  regtest,
  testnet,
} from '../../../src/core/chain/network.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

interface EncodeRow {
  network: string;
  type: string;
  script: string;
  address: string;
  type_byte: number;
  payload: string;
}
const x = loadVectors<{
  encode: EncodeRow[];
  decode_invalid: { name: string; address: string; lotusd_decode: string }[];
  legacy_checksum: { address: string; payload: string };
}>('generated/xaddress.json');
const misc = loadVectors<{
  xaddress: { address: string; network: string; type: number; payload: string }[];
}>('lotusd-extracted/misc.json');
const byName: Record<string, NetworkParams> = { livenet: mainnet, mainnet, testnet, regtest };

describe('XAddress', () => {
  it.each(x.encode)('encodes and decodes $type on $network: $address', (row) => {
    const network = byName[row.network] as NetworkParams;
    expect(encodeAddress(hexToBytes(row.script), network)).toBe(row.address);
    const decoded = decodeAddress(row.address, network);
    expect(bytesToHex(decoded.script)).toBe(row.script);
    expect(decoded.type).toBe(row.type_byte);
    expect(bytesToHex(decoded.payload)).toBe(row.payload);
  });

  it.each(x.decode_invalid)('refuses $name', (row) => {
    expect(() => decodeAddress(row.address)).toThrow(
      expect.objectContaining({ name: 'AddressError' }),
    );
  });

  it("accepts lotusd's legacy checksum when decoding, never when encoding", () => {
    const decoded = decodeAddress(x.legacy_checksum.address, mainnet);
    expect(bytesToHex(decoded.payload)).toBe(x.legacy_checksum.payload);
    expect(encodeAddress(decoded.script, mainnet)).not.toBe(x.legacy_checksum.address);
  });

  it.each(misc.xaddress)("decodes lotusd's test address $address", (row) => {
    const decoded = decodeAddress(row.address);
    expect(decoded.network.addressChar).toBe(row.network);
    expect(decoded.type).toBe(row.type);
    expect(bytesToHex(decoded.payload)).toBe(row.payload);
  });

  it('refuses an address for the wrong network with a clear reason', () => {
    const mainnetAddr = (x.encode.find((r) => r.network === 'livenet') as EncodeRow).address;
    expect(() => decodeAddress(mainnetAddr, regtest)).toThrow(/mainnet, not regtest/);
  });
});

type KeyIoRow = [
  string,
  string,
  { isPrivkey: boolean; chain: 'main' | 'test' | 'regtest'; isCompressed?: boolean },
];
const chains = { main: mainnet, test: testnet, regtest } as const;

describe('legacy base58 addresses and WIF (lotusd key_io)', () => {
  const valid = loadVectors<unknown[]>('lotusd/key_io_valid.json').filter(
    (r): r is KeyIoRow => Array.isArray(r) && r.length === 3,
  );

  it.each(valid)('decodes %s', (encoded, payload, meta) => {
    const network = chains[meta.chain];
    if (meta.isPrivkey) {
      const { secKey, compressed } = decodeWif(encoded, network);
      expect(bytesToHex(secKey)).toBe(payload);
      expect(compressed).toBe(Boolean(meta.isCompressed));
      expect(encodeWif(secKey, network, compressed)).toBe(encoded);
    } else {
      expect(bytesToHex(decodeLegacyAddress(encoded, network))).toBe(payload);
    }
  });

  it('refuses every key_io_invalid string as an address and as a key, on every network', () => {
    const invalid = loadVectors<unknown[]>('lotusd/key_io_invalid.json').filter(
      (r): r is [string] => Array.isArray(r) && r.length === 1,
    );
    for (const [encoded] of invalid) {
      for (const network of Object.values(NETWORKS)) {
        expect(() => decodeLegacyAddress(encoded, network)).toThrow(
          expect.objectContaining({ name: 'AddressError' }),
        );
        expect(() => decodeWif(encoded, network)).toThrow(
          expect.objectContaining({ name: 'AddressError' }),
        );
      }
    }
  });
});
