import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MessageType,
  type SignedEnvelope,
  envelopeBytes,
  openEnvelope,
  verifyEnvelope,
} from '../../../src/core/p2p/envelope.ts';
import {
  type BlamePayload,
  BlameReason,
  type PartialSigsPayload,
  decodePayload,
  encodeNonces,
  encodePartialSigs,
} from '../../../src/core/p2p/messages.ts';
import { sealFrame } from '../../../src/core/p2p/frames.ts';
import type { SessionView } from '../../../src/core/p2p/session.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';
import {
  attemptTranscript,
  nonceDigest,
  nonceSetHash,
  signTranscript,
} from '../../../src/core/p2p/transcript.ts';
import {
  createGroup,
  equivocate,
  flipOneBit,
  type Group,
  recording,
  rewritePartials,
  type Sent,
  type Tamper,
} from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/** The nonces payload a nonce message carries, or the one riding with an approval. */
function noncePayloadOf(env: SignedEnvelope): Uint8Array | undefined {
  const payload = decodePayload(env.type, env.payload);
  if (payload.type === MessageType.nonces) return env.payload;
  if (payload.type === MessageType.approval && payload.body.nonces)
    return encodeNonces(payload.body.nonces);
  return undefined;
}

function autoApprove(g: Group): void {
  for (const m of g.members)
    m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
}

async function proposeAndSettle(g: Group, except?: number): Promise<SessionView[]> {
  const view = await g.members[0]!.service.propose(g.vault.id, g.spend([40_000_000n]));
  const waited = g.members.filter((m) => m.index !== except);
  return Promise.all(waited.map((m) => m.service.settled(view.id)));
}

function blamesIn(sent: Sent[]): { member: number; body: BlamePayload }[] {
  return sent
    .filter((s) => s.env.type === MessageType.blame)
    .map((s) => ({
      member: s.member,
      body: decodePayload(s.env.type, s.env.payload).body as BlamePayload,
    }));
}

function honestScores(g: Group, culprit: number): number[] {
  const honest = g.members.filter((m) => m.index !== culprit);
  return honest.flatMap((m) =>
    honest.filter((o) => o !== m).map((o) => m.service.reputation.score(`peer-${o.index}`)),
  );
}

describe('protocol 2: a round without an echo', () => {
  it('carries the nonces in the approvals: no nonces message, no disclosure when nobody equivocates', async () => {
    const sent: Sent[] = [];
    group = await createGroup(3, { tamper: recording(sent) });
    autoApprove(group);
    const results = await proposeAndSettle(group);
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    const types = new Set(sent.map((s) => s.env.type));
    expect(types.has(MessageType.nonces)).toBe(false);
    expect(types.has(MessageType.partialSigs)).toBe(true);
    expect(types.has(MessageType.nonceDisclosure)).toBe(false);
    expect(types.has(MessageType.blame)).toBe(false);
    // Each member's approval carried its nonces for attempt 1.
    const approvals = [0, 1, 2].map(
      (i) => sent.find((s) => s.member === i && s.env.type === MessageType.approval)!.env,
    );
    const carried = approvals.map((e) => noncePayloadOf(e));
    for (const payload of carried) expect(payload).toBeDefined();
    // Each partial commits to the nonce set it was made on (the digests of the nonces payloads,
    // as a nonces message would carry them), and its envelope is bound to it.
    const setHash = nonceSetHash(carried.map((p) => nonceDigest(p!)));
    for (const s of sent.filter((x) => x.env.type === MessageType.partialSigs)) {
      const body = decodePayload(s.env.type, s.env.payload).body as PartialSigsPayload;
      expect(body.nonceSetHash).toEqual(setHash);
      expect(s.env.transcriptHash).toEqual(
        signTranscript(attemptTranscript(s.env.sessionId, body.attempt), setHash),
      );
    }
    // Frames of the round: approvals (gossip + direct + catch-ups), partials, the broadcast notice.
    const frames = (type: number) => sent.filter((s) => s.env.type === type).length;
    console.log(
      `3-of-3 frames: approvals ${frames(MessageType.approval)}, nonces ${frames(MessageType.nonces)}, ` +
        `partials ${frames(MessageType.partialSigs)}, broadcast ${frames(MessageType.broadcast)}, ` +
        `all after the proposal ${sent.filter((s) => s.env.type !== MessageType.proposal).length}`,
    );
    expect(frames(MessageType.partialSigs)).toBe(6);
  });

  it('catches a member who sends different nonces to different members, with both as proof', async () => {
    const sent: Sent[] = [];
    group = await createGroup(3, { tamper: recording(sent, equivocate(1, 2)) });
    const g = group;
    autoApprove(g);
    const results = await proposeAndSettle(g);
    for (const r of results.filter((r) => r.me !== 1))
      expect(r).toMatchObject({ phase: 'failed', end: { reason: 'equivocation', culprit: 1 } });
    expect(g.chain.broadcasts).toEqual([]);
    // The honest members exchanged the nonce sets they signed on (type 5, only on mismatch).
    const disclosed = sent.filter((s) => s.env.type === MessageType.nonceDisclosure);
    expect(disclosed.some((s) => s.member !== 1)).toBe(true);
    // Every blame names member 1 and carries two different nonce messages it signed.
    const blames = blamesIn(sent).filter((b) => b.member !== 1);
    expect(blames.length).toBeGreaterThan(0);
    for (const { body } of blames) {
      expect(body).toMatchObject({ culprit: 1, reason: BlameReason.equivocation, attempt: 1 });
      expect(body.evidence).toHaveLength(2);
      const [a, b] = body.evidence.map((e) => openEnvelope(e));
      // Its nonces rode with its approval: two approvals it signed, with different nonces.
      for (const e of [a!, b!]) {
        expect(e.type).toBe(MessageType.approval);
        expect(e.signerIndex).toBe(1);
        expect(verifyEnvelope(e, g.vault.members[1]!)).toBe(true);
      }
      expect(noncePayloadOf(a!)).not.toEqual(noncePayloadOf(b!));
    }
  });

  it('blames no honest member when their nonce sets disagree', async () => {
    const sent: Sent[] = [];
    group = await createGroup(4, { tamper: recording(sent, equivocate(3, 0)) });
    const g = group;
    autoApprove(g);
    const results = await proposeAndSettle(g);
    // Member 0 signed on another set than members 1 and 2: the sets disagree among the honest.
    const partialHashes = new Set(
      sent
        .filter((s) => s.env.type === MessageType.partialSigs && s.member !== 3)
        .map((s) => {
          const body = decodePayload(s.env.type, s.env.payload).body as PartialSigsPayload;
          return Buffer.from(body.nonceSetHash).toString('hex');
        }),
    );
    expect(partialHashes.size).toBe(2);
    for (const r of results.filter((r) => r.me !== 3)) {
      expect(r.phase).toBe('failed');
      expect(r.end?.culprit).toBe(3);
      expect(r.end?.reason).toBe('equivocation');
    }
    for (const { body } of blamesIn(sent)) expect(body.culprit).toBe(3);
    for (const score of honestScores(g, 3)) expect(score).toBeGreaterThanOrEqual(0);
  });

  it('still names a member whose partial matches the nonce set but does not verify', async () => {
    const sent: Sent[] = [];
    const flip: Tamper = (member, env, _to, reseal) => {
      if (member !== 2 || env.type !== MessageType.partialSigs) return undefined;
      const body = decodePayload(env.type, env.payload).body as PartialSigsPayload;
      const partialSigs = flipOneBit(body.partialSigs);
      return reseal({ ...env, payload: encodePartialSigs({ ...body, partialSigs }) });
    };
    group = await createGroup(3, { tamper: recording(sent, flip) });
    const g = group;
    autoApprove(g);
    const results = await proposeAndSettle(g);
    for (const r of results.filter((r) => r.me !== 2))
      expect(r).toMatchObject({
        phase: 'failed',
        end: { reason: 'invalidPartialSig', culprit: 2 },
      });
    // The proof: the partial and every signer's nonce message, which hash to the set it names.
    const blame = blamesIn(sent).find((b) => b.member !== 2)!.body;
    expect(blame.evidence).toHaveLength(4);
    const [partial, ...nonces] = blame.evidence.map((e) => openEnvelope(e));
    expect(partial!.type).toBe(MessageType.partialSigs);
    // Every signer's nonces rode with its approval: the approvals are the nonce messages.
    expect(nonces.map((n) => n.type)).toEqual([2, 2, 2]);
    const body = decodePayload(partial!.type, partial!.payload).body as PartialSigsPayload;
    const digests = nonces.map((n) => nonceDigest(noncePayloadOf(n)!));
    expect(body.nonceSetHash).toEqual(nonceSetHash(digests));
    expect(sent.some((s) => s.env.type === MessageType.nonceDisclosure)).toBe(false);
  });

  it('hands its proven blame, once, to a member still sending frames of the ended session', async () => {
    const sent: Sent[] = [];
    group = await createGroup(3, { tamper: recording(sent, rewritePartials(2, flipOneBit)) });
    const g = group;
    autoApprove(g);
    const results = await proposeAndSettle(g);
    for (const r of results.filter((r) => r.me !== 2))
      expect(r.end).toMatchObject({ reason: 'invalidPartialSig', culprit: 2 });
    const blamesTo1 = () =>
      sent.filter((s) => s.member === 0 && s.to === 'peer-1' && s.env.type === MessageType.blame)
        .length;
    expect(blamesTo1()).toBe(1);
    // Member 1 sends member 0 a frame of the session again, as a member whose blame was lost
    // would (its partial, re-sent): member 0 answers with its blame, and only the first time.
    const own = sent.find((s) => s.member === 1 && s.env.type === MessageType.partialSigs)!;
    const frame = sealFrame(deriveVaultKeys(hexToBytes(g.vault.id)), envelopeBytes(own.env));
    await g.members[1]!.transport.send('peer-0', frame);
    await until(() => blamesTo1() === 2);
    const answer = sent.filter((s) => s.member === 0 && s.env.type === MessageType.blame).at(-1)!;
    expect(envelopeBytes(answer.env)).toEqual(
      envelopeBytes(sent.find((s) => s.member === 0 && s.env.type === MessageType.blame)!.env),
    );
    await g.members[1]!.transport.send('peer-0', frame);
    await new Promise((done) => setTimeout(done, 200));
    expect(blamesTo1()).toBe(2);
  });

  it('names a member whose reveal, sent with its partial, does not open its commitment', async () => {
    const sent: Sent[] = [];
    const badReveal: Tamper = (member, env, _to, reseal) => {
      if (member !== 2 || env.type !== MessageType.partialSigs) return undefined;
      const body = decodePayload(env.type, env.payload).body as PartialSigsPayload;
      const electionReveal = randomBytes(32);
      return reseal({ ...env, payload: encodePartialSigs({ ...body, electionReveal }) });
    };
    group = await createGroup(3, { tamper: recording(sent, badReveal) });
    const g = group;
    autoApprove(g);
    const results = await proposeAndSettle(g);
    for (const r of results.filter((r) => r.me !== 2))
      expect(r).toMatchObject({ phase: 'failed', end: { reason: 'badReveal', culprit: 2 } });
    const blame = blamesIn(sent).find((b) => b.member !== 2)!.body;
    expect(blame.reason).toBe(BlameReason.badReveal);
    expect(blame.evidence.map((e) => openEnvelope(e).type)).toEqual([
      MessageType.approval,
      MessageType.partialSigs,
    ]);
    for (const score of honestScores(g, 2)) expect(score).toBeGreaterThanOrEqual(0);
  });

  it('fails naming nobody when a partial names another set and no proof comes', async () => {
    const sent: Sent[] = [];
    // Member 2 claims a nonce set nobody holds (no signer equivocated, so nothing can prove it).
    const lie: Tamper = (member, env, _to, reseal) => {
      if (member !== 2 || env.type !== MessageType.partialSigs) return undefined;
      const body = decodePayload(env.type, env.payload).body as PartialSigsPayload;
      const nonceSetHash = randomBytes(32);
      const transcriptHash = signTranscript(
        attemptTranscript(env.sessionId, body.attempt),
        nonceSetHash,
      );
      return reseal({
        ...env,
        transcriptHash,
        payload: encodePartialSigs({ ...body, nonceSetHash }),
      });
    };
    // Its own set is sound, so it could still broadcast the spend: it crashes instead.
    group = await createGroup(3, {
      tamper: recording(sent, lie),
      timeouts: { mismatchMs: 300 },
      crashOnBroadcast: (i) => i === 2,
    });
    const g = group;
    autoApprove(g);
    const results = await proposeAndSettle(g, 2); // member 2 crashed: it never settles
    for (const r of results.filter((r) => r.me !== 2)) {
      expect(r.phase).toBe('failed');
      expect(r.end).toMatchObject({ reason: 'nonce-mismatch' });
      expect(r.end?.culprit).toBeUndefined();
      expect(r.end).not.toHaveProperty('suspect');
    }
    // The honest members disclosed their sets; none of them was blamed or penalised.
    expect(sent.filter((s) => s.env.type === MessageType.nonceDisclosure).length).toBeGreaterThan(
      0,
    );
    expect(blamesIn(sent)).toEqual([]);
    for (const score of honestScores(g, 2)) expect(score).toBeGreaterThanOrEqual(0);
  });
});
