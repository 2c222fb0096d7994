import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { mainnet, regtest, testnet } from '../../../src/core/chain/network.ts';
import { getPublicKey } from '../../../src/core/crypto/index.ts';
import {
  createVault,
  decodeVaultDescriptor,
  encodeVaultDescriptor,
  memberIndex,
  vaultFingerprint,
} from '../../../src/core/wallet/vault.ts';
import {
  assembleVault,
  createInvite,
  createJoin,
  readInvite,
} from '../../../src/core/wallet/vault-invite.ts';
import { loadVectors } from '../../fixtures/vectors.ts';

interface KeyAggCase {
  id: string;
  input_pubkeys: string[];
  taproot_keyonly: {
    commitment: string;
    address: { livenet: string; testnet: string; regtest: string };
  };
}
const cases = loadVectors<{ cases: KeyAggCase[] }>('generated/musig2-keyagg.json').cases.filter(
  (c) => c.input_pubkeys.length >= 2 && new Set(c.input_pubkeys).size === c.input_pubkeys.length,
);
const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));

describe('vaults', () => {
  it.each(cases)('derives the ecosystem vault address for $id on every network', (c) => {
    const keys = c.input_pubkeys.map(hexToBytes);
    expect(createVault(keys, mainnet).address).toBe(c.taproot_keyonly.address.livenet);
    expect(createVault(keys, testnet).address).toBe(c.taproot_keyonly.address.testnet);
    const vault = createVault([...keys].reverse(), regtest);
    expect(vault.address).toBe(c.taproot_keyonly.address.regtest);
    expect(bytesToHex(vault.commitment)).toBe(c.taproot_keyonly.commitment);
  });

  it('round-trips its descriptor, whatever the input order or letter case', () => {
    const keys = [1, 2, 3].map((n) => getPublicKey(secret(n)));
    const vault = createVault(keys, regtest, 'Family treasury');
    const descriptor = encodeVaultDescriptor(vault);
    expect(descriptor.startsWith('petalvault1')).toBe(true);
    for (const text of [descriptor, descriptor.toUpperCase(), ` ${descriptor}\n`]) {
      const decoded = decodeVaultDescriptor(text, regtest);
      expect(decoded.address).toBe(vault.address);
      expect(decoded.id).toBe(vault.id);
      expect(decoded.label).toBe('Family treasury');
    }
    expect(
      encodeVaultDescriptor(createVault([...keys].reverse(), regtest, 'Family treasury')),
    ).toBe(descriptor);
    expect(memberIndex(vault, keys[1] as Uint8Array)).toBe(
      vault.members.findIndex((m) => bytesToHex(m) === bytesToHex(keys[1] as Uint8Array)),
    );
    expect(memberIndex(vault, getPublicKey(secret(9)))).toBe(-1);
    expect(vaultFingerprint(vault)).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
  });

  it('carries a burn-identity requirement in a version-2 descriptor without changing the vault', () => {
    const keys = [1, 2].map((n) => getPublicKey(secret(n)));
    const identity = { minSats: 2_500_000n, minConfirmations: 6 };
    const plain = createVault(keys, regtest, 'Council');
    const strict = createVault(keys, regtest, 'Council', { identity });
    expect(strict.id).toBe(plain.id);
    expect(strict.address).toBe(plain.address);
    const decoded = decodeVaultDescriptor(encodeVaultDescriptor(strict), regtest);
    expect(decoded.identity).toEqual(identity);
    expect(decodeVaultDescriptor(encodeVaultDescriptor(plain), regtest).identity).toBeUndefined();
    expect(() =>
      createVault(keys, regtest, '', { identity: { minSats: -1n, minConfirmations: 0 } }),
    ).toThrow(/burn identity/);
  });

  it('refuses a damaged descriptor, another network, duplicates and too few members', () => {
    const keys = [1, 2].map((n) => getPublicKey(secret(n)));
    const descriptor = encodeVaultDescriptor(createVault(keys, regtest));
    const damaged =
      descriptor.slice(0, 20) + (descriptor[20] === 'q' ? 'p' : 'q') + descriptor.slice(21);
    const expectVaultError = (fn: () => unknown, message?: RegExp) => {
      expect(fn).toThrow(expect.objectContaining({ name: 'VaultError' }));
      if (message) expect(fn).toThrow(message);
    };
    expectVaultError(() => decodeVaultDescriptor(damaged), /damaged/);
    expectVaultError(() => decodeVaultDescriptor(descriptor, mainnet), /regtest, not mainnet/);
    expectVaultError(
      () => createVault([keys[0] as Uint8Array, keys[0] as Uint8Array], regtest),
      /twice/,
    );
    expectVaultError(() => createVault([keys[0] as Uint8Array], regtest));
    expectVaultError(() => createVault([keys[0] as Uint8Array, new Uint8Array(33)], regtest), /#2/);
    expectVaultError(() => decodeVaultDescriptor('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'));
  });
});

describe('forming a vault by invitation', () => {
  const now = 1_800_000_000;

  it('lets three wallets form one vault and confirm the same address and fingerprint', () => {
    const [alice, bob, carol] = [11, 12, 13].map(secret) as [Uint8Array, Uint8Array, Uint8Array];
    const { code } = createInvite(alice, {
      network: regtest,
      memberCount: 3,
      label: 'Council',
      now,
    });
    const seenByBob = readInvite(code, { network: regtest, now: now + 60 });
    const seenByCarol = readInvite(code, { network: regtest, now: now + 60 });
    const joins = [createJoin(seenByBob, bob), createJoin(seenByCarol, carol)];
    const vault = assembleVault(readInvite(code, { now }), joins);
    const descriptor = encodeVaultDescriptor(vault);
    const views = [alice, bob, carol].map((sk) => {
      const v = decodeVaultDescriptor(descriptor, regtest);
      expect(memberIndex(v, getPublicKey(sk))).toBeGreaterThanOrEqual(0);
      return [v.address, vaultFingerprint(v), v.label];
    });
    expect(new Set(views.map((v) => v.join()))).toEqual(
      new Set([[vault.address, vaultFingerprint(vault), 'Council'].join()]),
    );
  });

  it('refuses expired invites, forged invites, joins for other invites, bad join signatures and missing members', () => {
    const [alice, bob] = [21, 22].map(secret) as [Uint8Array, Uint8Array];
    const { code, invite } = createInvite(alice, {
      network: regtest,
      memberCount: 3,
      now,
      ttlSeconds: 3600,
    });
    expect(() => readInvite(code, { now: now + 3601 })).toThrow(/expired/);
    const forged = code.slice(0, 30) + (code[30] === 'q' ? 'p' : 'q') + code.slice(31);
    expect(() => readInvite(forged, { now })).toThrow(
      expect.objectContaining({ name: 'VaultError' }),
    );
    const other = createInvite(alice, { network: regtest, memberCount: 3, now }).invite;
    expect(() => assembleVault(invite, [createJoin(other, bob)])).toThrow(/different invite/);
    expect(() => assembleVault(invite, [createJoin(invite, bob)])).toThrow(/expects 3 members; 2/);
    expect(() => assembleVault(invite, [createJoin(invite, bob), createJoin(invite, bob)])).toThrow(
      /expects 3/,
    );
    expect(() => readInvite(code, { network: mainnet, now })).toThrow(/regtest/);
  });
});
