import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { taggedHash } from '../../../src/core/crypto/hash.ts';
import { schnorrSign } from '../../../src/core/crypto/schnorr.ts';
import { sealFrame } from '../../../src/core/p2p/frames.ts';
import type { SessionView } from '../../../src/core/p2p/session.ts';
import type { SigningEvents } from '../../../src/core/p2p/signing-service.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';
import { handSealedProposal } from '../../support/hand-proposal.ts';
import { type Group, createGroup } from '../../support/signing-group.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/** A proposal as a protocol 1 client seals it: envelope version 1, signed by member 0's key. */
function v1Proposal(g: Group): Uint8Array {
  const v2 = handSealedProposal(g, 'from an old install', g.members[0]!.secretKey);
  const signed = Uint8Array.from(v2.subarray(0, v2.length - 64));
  signed[0] = 1;
  const signature = schnorrSign(taggedHash('Petal/msg/v1', signed), g.members[0]!.secretKey);
  return concatBytes(signed, signature);
}

describe('a member still running signing protocol 1', () => {
  it('is refused with a typed reason, reported once, and not penalised', async () => {
    group = await createGroup(2);
    const g = group;
    const member = g.members[1]!;
    const outdated: SigningEvents['outdated'][] = [];
    const proposals: SessionView[] = [];
    member.service.on('outdated', (o) => outdated.push(o));
    member.service.on('proposal', (v) => proposals.push(v));
    const old = g.network.join('old-install');
    const keys = deriveVaultKeys(hexToBytes(g.vault.id));
    const frame = sealFrame(keys, v1Proposal(g));
    // Direct, direct again, and by gossip: one report for the peer.
    await old.send(member.peerId, frame);
    await old.send(member.peerId, sealFrame(keys, v1Proposal(g)));
    await old.publish(keys.topic, frame);
    await new Promise((r) => setTimeout(r, 100));
    expect(outdated).toEqual([
      {
        vaultId: g.vault.id,
        reason: 'old-protocol',
        message: 'peer runs Petal signing protocol 1; update',
        from: 'old-install',
      },
    ]);
    expect(proposals).toEqual([]);
    expect(member.service.reputation.score('old-install')).toBeGreaterThanOrEqual(0);
    expect(member.service.reputation.isBanned('old-install')).toBe(false);
    // The service carries on: the two updated members still sign.
    for (const m of g.members)
      m.service.on('proposal', (v) => void m.service.approve(v.id).catch(() => undefined));
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([9_000_000n]));
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
  });
});
