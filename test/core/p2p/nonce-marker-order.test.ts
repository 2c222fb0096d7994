import { hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, openEnvelope } from '../../../src/core/p2p/envelope.ts';
import { openFrame } from '../../../src/core/p2p/frames.ts';
import type { NonceMarker } from '../../../src/core/p2p/session-store.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';
import { type Group, type Member, createGroup } from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/** Records the message types `member` sends directly, as they leave its transport. */
function sentTypes(g: Group, member: Member): MessageType[] {
  const keys = deriveVaultKeys(hexToBytes(g.vault.id));
  const types: MessageType[] = [];
  const send = member.transport.send.bind(member.transport);
  member.transport.send = (peer, frame, signal) => {
    types.push(openEnvelope(openFrame(keys, frame)).type);
    return send(peer, frame, signal);
  };
  return types;
}

/** Holds `member`'s writes of a 'consumed' marker until released (or fails them). */
function holdConsumed(member: Member) {
  const commit = member.store.commit.bind(member.store);
  const held: { marker: NonceMarker; release: () => void; fail: () => void }[] = [];
  member.store.commit = (write) => {
    const marker = write.markers?.find((m) => m.stage === 'consumed');
    if (!marker) return commit(write);
    return new Promise<void>((resolve, reject) =>
      held.push({
        marker,
        release: () => void commit(write).then(resolve, reject),
        fail: () => reject(new Error('disk full')),
      }),
    );
  };
  return held;
}

/**
 * Member 0 proposes; member 1 approves, then member 2: member 1's nonces ride with its approval,
 * and the step that signs for it is the one that receives member 2's approval (its consumed
 * marker is in that step's commit, not in its approval's).
 */
async function proposeThenApprove(g: Group): Promise<string> {
  const seen = [1, 2].map((i) => g.members[i]!.service.once('proposal'));
  const view = await g.members[0]!.service.propose(g.vault.id, g.spend([20_000_000n]));
  await Promise.all(seen);
  await g.members[1]!.service.approve(view.id);
  await g.members[2]!.service.approve(view.id);
  return view.id;
}

describe('the consumed nonce marker is on record before a partial signature leaves', () => {
  it('sends no partial signature while the marker write is pending, then completes', async () => {
    group = await createGroup(3);
    const g = group;
    const signer = g.members[1] as Member;
    const sent = sentTypes(g, signer);
    const held = holdConsumed(signer);
    const id = await proposeThenApprove(g);
    const pending = await until(() => held[0]);
    expect(pending.marker.attempt).toBe(1);
    // The round went as far as signing (the others' partials are in), its partial did not leave.
    await until(() => g.members[0]!.service.session(id)?.partialsFrom?.includes(2));
    expect(sent).toContain(MessageType.approval);
    expect(sent).not.toContain(MessageType.partialSigs);
    expect((await signer.store.nonceMarkers(id)).map((m) => m.stage)).toEqual(['issued']);
    pending.release();
    const results = await Promise.all(g.members.map((m) => m.service.settled(id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(sent).toContain(MessageType.partialSigs);
  });

  it('never sends the partial signature when the marker cannot be stored', async () => {
    group = await createGroup(3);
    const g = group;
    const signer = g.members[1] as Member;
    const sent = sentTypes(g, signer);
    const held = holdConsumed(signer);
    const id = await proposeThenApprove(g);
    (await until(() => held[0])).fail();
    expect(sent).toContain(MessageType.approval);
    // Members 0 and 2 sign and send their partials; signer 1's, made but never recorded, goes
    // nowhere: not to the others, and not inside a final transaction of its own.
    await until(() => g.members[1]!.service.session(id)?.partialsFrom?.length === 2);
    expect(sent).not.toContain(MessageType.partialSigs);
    const mine = signer.service.session(id);
    expect(mine?.partialsFrom).toEqual([0, 2]);
    expect(mine?.txid).toBeUndefined();
    expect(g.members[0]!.service.session(id)?.partialsFrom).toEqual([0, 2]);
    expect(g.chain.broadcasts).toHaveLength(0);
  });

  it('sends nothing of the last approval when its markers cannot be stored', async () => {
    // Member 1 approves last: its approval (with its nonces) completes the round, so the issued
    // and consumed markers, the approval and the partial are one commit, and it fails.
    group = await createGroup(2);
    const g = group;
    const signer = g.members[1] as Member;
    const sent = sentTypes(g, signer);
    const held = holdConsumed(signer);
    const seen = signer.service.once('proposal');
    await g.members[0]!.service.propose(g.vault.id, g.spend([20_000_000n]));
    const { id } = await seen;
    const approving = signer.service.approve(id);
    const pending = await until(() => held[0]);
    pending.fail();
    await expect(approving).rejects.toThrow('disk full');
    expect(sent).toEqual([]);
    expect(signer.service.session(id)?.approvedByMe).toBe(false);
    expect(g.members[0]!.service.session(id)?.approvals).toEqual([0]);
  });
});
