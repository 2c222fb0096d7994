import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { bech32m } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { regtest } from '../../../src/core/chain/network.ts';
import { getPublicKey, schnorrSign } from '../../../src/core/crypto/index.ts';
import { taggedHash } from '../../../src/core/crypto/hash.ts';
import {
  POLICY_MUSIG2_KEYPATH,
  POLICY_THRESHOLD,
  createVault,
  decodeVaultDescriptor,
  encodeVaultDescriptor,
} from '../../../src/core/wallet/vault.ts';
import {
  MAX_INVITE_RECOVERY_KEYS,
  assembleVault,
  createInvite,
  createJoin,
  describeInvitePolicy,
  readInvite,
} from '../../../src/core/wallet/vault-invite.ts';

const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));
const now = 1_800_000_000;
const [alice, bob, carol, dana] = [41, 42, 43, 44].map(secret) as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
];
const pub = getPublicKey;
const bytesOf = (code: string) =>
  bech32m.fromWords(bech32m.decode(code as `${string}1${string}`, 1000).words);
const codeOf = (bytes: Uint8Array) => bech32m.encode('petalinvite', bech32m.toWords(bytes), 1000);
/** Re-signs an invite payload as its creator would (to build invites the code never writes). */
const signedInvite = (payload: Uint8Array, creator: Uint8Array) =>
  codeOf(concatBytes(payload, schnorrSign(taggedHash('Petal/vault-invite', payload), creator)));

/**
 * Written by Petal before invites carried a policy (version 1): a 3-member "Old club" by
 * secret 31, created at `now` for 7 days, and the join code of secret 32 answering it.
 */
const OLD_INVITE =
  'petalinvite1q9fzm9zegvdxtj6gw3jlw9wxcg3dqqmt2vxgqqn2y3dldhrfs5zv3x3qel0dvzznz54kj5ekc2qx8dsuvh9ay60xksyy7mryyp3kcatzp8a9k9pfpdq5qct0w8hw6atjtm28zcraeajmxpq9rtzlu37waskdpnxlkf4gvykgzllxu09kduwd70g09mle07fgp39kl7h5yqnvnncugx84a';
const OLD_JOIN =
  'petaljoin1qykegk2rrfjukjr5vhm3t3kzytgq85cpn8t5lddz94rmdcz5uteh3nk6el7t3xgy5cwht5xm6sr3g0n9xvawaeqn2qs0a42hx8zehj75ezx9qf7ah4fx22lnn3432pk9kjrquclqvgwtvggr2cnpq9u3lhvnqp34mpptywhzcfy536fdag8h9pca4vv5w';

describe('vault invites carry the policy', () => {
  it('round-trips a 2-of-3 invite with a recovery key into the same vault createVault builds', () => {
    const recovery = { afterBlocks: 21_600, keys: [pub(dana)], threshold: 1 };
    const { code } = createInvite(alice, {
      network: regtest,
      memberCount: 3,
      label: 'Household',
      threshold: 2,
      recovery,
      now,
    });
    expect(bytesOf(code)[0]).toBe(2);
    expect(code.length).toBeLessThanOrEqual(1000);
    const seen = readInvite(code, { network: regtest, now: now + 60 });
    expect(seen).toMatchObject({ memberCount: 3, threshold: 2, label: 'Household' });
    expect(seen.recovery).toEqual(recovery);
    expect(describeInvitePolicy(seen)).toBe(
      'any 2 of Member 1, Member 2 and Member 3; the recovery key alone after 21,600 blocks (about 4 weeks)',
    );

    const vault = assembleVault(seen, [createJoin(seen, bob), createJoin(seen, carol)]);
    const direct = createVault([pub(alice), pub(bob), pub(carol)], regtest, 'Household', {
      threshold: 2,
      recovery,
    });
    expect(vault).toMatchObject({ policy: POLICY_THRESHOLD, threshold: 2, recovery });
    expect([vault.id, vault.address]).toEqual([direct.id, direct.address]);
    // Every member re-derives the same policy from the descriptor.
    expect(decodeVaultDescriptor(encodeVaultDescriptor(vault), regtest).recovery).toEqual(recovery);
  });

  it('writes a k-of-n invite without recovery as version 2, and an n-of-n one as version 1', () => {
    const twoOfThree = createInvite(alice, { network: regtest, memberCount: 3, threshold: 2, now });
    expect(bytesOf(twoOfThree.code)[0]).toBe(2);
    const read = readInvite(twoOfThree.code, { now });
    expect(read.threshold).toBe(2);
    expect(read.recovery).toBeUndefined();
    expect(describeInvitePolicy(read)).toBe('any 2 of Member 1, Member 2 and Member 3');
    // The creator is member 1 of its own invite; a joiner's place comes as it joins.
    expect(describeInvitePolicy(read, { me: 0 })).toBe('any 2 of you, Member 2 and Member 3');
    expect(describeInvitePolicy(read, { me: 1 })).toBe('any 2 of Member 1, you and Member 3');

    for (const options of [{}, { threshold: 3 }]) {
      const { code } = createInvite(alice, { network: regtest, memberCount: 3, now, ...options });
      expect(bytesOf(code)[0]).toBe(1);
      const invite = readInvite(code, { now });
      expect(invite.threshold).toBe(3);
      const vault = assembleVault(invite, [createJoin(invite, bob), createJoin(invite, carol)]);
      expect(vault.policy).toBe(POLICY_MUSIG2_KEYPATH);
    }
  });

  it('still reads an invite and a join code written before invites carried a policy', () => {
    const invite = readInvite(OLD_INVITE, { network: regtest, now });
    expect(invite).toMatchObject({ memberCount: 3, threshold: 3, label: 'Old club' });
    expect(invite.recovery).toBeUndefined();
    expect(describeInvitePolicy(invite)).toBe('all 3 of Member 1, Member 2 and Member 3');
    const vault = assembleVault(invite, [OLD_JOIN, createJoin(invite, carol)]);
    expect(vault.policy).toBe(POLICY_MUSIG2_KEYPATH);
    expect(vault.address).toBe(
      createVault([pub(secret(31)), pub(secret(32)), pub(carol)], regtest).address,
    );
  });

  it('refuses a policy no vault of these members can have, saying what would', () => {
    const invite = (options: object) => () =>
      createInvite(alice, { network: regtest, memberCount: 3, now, ...options });
    const recovery = (r: object) => ({
      recovery: { afterBlocks: 720, keys: [pub(dana)], threshold: 1, ...r },
    });
    expect(invite({ threshold: 1 })).toThrow('needs 2 to 3 signers, not 1');
    expect(invite({ threshold: 4 })).toThrow('needs 2 to 3 signers, not 4');
    expect(invite(recovery({ afterBlocks: 0 }))).toThrow(/1 to 65,535 blocks \(about 91 days/);
    expect(invite(recovery({ afterBlocks: 65_536 }))).toThrow(/not 65536/);
    expect(invite(recovery({ keys: [pub(alice)] }))).toThrow(/creator’s member key/);
    expect(invite(recovery({ keys: [new Uint8Array(33)] }))).toThrow(/not a valid public key/);
    expect(invite(recovery({ keys: [pub(dana), pub(dana)] }))).toThrow(/appears twice/);
    expect(invite(recovery({ threshold: 2 }))).toThrow(/needs 1 to 1 signers, not 2/);
    const many = Array.from({ length: MAX_INVITE_RECOVERY_KEYS + 1 }, (_, i) =>
      pub(secret(60 + i)),
    );
    expect(invite(recovery({ keys: many }))).toThrow(/1 to 12 recovery keys/);
    expect(() =>
      createInvite(alice, { network: regtest, memberCount: 20, threshold: 7, now }),
    ).toThrow(/7-of-20 needs 77,520 signing leaves.*Try /);
    // The most recovery keys an invite carries still fit in one code, with the longest label.
    const { code } = createInvite(alice, {
      network: regtest,
      memberCount: 3,
      label: 'x'.repeat(64),
      now,
      ...recovery({ keys: many.slice(0, MAX_INVITE_RECOVERY_KEYS), threshold: 2 }),
    });
    expect(readInvite(code, { now }).recovery?.keys).toHaveLength(MAX_INVITE_RECOVERY_KEYS);
  });

  it('refuses a recovery key that joins as a member when the vault is assembled', () => {
    const { invite } = createInvite(alice, {
      network: regtest,
      memberCount: 3,
      threshold: 2,
      recovery: { afterBlocks: 720, keys: [pub(dana)], threshold: 1 },
      now,
    });
    expect(() =>
      assembleVault(invite, [createJoin(invite, bob), createJoin(invite, dana)]),
    ).toThrow(/is a member key/);
  });

  it('refuses a signed version-2 invite whose policy bytes are malformed', () => {
    const { code } = createInvite(alice, { network: regtest, memberCount: 3, threshold: 2, now });
    const payload = bytesOf(code).slice(0, -64);
    // A trailing byte, a truncated policy, unknown flags, and an n-of-n policy (written as v1).
    expect(() =>
      readInvite(signedInvite(concatBytes(payload, Uint8Array.of(0)), alice), { now }),
    ).toThrow(/bad length/);
    expect(() => readInvite(signedInvite(payload.slice(0, -1), alice), { now })).toThrow(
      /bad length/,
    );
    const flagged = payload.slice();
    flagged[flagged.length - 1] = 2;
    expect(() => readInvite(signedInvite(flagged, alice), { now })).toThrow(/bad length/);
    const nOfN = payload.slice();
    nOfN[nOfN.length - 2] = 3;
    expect(() => readInvite(signedInvite(nOfN, alice), { now })).toThrow(/Unsupported/);
    const tooFew = payload.slice();
    tooFew[tooFew.length - 2] = 1;
    expect(() => readInvite(signedInvite(tooFew, alice), { now })).toThrow(/not 1/);
    // The policy is signed: changing k breaks the creator's signature.
    const tampered = bytesOf(code);
    tampered[tampered.length - 66] = 3;
    expect(() => readInvite(codeOf(tampered), { now })).toThrow(/signature is invalid/);
  });
});
