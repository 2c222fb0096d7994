import { hexToBytes } from '@noble/hashes/utils.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, openEnvelope } from '../../../src/core/p2p/envelope.ts';
import { openFrame } from '../../../src/core/p2p/frames.ts';
import { deriveVaultKeys } from '../../../src/core/p2p/vault-keys.ts';
import {
  type Group,
  type Member,
  type Sent,
  createGroup,
  recording,
} from '../../support/signing-group.ts';
import { until } from '../../support/until.ts';

let group: Group | undefined;
afterEach(async () => {
  await group?.stop();
  group = undefined;
});

/**
 * The simulator's `restart-after-signing` (docs/SIMULATOR.md): a member whose partial signature
 * was stored, but never reached the others, restarts under a new peer id. It must re-announce its
 * approval so the others rebind it, or they set its re-sent partial signature aside until expiry.
 */
describe('a member restarted after storing its partial signature', () => {
  it('re-approves from its new peer, and the session completes', async () => {
    group = await createGroup(2);
    const g = group;
    const keys = deriveVaultKeys(hexToBytes(g.vault.id));
    const signer = g.members[1] as Member;
    // Member 1's partial signature never leaves its first process: it crashes instead.
    let restarted: Promise<Member> | undefined;
    const send = signer.transport.send.bind(signer.transport);
    signer.transport.send = (peer, frame, signal) => {
      if (openEnvelope(openFrame(keys, frame)).type !== MessageType.partialSigs)
        return send(peer, frame, signal);
      restarted ??= g.restart(1);
      return new Promise(() => undefined);
    };
    for (const m of g.members)
      m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([9_000_000n]));
    const fresh = await (await until(() => restarted))!;
    expect(fresh.peerId).not.toBe(signer.peerId);
    const results = await Promise.all(g.members.map((m) => m.service.settled(view.id)));
    expect(results.map((r) => r.phase)).toEqual(['completed', 'completed']);
    expect(results[0]!.txid).toBe(results[1]!.txid);
  });

  it('keeps a member that holds the final transaction in its failover turn when another restarts', async () => {
    const sent: Sent[] = [];
    let crashed: number | undefined;
    group = await createGroup(3, {
      tamper: recording(sent),
      // The first in the broadcast order crashes instead; failover is far off, so the phases
      // below are the ones the others would fail over from.
      crashOnBroadcast: (i) => {
        crashed ??= i;
        return crashed === i;
      },
      timeouts: { failoverMs: 60_000 },
    });
    const g = group;
    for (const m of g.members)
      m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([9_000_000n]));
    const [j, k] = await until(() => {
      const others = g.members.filter((m) => m.index !== crashed);
      const ready = others.every((m) => m.service.session(view.id)?.phase === 'broadcasting');
      return crashed !== undefined && ready && others.map((m) => m.index);
    });
    // j restarts: its repeated approval carries its nonces again, and k signs again on them.
    const fresh = await g.restart(j!);
    await until(() =>
      sent.some(
        (s) => s.member === k && s.to === fresh.peerId && s.env.type === MessageType.partialSigs,
      ),
    );
    // Signing again must not take k's finished round back to 'signing': its failover turn
    // checks 'broadcasting', and nobody else would broadcast (simulator seed 3946470924).
    expect(g.members[k!]!.service.session(view.id)?.phase).toBe('broadcasting');
  });
});
