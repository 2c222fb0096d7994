import { bytesToHex, concatBytes, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { regtest, mainnet } from '../../../src/core/chain/network.ts';
import { getPublicKey } from '../../../src/core/crypto/index.ts';
import { MemoryNetwork } from '../../../src/core/p2p/memory-transport.ts';
import {
  DELIVERY,
  FormationFrameError,
  decodeFormationFrame,
  deriveFormationKeys,
  encodeAnswer,
  encodeDelivery,
  encodeRoster,
  openFormationFrame,
  openFormationRecord,
  sealFormationFrame,
} from '../../../src/core/p2p/formation-frames.ts';
import {
  FormationError,
  FormationRoster,
  type FormationState,
  JoinerFormation,
  checkDelivery,
} from '../../../src/core/p2p/vault-formation.ts';
import {
  FORMATION_INVITE_TTL_SECONDS,
  createInvite,
  createJoin,
  readInvite,
  assembleVault,
} from '../../../src/core/wallet/vault-invite.ts';
import { createVault, encodeVaultDescriptor } from '../../../src/core/wallet/vault.ts';
import { fingerprintWords } from '../../../src/core/wallet/vault-words.ts';
import { until } from '../../support/until.ts';
import { formationRuns } from './formation-fixtures.ts';

const secret = (n: number) => hexToBytes(n.toString(16).padStart(64, '0'));
const [alice, bob, carol, mallory] = [51, 52, 53, 54].map(secret) as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
  Uint8Array,
];
const hex = bytesToHex;

function oneCodeInvite(options: { members?: number; threshold?: number; now?: number } = {}) {
  return createInvite(alice, {
    network: regtest,
    memberCount: options.members ?? 3,
    label: 'Club',
    ...(options.threshold ? { threshold: options.threshold } : {}),
    ...(options.now ? { now: options.now } : {}),
    rendezvous: { creatorName: 'Alice' },
  });
}

describe('one-code invites (version 3)', () => {
  it('carry a fresh 32-byte secret and the creator’s name, and read back signed', () => {
    const a = oneCodeInvite();
    const b = oneCodeInvite();
    expect(a.invite.rendezvous?.secret).toHaveLength(32);
    expect(hex(a.invite.rendezvous!.secret)).not.toBe(hex(b.invite.rendezvous!.secret));
    const read = readInvite(a.code, { network: regtest });
    expect(read.rendezvous?.creatorName).toBe('Alice');
    expect(hex(read.rendezvous!.secret)).toBe(hex(a.invite.rendezvous!.secret));
    expect(read.threshold).toBe(3);
    expect(read.memberCount).toBe(3);
  });

  it('expire after 24 hours by default', () => {
    const now = 1_800_000_000;
    const { code, invite } = oneCodeInvite({ now });
    expect(invite.expiresAt).toBe(now + FORMATION_INVITE_TTL_SECONDS);
    expect(() => readInvite(code, { now: now + FORMATION_INVITE_TTL_SECONDS + 1 })).toThrow(
      'This invite has expired',
    );
  });

  it('still take a join code by hand (the fallback without a relay)', () => {
    const { code } = oneCodeInvite({ members: 2 });
    const invite = readInvite(code);
    const vault = assembleVault(invite, [createJoin(invite, bob)]);
    expect(vault.members).toHaveLength(2);
  });

  it('refuse a creator name that is empty or too long', () => {
    const make = (creatorName: string) =>
      createInvite(alice, { network: regtest, memberCount: 2, rendezvous: { creatorName } });
    expect(() => make('  ')).toThrow('Give yourself a name');
    expect(() => make('x'.repeat(33))).toThrow('at most 32 bytes');
  });
});

describe('rendezvous derivation', () => {
  it('is a function of the secret alone, and different secrets share nothing', () => {
    const s = randomBytes(32);
    const a = deriveFormationKeys(s);
    const b = deriveFormationKeys(Uint8Array.from(s));
    const c = deriveFormationKeys(randomBytes(32));
    expect(a).toEqual(b);
    expect(a.topic).toMatch(/^petal\/f\/1\/[0-9a-f]{32}$/);
    expect(a.recordId).toMatch(/^f\/[0-9a-f]{32}$/);
    for (const k of ['topic', 'recordId'] as const) expect(c[k]).not.toBe(a[k]);
    expect(hex(c.frameKey)).not.toBe(hex(a.frameKey));
    // No value repeats another, and none reveals the secret.
    const values = [a.topic, a.recordId, hex(a.frameKey), hex(a.recordKey)];
    expect(new Set(values).size).toBe(4);
    for (const v of values) expect(v).not.toContain(hex(s));
  });

  it('refuses a secret that is not 32 bytes', () => {
    expect(() => deriveFormationKeys(new Uint8Array(31))).toThrow(TypeError);
  });
});

describe('sealed frames', () => {
  const { invite } = oneCodeInvite();
  const keys = deriveFormationKeys(invite.rendezvous!.secret);

  it('open only under the invite’s key; anything else is bad-seal', () => {
    const body = encodeAnswer(invite.inviteId, bob, 'Bob');
    const sealed = sealFormationFrame(keys, body);
    expect(hex(openFormationFrame(keys, sealed))).toBe(hex(body));
    const stranger = deriveFormationKeys(randomBytes(32));
    const forged = sealFormationFrame(stranger, body);
    expect(() => openFormationFrame(keys, forged)).toThrow(
      expect.objectContaining({ name: 'FormationFrameError', reason: 'bad-seal' }),
    );
    const flipped = sealed.slice();
    flipped[40] = (flipped[40] as number) ^ 1;
    expect(() => openFormationFrame(keys, flipped)).toThrow(FormationFrameError);
    // A topic frame is not a mailbox record (different key and associated data).
    expect(() => openFormationRecord(keys, sealed)).toThrow(FormationFrameError);
  });

  it('never leak the plaintext name or key to whoever carries them', () => {
    const sealed = sealFormationFrame(keys, encodeAnswer(invite.inviteId, bob, 'Bob'));
    expect(hex(sealed)).not.toContain(hex(getPublicKey(bob)));
    expect(hex(sealed)).not.toContain(hex(new TextEncoder().encode('Bob')));
  });

  it('decode hostile bodies to a typed error, never anything else', () => {
    const answer = encodeAnswer(invite.inviteId, bob, 'Bob');
    const bad: [Uint8Array, FormationFrameError['reason']][] = [
      [new Uint8Array(0), 'malformed'],
      [randomBytes(90), 'wrong-invite'],
      [concatBytes(Uint8Array.of(9), answer.subarray(1)), 'malformed'],
      [encodeAnswer(randomBytes(16), bob, 'Bob'), 'wrong-invite'],
      // The signature's last byte flipped (set to 0 it would stay valid one time in 256).
      [concatBytes(answer.subarray(0, -1), Uint8Array.of(answer.at(-1)! ^ 1)), 'bad-signature'],
      [concatBytes(answer.subarray(0, 50), Uint8Array.of(4), answer.subarray(51)), 'malformed'],
      // A roster or delivery signed by someone other than the creator.
      [
        encodeRoster(invite.inviteId, mallory, [{ key: getPublicKey(mallory), name: 'M' }]),
        'bad-signature',
      ],
    ];
    for (const [body, reason] of bad)
      expect(() => decodeFormationFrame(body, invite)).toThrow(
        expect.objectContaining({ name: 'FormationFrameError', reason }),
      );
    for (let i = 0; i < 500; i++) {
      const noise = randomBytes(1 + (i % 200));
      noise[0] = 1 + (i % 3);
      try {
        decodeFormationFrame(concatBytes(noise.subarray(0, 1), invite.inviteId, noise), invite);
      } catch (err) {
        expect(err).toBeInstanceOf(FormationFrameError);
      }
    }
  });

  it('refuse a name with control characters', () => {
    expect(() => encodeAnswer(invite.inviteId, bob, 'Bob\u202e')).toThrow('control characters');
  });
});

describe('the creator’s roster', () => {
  const now = 1_800_000_000;
  const { invite } = oneCodeInvite({ now });
  const at = now * 1000;

  it('counts each member once, refuses a second name for a key and the creator’s key', () => {
    const roster = new FormationRoster(invite, 'Alice');
    const bobAnswer = { memberKey: getPublicKey(bob), name: 'Bob' };
    expect(roster.accept(bobAnswer, at)).toBe('added');
    expect(roster.accept(bobAnswer, at)).toBe('repeat');
    expect(() => roster.accept({ ...bobAnswer, name: 'Robert' }, at)).toThrow(
      expect.objectContaining({ name: 'FormationError', reason: 'duplicate-member' }),
    );
    expect(() => roster.accept({ memberKey: invite.creatorKey, name: 'Alice' }, at)).toThrow(
      expect.objectContaining({ reason: 'duplicate-member' }),
    );
    expect(roster.members.map((m) => m.name)).toEqual(['Alice', 'Bob']);
  });

  it('refuses answers after the invite expires, and past n members', () => {
    const late = new FormationRoster(invite, 'Alice');
    expect(() =>
      late.accept({ memberKey: getPublicKey(bob), name: 'Bob' }, (invite.expiresAt + 1) * 1000),
    ).toThrow(expect.objectContaining({ reason: 'expired' }));
    const roster = new FormationRoster(invite, 'Alice');
    roster.accept({ memberKey: getPublicKey(bob), name: 'Bob' }, at);
    roster.accept({ memberKey: getPublicKey(carol), name: 'Carol' }, at);
    expect(roster.full).toBe(true);
    expect(() => roster.accept({ memberKey: getPublicKey(mallory), name: 'M' }, at)).toThrow(
      expect.objectContaining({ reason: 'full' }),
    );
  });

  it('assembles the vault the invite proposed, names by member index', () => {
    const roster = new FormationRoster(invite, 'Alice');
    roster.accept({ memberKey: getPublicKey(bob), name: 'Bob' }, at);
    roster.accept({ memberKey: getPublicKey(carol), name: 'Carol' }, at);
    const { vault, names } = roster.assemble();
    const expected = createVault([alice, bob, carol].map(getPublicKey), regtest, 'Club');
    expect(vault.address).toBe(expected.address);
    const nameOf = new Map([
      [hex(getPublicKey(alice)), 'Alice'],
      [hex(getPublicKey(bob)), 'Bob'],
      [hex(getPublicKey(carol)), 'Carol'],
    ]);
    expect(names).toEqual(vault.members.map((k) => nameOf.get(hex(k))));
  });
});

describe('a joiner’s check of the delivery', () => {
  const { invite } = oneCodeInvite({ threshold: 2 });
  const keys = [alice, bob, carol].map(getPublicKey);
  const good = createVault(keys, regtest, 'Club', { threshold: 2 });
  const names = ['A', 'B', 'C'];

  it('accepts the proposed vault with this member in it', () => {
    const formed = checkDelivery(
      invite,
      { descriptor: encodeVaultDescriptor(good), names },
      keys[1]!,
    );
    expect(formed.vault.id).toBe(good.id);
  });

  it.each([
    ['another threshold', createVault(keys, regtest, 'Club'), 'another number of signers'],
    ['another label', createVault(keys, regtest, 'Other', { threshold: 2 }), 'another name'],
    ['another network', createVault(keys, mainnet, 'Club', { threshold: 2 }), 'does not read'],
    [
      'a vault without this member',
      createVault([alice, carol, mallory].map(getPublicKey), regtest, 'Club', { threshold: 2 }),
      'leaves you out',
    ],
  ])('refuses %s', (_what, vault, message) => {
    expect(() =>
      checkDelivery(invite, { descriptor: encodeVaultDescriptor(vault), names }, keys[1]!),
    ).toThrow(expect.objectContaining({ name: 'FormationError', reason: 'bad-delivery' }));
    expect(() =>
      checkDelivery(invite, { descriptor: encodeVaultDescriptor(vault), names }, keys[1]!),
    ).toThrow(message);
  });

  it('refuses a delivery that does not name every member', () => {
    expect(() =>
      checkDelivery(
        invite,
        { descriptor: encodeVaultDescriptor(good), names: ['A', 'B'] },
        keys[1]!,
      ),
    ).toThrow('does not name every member');
  });
});

describe('formation over a network (in memory)', () => {
  const runs = formationRuns();

  it('forms a 3-member vault from one invite; every member has the same vault and names', async () => {
    const net = new MemoryNetwork();
    const { code } = oneCodeInvite();
    const invite = readInvite(code);
    const creator = runs.creator(net.join('alice'), { invite, secretKey: alice });
    await creator.start();
    const joiners = [
      [bob, 'Bob'],
      [carol, 'Carol'],
    ].map(([key, name], i) =>
      runs.joiner(net.join(`j${i}`), {
        invite: readInvite(code),
        secretKey: key as Uint8Array,
        name: name as string,
      }),
    );
    await Promise.all(joiners.map((j) => j.start()));
    await until(() => joiners.every((j) => j.view().phase === 'delivered'));
    const ids = [creator, ...joiners].map((f) => f.view().formed?.vault.id);
    expect(new Set(ids).size).toBe(1);
    const words = [creator, ...joiners].map((f) => fingerprintWords(f.view().formed!.vault));
    expect(words[1]).toEqual(words[0]);
    expect(words[2]).toEqual(words[0]);
    expect(new Set(joiners[0]!.view().formed!.names)).toEqual(new Set(['Alice', 'Bob', 'Carol']));
  });

  it('a member offline at the delivery reads it from the mailbox later', async () => {
    const net = new MemoryNetwork();
    const { code } = oneCodeInvite({ members: 2 });
    const creator = runs.creator(net.join('alice'), {
      invite: readInvite(code),
      secretKey: alice,
      repeatMs: 10_000,
    });
    await creator.start();
    const bobNet = net.join('bob');
    let last: FormationState | undefined;
    const joiner = runs.joiner(bobNet, {
      invite: readInvite(code),
      secretKey: bob,
      name: 'Bob',
      onChange: (s) => (last = s),
    });
    // Bob answers, then drops off before the creator's delivery goes out on the topic.
    net.disconnect('bob');
    await creator['receive'](
      sealFormationFrame(
        deriveFormationKeys(readInvite(code).rendezvous!.secret),
        encodeAnswer(readInvite(code).inviteId, bob, 'Bob'),
      ),
    );
    expect(creator.view().phase).toBe('delivered');
    net.reconnect('bob');
    await joiner.start();
    await until(() => last?.phase === 'delivered');
    expect(last?.formed?.vault.id).toBe(creator.view().formed?.vault.id);
  });

  it('ignores strangers, refuses a duplicate key and forged deliveries, and keeps running', async () => {
    const net = new MemoryNetwork();
    const { code } = oneCodeInvite({ members: 3 });
    const invite = readInvite(code);
    const keys = deriveFormationKeys(invite.rendezvous!.secret);
    const creatorTransport = net.join('alice');
    const creator = runs.creator(creatorTransport, { invite, secretKey: alice, repeatMs: 10_000 });
    await creator.start();
    const evil = net.join('mallory');
    const bobJoiner = runs.joiner(net.join('bob'), {
      invite: readInvite(code),
      secretKey: bob,
      name: 'Bob',
      repeatMs: 10_000,
    });
    await bobJoiner.start();
    await until(() => creator.view().members.length === 2);
    // A stranger's answer under another key; garbage; Bob's key again with another name.
    await evil.publish(
      keys.topic,
      sealFormationFrame(
        deriveFormationKeys(randomBytes(32)),
        encodeAnswer(invite.inviteId, mallory, 'Mal'),
      ),
    );
    await evil.publish(keys.topic, randomBytes(80));
    await evil.publish(keys.topic, sealFormationFrame(keys, randomBytes(120)));
    await evil.publish(
      keys.topic,
      sealFormationFrame(keys, encodeAnswer(invite.inviteId, bob, 'Not Bob')),
    );
    // An invite holder forging the creator's delivery of a vault of its choosing.
    const forged = createVault([alice, bob, mallory].map(getPublicKey), regtest, 'Club');
    await evil.publish(
      keys.topic,
      sealFormationFrame(
        keys,
        encodeDelivery(invite.inviteId, mallory, encodeVaultDescriptor(forged), ['A', 'B', 'M']),
      ),
    );
    await until(
      () =>
        // Frames not sealed for the invite die in the topic validator, before any handler.
        creatorTransport.validatorDrops === 2 &&
        creator.view().dropped['wrong-invite'] === 1 &&
        creator.view().dropped['duplicate-member'] === 1 &&
        creator.view().dropped['bad-signature'] === 1,
    );
    await until(() => bobJoiner.view().dropped['bad-signature'] === 1);
    expect(bobJoiner.view().phase).toBe('collecting');
    expect(creator.view().members.map((m) => m.name)).toEqual(['Alice', 'Bob']);
    // The formation still completes with the real third member.
    const carolJoiner = runs.joiner(net.join('carol'), {
      invite: readInvite(code),
      secretKey: carol,
      name: 'Carol',
    });
    await carolJoiner.start();
    await until(() => carolJoiner.view().phase === 'delivered');
    expect(carolJoiner.view().formed?.vault.members.map(hex)).not.toContain(
      hex(getPublicKey(mallory)),
    );
  });

  it('the creator may finish early with the members who came, if the policy allows', async () => {
    const net = new MemoryNetwork();
    const { code } = oneCodeInvite({ members: 3, threshold: 2 });
    const creator = runs.creator(net.join('alice'), { invite: readInvite(code), secretKey: alice });
    await creator.start();
    await expect(creator.finish()).rejects.toThrow('A vault has 2 to 100 members');
    const joiner = runs.joiner(net.join('bob'), {
      invite: readInvite(code),
      secretKey: bob,
      name: 'Bob',
    });
    await joiner.start();
    await until(() => creator.view().members.length === 2);
    const formed = await creator.finish();
    expect(formed.vault.members).toHaveLength(2);
    await until(() => joiner.view().phase === 'delivered');
    expect(joiner.view().formed?.vault.id).toBe(formed.vault.id);
  });

  it('refuses to run an invite without a secret, or a joiner answering its own invite', () => {
    const plain = createInvite(alice, { network: regtest, memberCount: 2 }).invite;
    const transport = new MemoryNetwork().join('x');
    expect(
      () => new JoinerFormation({ transport, invite: plain, secretKey: bob, name: 'Bob' }),
    ).toThrow(FormationError);
    const { invite } = oneCodeInvite();
    expect(
      () => new JoinerFormation({ transport, invite, secretKey: alice, name: 'Alice' }),
    ).toThrow('your own invite');
    expect(DELIVERY).toBe(3);
  });
});
