import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, openEnvelope } from '../../../src/core/p2p/envelope.ts';
import { openFrame } from '../../../src/core/p2p/frames.ts';
import type { SessionWrite } from '../../../src/core/p2p/session-store.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';
import { type Group, type Member, createGroup } from '../../support/signing-group.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/**
 * Every commit `member` makes, and the envelopes whose commit had resolved (were durable). The
 * store answers after a few milliseconds, as a disk would, so a send that did not wait shows.
 */
function watchCommits(member: Member) {
  const commits: SessionWrite[] = [];
  const durable = new Set<string>();
  const commit = member.store.commit.bind(member.store);
  member.store.commit = async (write) => {
    commits.push(write);
    await commit(write);
    await new Promise((r) => setTimeout(r, 3));
    for (const e of write.envelopes ?? []) durable.add(bytesToHex(e));
  };
  return { commits, durable };
}

/** Own envelopes `member` sent before the commit that stores them had resolved. */
function watchEarlySends(g: Group, member: Member, durable: Set<string>) {
  const keys = deriveVaultKeys(hexToBytes(g.vault.id));
  const early: MessageType[] = [];
  const send = member.transport.send.bind(member.transport);
  member.transport.send = (peer, frame, signal) => {
    const bytes = openFrame(keys, frame);
    const env = openEnvelope(bytes);
    if (env.signerIndex === member.index && !durable.has(bytesToHex(bytes))) early.push(env.type);
    return send(peer, frame, signal);
  };
  return early;
}

const typesOf = (write: SessionWrite) =>
  (write.envelopes ?? []).map((e) => {
    const env = openEnvelope(e);
    return { type: env.type, signer: env.signerIndex };
  });

describe('one commit per protocol step', () => {
  it('stores each nonce marker with the envelope it guards, durable before anything leaves', async () => {
    group = await createGroup(3);
    const g = group;
    const watched = g.members.map((m) => watchCommits(m));
    const early = g.members.map((m, i) => watchEarlySends(g, m, watched[i]!.durable));
    for (const m of g.members)
      m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([20_000_000n]));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);

    g.members.forEach((member, i) => {
      const { commits } = watched[i]!;
      expect(early[i], `member ${i} sent an envelope before storing it`).toEqual([]);
      const withStage = (stage: string) =>
        commits.filter((c) => c.markers?.some((m) => m.stage === stage));
      // The issued marker and our approval its nonces ride with land together, and so do the
      // consumed marker and our partial signature: a restart finds both or neither.
      const [issued, ...moreIssued] = withStage('issued');
      expect(moreIssued).toEqual([]);
      expect(typesOf(issued!)).toContainEqual({ type: MessageType.approval, signer: member.index });
      const [consumed, ...moreConsumed] = withStage('consumed');
      expect(moreConsumed).toEqual([]);
      expect(typesOf(consumed!)).toContainEqual({
        type: MessageType.partialSigs,
        signer: member.index,
      });
      for (const c of commits) expect(c.sessionId).toBe(view.id);
    });
    // A received envelope rides in the commit of the step it caused (our answer first, then it).
    const mixed = g.members.flatMap((member, i) =>
      watched[i]!.commits.filter((c) => {
        const signers = typesOf(c).map((t) => t.signer);
        return signers[0] === member.index && signers.some((s) => s !== member.index);
      }),
    );
    expect(mixed.length).toBeGreaterThan(0);
  });
});
