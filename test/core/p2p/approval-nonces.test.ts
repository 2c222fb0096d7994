import { bytesToHex } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, type SignedEnvelope, openEnvelope } from '../../../src/core/p2p/envelope.ts';
import {
  type AbortPayload,
  AbortReason,
  type BlamePayload,
  BlameReason,
  type NoncesPayload,
  type PartialSigsPayload,
  decodePayload,
  encodeNonces,
} from '../../../src/core/p2p/messages.ts';
import { nonceGen } from '../../../src/core/crypto/musig2.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import { randomBytes } from '@noble/hashes/utils.js';
import { attemptTranscript } from '../../../src/core/p2p/transcript.ts';
import {
  type Group,
  type Member,
  type Sent,
  type Tamper,
  createGroup,
  firstInputPushes,
  recording,
} from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';
import { leafFor } from '../../../src/core/wallet/vault.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/** The nonces an envelope carries: a nonces message's, or those riding with an approval. */
function noncesIn(env: SignedEnvelope): NoncesPayload | undefined {
  const payload = decodePayload(env.type, env.payload);
  if (payload.type === MessageType.nonces) return payload.body;
  if (payload.type === MessageType.approval) return payload.body.nonces;
  return undefined;
}

/**
 * The rules of the simulator's oracle over everything sent: a member never sends two different
 * nonce sets for one attempt, and no public nonce ever appears under two (member, attempt).
 */
function nonceReuse(sent: Sent[]): string[] {
  const sets = new Map<string, string>();
  const owners = new Map<string, string>();
  const found: string[] = [];
  for (const { member, env } of sent) {
    const nonces = noncesIn(env);
    if (!nonces) continue;
    const key = `${member}:${nonces.attempt}`;
    const payload = bytesToHex(encodeNonces(nonces));
    const earlier = sets.get(key);
    if (earlier !== undefined && earlier !== payload) found.push(`two nonce sets from ${key}`);
    sets.set(key, payload);
    for (const p of nonces.pubNonces) {
      const owner = owners.get(bytesToHex(p));
      if (owner !== undefined && owner !== key) found.push(`nonce of ${owner} again in ${key}`);
      owners.set(bytesToHex(p), key);
    }
  }
  return found;
}

const typesSent = (sent: Sent[], type: MessageType, member?: number) =>
  sent.filter((s) => s.env.type === type && (member === undefined || s.member === member));

function settledWithin(g: Group, id: string, ms = 10_000) {
  return Promise.race([
    Promise.all(g.members.map((m) => m.service.settled(id))),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the session stalled')), ms),
    ),
  ]);
}

/** Member 0 proposes (its approval follows); resolves once every other member has the session. */
async function propose(g: Group): Promise<string> {
  const seen = g.members.slice(1).map((m) => m.service.once('proposal'));
  const view = await g.members[0]!.service.propose(g.vault.id, g.spend([30_000_000n]));
  await Promise.all(seen);
  return view.id;
}

describe('nonces ride with the approval (docs/PROTOCOL.md §6.3, §6.5)', () => {
  it('runs a 3-of-3 round without a nonces message: the last approval completes the nonce round', async () => {
    const sent: Sent[] = [];
    group = await createGroup(3, { tamper: recording(sent) });
    const g = group;
    const [, m1, m2] = g.members as [Member, Member, Member];
    const id = await propose(g);
    await m1.service.approve(id);
    await until(() => m2.service.session(id)?.approvals.length === 2);
    // Member 2 holds both approvals and their nonces: approving, it signs in the same step.
    const view = await m2.service.approve(id);
    expect(view.phase).toBe('signing');
    expect(view.noncesFrom).toEqual([0, 1, 2]);
    expect(view.partialsFrom).toContain(2);
    const results = await settledWithin(g, id);
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(results.map((r) => r.attempt)).toEqual([1, 1, 1]);
    expect(typesSent(sent, MessageType.nonces)).toEqual([]);
    // Every approval carried its member's nonces for attempt 1.
    for (const i of [0, 1, 2]) {
      const approvals = typesSent(sent, MessageType.approval, i);
      expect(approvals.length).toBeGreaterThan(0);
      for (const a of approvals) expect(noncesIn(a.env)?.attempt).toBe(1);
    }
    expect(nonceReuse(sent)).toEqual([]);
    // One durable issued marker per member, stored before its approval left.
    for (const m of g.members)
      expect((await m.store.nonceMarkers(id)).map((x) => x.stage).sort()).toEqual([
        'consumed',
        'issued',
      ]);
  });

  it('a member restarted after its approval with nonces left signs only the next attempt, with fresh nonces', async () => {
    const sent: Sent[] = [];
    group = await createGroup(3, { tamper: recording(sent) });
    const g = group;
    const [m0, m1] = g.members as [Member, Member, Member];
    const id = await propose(g);
    await m1.service.approve(id);
    await until(() => m0.service.session(id)?.approvals.includes(1));
    const firstNonces = noncesIn(typesSent(sent, MessageType.approval, 1)[0]!.env);
    expect(firstNonces?.attempt).toBe(1);
    // Its secret nonces for attempt 1 die with the process; the public ones are out.
    const fresh = await g.restart(1);
    const m2 = g.members[2] as Member;
    await until(() => m0.service.session(id)?.attempt === 2);
    await m2.service.approve(id);
    const results = await settledWithin(g, id);
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(results.map((r) => r.attempt)).toEqual([2, 2, 2]);
    // It told the others it left attempt 1, and re-approved with fresh nonces for attempt 2.
    const aborts = typesSent(sent, MessageType.abort, 1).map(
      (s) => decodePayload(s.env.type, s.env.payload).body as AbortPayload,
    );
    expect(aborts).toContainEqual(
      expect.objectContaining({ attempt: 1, reason: AbortReason.restarted }),
    );
    const reapproval = typesSent(sent, MessageType.approval, 1).find(
      (s) => noncesIn(s.env)?.attempt === 2,
    );
    expect(reapproval).toBeDefined();
    // Nothing was signed on attempt 1, and no nonce was ever used twice.
    for (const s of typesSent(sent, MessageType.partialSigs))
      expect((decodePayload(s.env.type, s.env.payload).body as PartialSigsPayload).attempt).toBe(2);
    expect(nonceReuse(sent)).toEqual([]);
    expect(fresh.peerId).not.toBe('peer-1');
  });

  it('a last approver restarted before anything it sent arrived re-approves with the same nonces and completes', async () => {
    const sent: Sent[] = [];
    let lost = true;
    // Everything member 1 sends is lost until it restarts (as if it crashed right after storing).
    const drop: Tamper = (member) => (lost && member === 1 ? null : undefined);
    group = await createGroup(2, { tamper: recording(sent, drop) });
    const g = group;
    const id = await propose(g);
    // Its approval completes the nonce round: approval, markers and partial are one commit.
    const view = await g.members[1]!.service.approve(id);
    expect(view.partialsFrom).toContain(1);
    expect(typesSent(sent, MessageType.approval, 1)).toEqual([]);
    const [stored] = (await g.members[1]!.store.get(id))!.envelopes.filter(
      (e) => openEnvelope(e).type === MessageType.approval && openEnvelope(e).signerIndex === 1,
    );
    lost = false;
    await g.restart(1);
    const results = await settledWithin(g, id);
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
    expect(results.map((r) => r.attempt)).toEqual([1, 1]);
    // The re-approval carried the very nonces its stored approval did (no second set), and its
    // partial signature went out unchanged.
    const reapprovals = typesSent(sent, MessageType.approval, 1);
    expect(reapprovals.length).toBeGreaterThan(0);
    for (const r of reapprovals)
      expect(encodeNonces(noncesIn(r.env)!)).toEqual(
        encodeNonces(noncesIn(openEnvelope(stored!))!),
      );
    expect(typesSent(sent, MessageType.nonces)).toEqual([]);
    expect(nonceReuse(sent)).toEqual([]);
  });

  it('a revoked approval’s nonces are never used: the re-approval carries fresh ones for a later attempt', async () => {
    const sent: Sent[] = [];
    group = await createGroup(3, { tamper: recording(sent) });
    const g = group;
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    const id = await propose(g);
    await m1.service.approve(id);
    await until(() => m0.service.session(id)?.approvals.includes(1));
    await m1.service.revoke(id);
    await until(() => !m0.service.session(id)?.approvals.includes(1));
    await m1.service.approve(id);
    await until(() => m2.service.session(id)?.approvals.includes(1));
    await m2.service.approve(id);
    const results = await settledWithin(g, id);
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    const attempts = typesSent(sent, MessageType.approval, 1).map((s) => noncesIn(s.env)?.attempt);
    expect(attempts).toContain(1);
    expect(attempts).toContain(2);
    const signedOn = new Set(
      typesSent(sent, MessageType.partialSigs).map(
        (s) => (decodePayload(s.env.type, s.env.payload).body as PartialSigsPayload).attempt,
      ),
    );
    expect([...signedOn]).toEqual([2]);
    expect(nonceReuse(sent)).toEqual([]);
  });

  it('proves an equivocation between the nonces in an approval and a nonces message', async () => {
    const sent: Sent[] = [];
    // Member 1 sends, in place of its partial, a nonces message for attempt 1 whose nonces
    // differ from those its approval carried.
    const lie: Tamper = (member, env, _to, reseal) => {
      if (member !== 1 || env.type !== MessageType.partialSigs) return undefined;
      const { attempt } = decodePayload(env.type, env.payload).body as PartialSigsPayload;
      const body: NoncesPayload = {
        attempt,
        electionCommit: randomBytes(32),
        pubNonces: [nonceGen({ publicKey: getPublicKey(randomBytes(32)) }).pubNonce],
      };
      return reseal({
        ...env,
        type: MessageType.nonces,
        transcriptHash: attemptTranscript(env.sessionId, attempt),
        payload: encodeNonces(body),
      });
    };
    group = await createGroup(3, { tamper: recording(sent, lie) });
    const g = group;
    const [, m1, m2] = g.members as [Member, Member, Member];
    const id = await propose(g);
    await m1.service.approve(id);
    await until(() => m2.service.session(id)?.approvals.length === 2);
    await m2.service.approve(id);
    const results = await settledWithin(g, id);
    for (const r of results.filter((r) => r.me !== 1))
      expect(r).toMatchObject({ phase: 'failed', end: { reason: 'equivocation', culprit: 1 } });
    const blame = typesSent(sent, MessageType.blame).find((b) => b.member !== 1);
    expect(blame).toBeDefined();
    const body = decodePayload(blame!.env.type, blame!.env.payload).body as BlamePayload;
    expect(body).toMatchObject({ culprit: 1, reason: BlameReason.equivocation, attempt: 1 });
    // The proof: its signed approval (with nonces) and its signed nonces message.
    expect(body.evidence.map((e) => openEnvelope(e).type)).toEqual([
      MessageType.approval,
      MessageType.nonces,
    ]);
    // (Member 1 itself holds a sound set and may broadcast the approved spend; nobody else does.)
    expect(g.chain.broadcasts.filter((b) => b.by !== 'member-1')).toEqual([]);
  });

  it('a threshold vault every member approves signs its key path without a nonces message', async () => {
    const sent: Sent[] = [];
    group = await createGroup(3, { threshold: 2, tamper: recording(sent) });
    const g = group;
    const [, m1, m2] = g.members as [Member, Member, Member];
    const id = await propose(g);
    await m1.service.approve(id);
    await until(() => m2.service.session(id)?.approvals.length === 2);
    // The key path is the session's until a path is named: the last approval signs at once.
    const view = await m2.service.approve(id);
    expect(view.phase).toBe('signing');
    expect(view.partialsFrom).toContain(2);
    const results = await settledWithin(g, id);
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(results.map((r) => r.pathSigners)).toEqual([undefined, undefined, undefined]);
    for (const s of typesSent(sent, MessageType.approval)) expect(noncesIn(s.env)?.attempt).toBe(1);
    expect(typesSent(sent, MessageType.nonces)).toEqual([]);
    expect(nonceReuse(sent)).toEqual([]);
  });

  it('a leaf named for the very attempt an approval carried key-path nonces for uses them once', async () => {
    const sent: Sent[] = [];
    // Member 1's revoke never reaches anyone: the proposer stays on attempt 1 while member 1
    // moves to attempt 2 and approves again with nonces for it, made while the key path stood.
    const lostRevoke: Tamper = (member, env) =>
      member === 1 && env.type === MessageType.revoke ? null : undefined;
    group = await createGroup(3, {
      threshold: 2,
      manualClock: true,
      tamper: recording(sent, lostRevoke),
    });
    const g = group;
    const [m0, m1] = g.members as [Member, Member, Member];
    const view = await m0.service.propose(g.vault.id, g.spend([30_000_000n]), {
      leafAfterMs: 1_000,
    });
    await until(() => m1.service.session(view.id) !== undefined);
    await m1.service.approve(view.id);
    await until(() => m0.service.session(view.id)?.approvals.includes(1));
    await m1.service.revoke(view.id);
    expect(m1.service.session(view.id)?.attempt).toBe(2);
    // The proposer answers a repeated approval by sending its own to that member again.
    const proposerApprovals = typesSent(sent, MessageType.approval, 0).length;
    await m1.service.approve(view.id);
    const carried = typesSent(sent, MessageType.approval, 1)
      .map((s) => noncesIn(s.env))
      .find((n) => n?.attempt === 2);
    expect(carried).toBeDefined();
    await until(() => typesSent(sent, MessageType.approval, 0).length > proposerApprovals);
    expect(m0.service.session(view.id)?.attempt).toBe(1);
    // The deadline passes with member 2 silent: the proposer names [0, 1] for its attempt + 1 = 2.
    g.clock!.advance(1_000);
    const results = await Promise.all([0, 1].map((i) => g.members[i]!.service.settled(view.id)));
    for (const r of results) expect(r).toMatchObject({ phase: 'completed', attempt: 2 });
    expect(results[0]!.pathSigners).toEqual([0, 1]);
    // Member 1 signed the leaf on the nonces its approval carried: it sent no nonces message.
    expect(typesSent(sent, MessageType.nonces, 1)).toEqual([]);
    expect(typesSent(sent, MessageType.nonces, 0).length).toBeGreaterThan(0);
    const [, script] = firstInputPushes(g, results[0]!.txid as string);
    expect(script).toEqual(leafFor(g.vault, [0, 1])!.script);
    expect(nonceReuse(sent)).toEqual([]);
  });
});
