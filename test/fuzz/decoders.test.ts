/**
 * Every decoder a page or a peer can reach, fed seeded random and mutated inputs: each one either
 * decodes or raises its own typed error, never anything else (a TypeError or RangeError would be
 * a crash in the background, and a hang would block it). The seeds are the valid samples built
 * here plus the corpus in test/fixtures/fuzz/corpus.json (inputs that once found a bug). CI runs a
 * fixed-seed slice; `npm run fuzz` runs the same suite with many more inputs per decoder
 * (PETAL_FUZZ_RUNS, PETAL_FUZZ_SEED).
 */
import { bytesToHex, hexToBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { readFileSync } from 'node:fs';
import { bech32m } from '@scure/base';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AddressError, AmountError, ChainError, DecodeError } from '../../src/core/chain/errors.ts';
import {
  SIGHASH_ALL,
  SIGHASH_LOTUS,
  buildUnsignedTx,
  decodeAddress,
  encodeAddress,
  p2pkhScript,
  parseTx,
  regtest,
  serializeTx,
} from '../../src/core/chain/index.ts';
import { parseUnsignedSpend, serializeUnsignedSpend } from '../../src/core/chain/unsigned-spend.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import {
  MessageDecodeError,
  MessageType,
  openEnvelope,
  sealEnvelope,
} from '../../src/core/p2p/envelope.ts';
import {
  decodeBundle,
  openFrame,
  openRecord,
  sealFrame,
  sealRecord,
} from '../../src/core/p2p/frames.ts';
import {
  decodePayload,
  encodeNonces,
  encodePath,
  encodeProposal,
} from '../../src/core/p2p/messages.ts';
import { deriveVaultKeys } from '../../src/core/p2p/vault-keys.ts';
import {
  FormationFrameError,
  decodeFormationFrame,
  deriveFormationKeys,
  encodeAnswer,
  encodeDelivery,
  encodeRoster,
  openFormationFrame,
  openFormationRecord,
  sealFormationFrame,
  sealFormationRecord,
} from '../../src/core/p2p/formation-frames.ts';
import {
  type FormationProgress,
  StoredFormationError,
  formationStoreKey,
  openStoredFormation,
  sealStoredFormation,
} from '../../src/core/p2p/formation-store.ts';
import { Router } from '../../src/core/rpc/router.ts';
import { parseXpi } from '../../src/core/wallet/amount.ts';
import { VaultError } from '../../src/core/wallet/vault-error.ts';
import {
  createInvite,
  createJoin,
  readInvite,
  readJoin,
} from '../../src/core/wallet/vault-invite.ts';
import {
  createVault,
  decodeVaultDescriptor,
  encodeVaultDescriptor,
} from '../../src/core/wallet/vault.ts';
import { InvalidRecordError, decodeRecord, encodeRecord } from '../../src/network/dht-records.ts';

const RUNS = Number(process.env.PETAL_FUZZ_RUNS ?? 400);
const SEED = Number(process.env.PETAL_FUZZ_SEED ?? 20261206);

/** A small, fast, seeded generator (mulberry32): the same seed replays the same inputs. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int };
}

type Gen = ReturnType<typeof generator>;

/** Random bytes, a truncated or extended sample, or a sample with a few bytes changed. */
function mutateBytes(g: Gen, seeds: Uint8Array[]): Uint8Array {
  const kind = g.int(4);
  if (kind === 0 || seeds.length === 0)
    return Uint8Array.from({ length: g.int(600) }, () => g.int(256));
  const base = seeds[g.int(seeds.length)] as Uint8Array;
  if (kind === 1) return base.slice(0, g.int(base.length + 1));
  if (kind === 2)
    return Uint8Array.from([...base, ...Array.from({ length: 1 + g.int(8) }, () => g.int(256))]);
  const out = base.slice();
  for (let k = 0; k < 1 + g.int(6); k++) if (out.length) out[g.int(out.length)] = g.int(256);
  return out;
}

const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZRY_T1:-. ';
function mutateText(g: Gen, seeds: string[]): string {
  const kind = g.int(4);
  if (kind === 0 || seeds.length === 0)
    return Array.from({ length: g.int(300) }, () => ALPHABET[g.int(ALPHABET.length)]).join('');
  const base = seeds[g.int(seeds.length)] as string;
  if (kind === 1) return base.slice(0, g.int(base.length + 1));
  const chars = [...base];
  for (let k = 0; k < 1 + g.int(4); k++)
    if (chars.length) chars[g.int(chars.length)] = ALPHABET[g.int(ALPHABET.length)] as string;
  if (kind === 3) chars.splice(g.int(chars.length + 1), 0, String.fromCharCode(g.int(0x3000)));
  return chars.join('');
}

/** Runs `decode` on `runs` inputs; anything thrown must be one of `allowed`. */
function fuzz<T>(
  name: string,
  make: (g: Gen) => T,
  decode: (input: T) => unknown,
  allowed: (new (...a: never[]) => Error)[],
) {
  const g = generator(SEED ^ hash(name));
  for (let i = 0; i < RUNS; i++) {
    const input = make(g);
    try {
      decode(input);
    } catch (err) {
      if (!allowed.some((type) => err instanceof type))
        throw new Error(
          `${name}: run ${i} (seed ${SEED}) threw ${(err as Error)?.name}: ${(err as Error)?.message}`,
          { cause: err },
        );
    }
  }
}

/**
 * A bech32m code whose payload bytes were mutated and re-encoded with a valid checksum, so the
 * fuzzer reaches the parser behind the checksum (random text almost never gets past it).
 */
function mutateCode(g: Gen, seeds: string[]): string {
  const base = seeds[g.int(seeds.length)] as string;
  const { prefix, words } = bech32m.decode(base as `${string}1${string}`, 12_000);
  const bytes = mutateBytes(g, [bech32m.fromWords(words)]);
  return bech32m.encode(prefix, bech32m.toWords(bytes), 12_000);
}

function hash(text: string): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

interface Corpus {
  bytes: Record<string, string[]>;
  text: Record<string, string[]>;
}
const corpus: Corpus = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../fixtures/fuzz/corpus.json'), 'utf8'),
) as Corpus;
const corpusBytes = (name: string) => (corpus.bytes[name] ?? []).map((h) => hexToBytes(h));
const corpusText = (name: string) => corpus.text[name] ?? [];

// ——— valid samples, built with the real encoders from fixed keys ———
const secrets = [1, 2, 3].map((i) => Uint8Array.from({ length: 32 }, (_, k) => (k === 31 ? i : 7)));
const keys = secrets.map((s) => getPublicKey(s));
const vault = createVault(keys, regtest, 'fuzz');
const threshold = createVault(keys, regtest, 'fuzz 2', {
  threshold: 2,
  recovery: {
    afterBlocks: 144,
    keys: [getPublicKey(Uint8Array.from({ length: 32 }, () => 9))],
    threshold: 1,
  },
});
const vaultKeys = deriveVaultKeys(hexToBytes(vault.id));
const spend = {
  network: regtest,
  tx: buildUnsignedTx(
    [{ outpoint: { txid: new Uint8Array(32).fill(5), vout: 1 } }],
    [{ value: 1_000_000n, script: p2pkhScript(new Uint8Array(20).fill(3)) }],
  ),
  spent: [{ value: 5_000_000n, script: vault.script }],
  hashType: SIGHASH_ALL | SIGHASH_LOTUS,
};
const spendBytes = serializeUnsignedSpend(spend);
const proposal = encodeProposal({
  createdAt: 1_000,
  expiresAt: 2_000,
  replayProtection: true,
  salt: new Uint8Array(32).fill(1),
  memo: 'fuzz',
  spend: spendBytes,
  leafAfter: 1_500,
});
const envelope = sealEnvelope(
  {
    type: MessageType.proposal,
    vaultId: hexToBytes(vault.id),
    sessionId: new Uint8Array(32).fill(2),
    signerIndex: 0,
    sequence: 0,
    transcriptHash: new Uint8Array(32),
    sentAt: 1_000,
    payload: proposal,
  },
  secrets[0] as Uint8Array,
);
const nonces = encodeNonces({
  attempt: 1,
  electionCommit: new Uint8Array(32).fill(4),
  pubNonces: [new Uint8Array(66).fill(2)],
});
const invite = createInvite(secrets[0] as Uint8Array, {
  network: regtest,
  memberCount: 3,
  label: 'fuzz',
  threshold: 2,
}).code;
// A one-code invite (version 3: policy, secret and the creator's name) and its formation frames.
const formationInvite = createInvite(secrets[0] as Uint8Array, {
  network: regtest,
  memberCount: 3,
  label: 'fuzz',
  threshold: 2,
  recovery: threshold.recovery,
  rendezvous: { creatorName: 'Ålice' },
});
const formationKeys = deriveFormationKeys(formationInvite.invite.rendezvous!.secret);
const inviteId = formationInvite.invite.inviteId;
const formationBodies = [
  encodeAnswer(inviteId, secrets[1] as Uint8Array, 'Bob'),
  encodeRoster(inviteId, secrets[0] as Uint8Array, [
    { key: keys[0] as Uint8Array, name: 'Ålice' },
    { key: keys[1] as Uint8Array, name: 'Bob' },
  ]),
  encodeDelivery(inviteId, secrets[0] as Uint8Array, encodeVaultDescriptor(threshold), [
    'Ålice',
    'Bob',
    'Carol',
  ]),
];

describe(
  'every decoder a peer or a page reaches, fuzzed (seed ' + SEED + ', ' + RUNS + ' inputs each)',
  () => {
    it('envelopes and every payload type raise only MessageDecodeError', () => {
      fuzz(
        'envelope',
        (g) => mutateBytes(g, [envelope, ...corpusBytes('envelope')]),
        openEnvelope,
        [MessageDecodeError],
      );
      const payloads = [proposal, nonces, encodePath({ attempt: 2, signers: [0, 2] })];
      for (const type of Object.values(MessageType))
        fuzz(
          `payload-${type}`,
          (g) => mutateBytes(g, [...payloads, ...corpusBytes('payload')]),
          (b) => decodePayload(type, b),
          [MessageDecodeError],
        );
    });

    it('frames, bundles and mailbox records raise only MessageDecodeError', () => {
      const frame = sealFrame(vaultKeys, envelope);
      fuzz(
        'frame',
        (g) => mutateBytes(g, [frame]),
        (b) => openFrame(vaultKeys, b),
        [MessageDecodeError],
      );
      const record = sealRecord(vaultKeys, vaultKeys.recordId(0), [envelope]);
      fuzz(
        'record',
        (g) => mutateBytes(g, [record]),
        (b) => openRecord(vaultKeys, vaultKeys.recordId(0), b),
        [MessageDecodeError],
      );
      fuzz('bundle', (g) => mutateBytes(g, corpusBytes('bundle')), decodeBundle, [
        MessageDecodeError,
      ]);
    });

    it('DHT records raise only InvalidRecordError', () => {
      const valid = encodeRecord({ payload: randomBytes(64), expiresAt: Date.now() + 60_000 });
      fuzz('dht-record', (g) => mutateBytes(g, [valid]), decodeRecord, [InvalidRecordError]);
    });

    it('transactions and unsigned spends raise only DecodeError or another ChainError', () => {
      const tx = serializeTx(spend.tx);
      fuzz('tx', (g) => mutateBytes(g, [tx]), parseTx, [DecodeError, ChainError]);
      fuzz('unsigned-spend', (g) => mutateBytes(g, [spendBytes]), parseUnsignedSpend, [
        DecodeError,
        ChainError,
      ]);
    });

    it('vault descriptors, invites and join codes raise only VaultError', () => {
      const descriptors = [encodeVaultDescriptor(vault), encodeVaultDescriptor(threshold)];
      fuzz(
        'descriptor',
        (g) => mutateText(g, [...descriptors, ...corpusText('descriptor')]),
        (t) => decodeVaultDescriptor(t),
        [VaultError],
      );
      fuzz(
        'invite',
        (g) => mutateText(g, [invite, ...corpusText('invite')]),
        (t) => readInvite(t, { network: regtest }),
        [VaultError],
      );
      fuzz(
        'descriptor-payload',
        (g) => mutateCode(g, descriptors),
        (t) => decodeVaultDescriptor(t),
        [VaultError],
      );
      fuzz(
        'invite-payload',
        (g) => mutateCode(g, [invite]),
        (t) => readInvite(t, { network: regtest }),
        [VaultError],
      );
      const opened = readInvite(invite, { network: regtest });
      const join = createJoin(opened, secrets[1] as Uint8Array);
      fuzz(
        'join',
        (g) => mutateText(g, [join]),
        (t) => readJoin(t, opened),
        [VaultError],
      );
    });

    it('one-code invites, formation frames and stored formations raise only their typed errors', () => {
      const v3 = [formationInvite.code];
      fuzz(
        'invite-v3',
        (g) => mutateText(g, v3),
        (t) => readInvite(t, { network: regtest }),
        [VaultError],
      );
      fuzz(
        'invite-v3-payload',
        (g) => mutateCode(g, v3),
        (t) => readInvite(t, { network: regtest }),
        [VaultError],
      );
      const creator = formationInvite.invite;
      // Bodies behind the seal: the parser and the signature check on every kind of frame.
      fuzz(
        'formation-body',
        (g) => mutateBytes(g, [...formationBodies, ...corpusBytes('formation-body')]),
        (b) => decodeFormationFrame(b, creator),
        [FormationFrameError],
      );
      const frames = formationBodies.map((b) => sealFormationFrame(formationKeys, b));
      fuzz(
        'formation-frame',
        (g) => mutateBytes(g, frames),
        (b) => decodeFormationFrame(openFormationFrame(formationKeys, b), creator),
        [FormationFrameError],
      );
      const records = formationBodies.map((b) => sealFormationRecord(formationKeys, b));
      fuzz(
        'formation-record',
        (g) => mutateBytes(g, records),
        (b) => decodeFormationFrame(openFormationRecord(formationKeys, b), creator),
        [FormationFrameError],
      );
      // What IndexedDB hands back for a kept formation, altered on disk.
      const storeKey = formationStoreKey(secrets[0] as Uint8Array);
      const head = { id: bytesToHex(inviteId), network: 'regtest', expiresAt: 1 };
      const stored = sealStoredFormation(storeKey, head, {
        role: 'creator',
        code: formationInvite.code,
        name: 'Ålice',
        joined: [{ key: bytesToHex(keys[1] as Uint8Array), name: 'Bob' }],
      });
      fuzz(
        'stored-formation',
        (g) => mutateBytes(g, [stored.sealed]),
        (b) => openStoredFormation(storeKey, { ...head, sealed: b }),
        [StoredFormationError],
      );
      // Well sealed but odd contents (a damaged or foreign writer): the shape check holds.
      fuzz(
        'stored-formation-progress',
        (g) => mutateText(g, [JSON.stringify(openStoredFormation(storeKey, stored))]),
        (text) => {
          let value: unknown = text;
          try {
            value = JSON.parse(text);
          } catch {
            // not JSON: sealed as a JSON string
          }
          return openStoredFormation(
            storeKey,
            sealStoredFormation(storeKey, head, value as FormationProgress),
          );
        },
        [StoredFormationError],
      );
    });

    it('addresses and amounts typed by a person raise only AddressError / AmountError', () => {
      const address = encodeAddress(p2pkhScript(new Uint8Array(20).fill(8)), regtest);
      fuzz(
        'address',
        (g) => mutateText(g, [address, vault.address]),
        (t) => decodeAddress(t),
        [AddressError],
      );
      fuzz('amount', (g) => mutateText(g, ['12.5', '0.000546', '21000000000']), parseXpi, [
        AmountError,
      ]);
    });

    it('the message router answers every malformed request with an error envelope, never a throw', async () => {
      const router = new Router('background', {});
      const g = generator(SEED ^ hash('router'));
      const samples: unknown[] = [
        {
          tag: 'petal/1',
          kind: 'request',
          id: 'a',
          target: 'background',
          method: 'lotus_ping',
          params: {},
        },
        ...corpusText('router').map((t) => JSON.parse(t) as unknown),
      ];
      for (let i = 0; i < Math.min(RUNS, 2_000); i++) {
        const base = JSON.parse(JSON.stringify(samples[g.int(samples.length)])) as Record<
          string,
          unknown
        >;
        const field = ['tag', 'kind', 'id', 'target', 'method', 'params'][g.int(6)] as string;
        const values: unknown[] = [
          undefined,
          null,
          7,
          'x'.repeat(g.int(40)),
          [],
          {},
          { a: [1] },
          true,
        ];
        base[field] = values[g.int(values.length)];
        const answer = await router.handle(g.int(5) === 0 ? utf8ToBytes('junk') : base, {
          kind: 'extension',
          origin: 'chrome-extension://x',
        });
        expect(answer).toMatchObject({ kind: 'response' });
      }
    });
  },
);
