import { hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, openEnvelope } from '../../../src/core/p2p/envelope.ts';
import { sealFrame } from '../../../src/core/p2p/frames.ts';
import type { MemorySessionStore } from '../../../src/core/p2p/session-store.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';
import { type Group, type Member, createGroup } from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/** How many stored envelopes of `type` from `signer` member `store` holds for the session. */
async function stored(store: MemorySessionStore, id: string, type: number, signer: number) {
  const record = await store.get(id);
  return (record?.envelopes ?? [])
    .map((bytes) => openEnvelope(bytes))
    .filter((env) => env.type === type && env.signerIndex === signer).length;
}

/**
 * The simulator's `approval-order` (docs/SIMULATOR.md, PROTOCOL.md §6.4): a member revokes and
 * approves again, and a receiver takes the new approval before the older revoke (one came by
 * mailbox or an earlier retry, the other late). Of one member's approvals and revokes the newest
 * by envelope sequence wins: the late revoke must not withdraw the newer approval, or the
 * session stalls (the direct copies of the approval are replays by then).
 */
describe('an approval and an older revoke arriving out of order', () => {
  it('keeps the newer approval, and the session completes', async () => {
    let revokeBytes: Uint8Array | undefined;
    group = await createGroup(3, {
      // Member 1's revoke reaches nobody now; the test delivers it late, below.
      tamper: (member, env, _to, reseal) => {
        if (member !== 1 || env.type !== MessageType.revoke) return undefined;
        revokeBytes ??= reseal(env);
        return null;
      },
    });
    const g = group;
    const keys = deriveVaultKeys(hexToBytes(g.vault.id));
    const [m0, m1, m2] = g.members as [Member, Member, Member];
    const view = await m0.service.propose(g.vault.id, g.spend([7_000_000n]));
    const id = view.id;
    await until(() => m1.service.session(id));
    await m1.service.approve(id);
    await m1.service.revoke(id);
    await m1.service.approve(id);
    // Member 0 has both of member 1's approvals (the second arrived after nothing withdrew the first).
    await until(async () => (await stored(m0.store, id, MessageType.approval, 1)) === 2);
    // Now the older revoke arrives, straight from member 1's peer.
    await m1.transport.send(m0.peerId, sealFrame(keys, revokeBytes as Uint8Array));
    await until(async () => (await stored(m0.store, id, MessageType.revoke, 1)) === 1);
    expect(m0.service.session(id)?.approvals).toContain(1);
    await until(() => m2.service.session(id));
    await m2.service.approve(id);
    const results = await Promise.all(g.members.map((m) => m.service.settled(id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed', 'completed']);
  });
});
