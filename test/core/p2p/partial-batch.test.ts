import { afterEach, describe, expect, it } from 'vitest';
import {
  SigningKey,
  applyTaprootTweak,
  keyAgg,
  nonceAgg,
  nonceGen,
  sign,
} from '../../../src/core/crypto/index.ts';
import { type SignerPartials, firstInvalidSigner } from '../../../src/core/p2p/musig-round.ts';
import {
  type Group,
  type Tamper,
  createGroup,
  flipOneBit,
  rewritePartials,
} from '../../support/signing-group.ts';

/** A real 6-member Taproot vault signing two inputs: every member's nonces and partials. */
function attempt(inputs = 2) {
  const members = Array.from({ length: 6 }, () => {
    const sk = crypto.getRandomValues(new Uint8Array(32));
    sk[0] = 1 + ((sk[0] as number) % 200);
    return new SigningKey(sk);
  });
  const ctx = applyTaprootTweak(keyAgg(members.map((m) => m.publicKey)));
  members.sort((a, b) => ctx.indexOf(a.publicKey) - ctx.indexOf(b.publicKey));
  const sighashes = Array.from({ length: inputs }, () =>
    crypto.getRandomValues(new Uint8Array(32)),
  );
  const nonces = members.map((m) =>
    sighashes.map((message) => nonceGen({ secretKey: m, publicKey: m.publicKey, message })),
  );
  const aggNonces = sighashes.map((_, i) => nonceAgg(nonces.map((n) => n[i]!.pubNonce)));
  const signers: SignerPartials[] = members.map((m, position) => ({
    position,
    partialSigs: sighashes.map((msg, i) =>
      sign(nonces[position]![i]!.secNonce, m, ctx, aggNonces[i]!, msg),
    ),
    pubNonces: nonces[position]!.map((n) => n.pubNonce),
  }));
  return { ctx, checked: { sighashes }, aggNonces, signers };
}

/** `signers` with one bit of `who`'s partial on `input` flipped. */
function corrupt(signers: SignerPartials[], who: number, input: number): SignerPartials[] {
  return signers.map((s, k) => {
    if (k !== who) return s;
    const partialSigs = s.partialSigs.map((p) => p.slice());
    partialSigs[input]![31]! ^= 1;
    return { ...s, partialSigs };
  });
}

describe('checking the others’ partial signatures together at aggregation', () => {
  it('accepts an attempt whose partials all verify (as one member checks the others)', () => {
    const { ctx, checked, aggNonces, signers } = attempt();
    expect(firstInvalidSigner(ctx, signers, aggNonces, checked)).toBe(-1);
    expect(firstInvalidSigner(ctx, signers.slice(1), aggNonces, checked)).toBe(-1);
  });

  it('names the one member whose partial is bad, whichever input it spoiled', () => {
    const { ctx, checked, aggNonces, signers } = attempt();
    for (const [who, input] of [
      [3, 1],
      [0, 0],
      [5, 1],
    ] as const) {
      const list = corrupt(signers, who, input);
      expect(firstInvalidSigner(ctx, list, aggNonces, checked)).toBe(who);
      // Only the others, as member 2 checks them: the index is into that list.
      const others = list.filter((s) => s.position !== 2);
      const named = firstInvalidSigner(ctx, others, aggNonces, checked);
      expect(others[named]?.position).toBe(who);
    }
  });

  it('names the same member for everyone when two are bad: the first on the earliest input', () => {
    const { ctx, checked, aggNonces, signers } = attempt();
    const list = corrupt(corrupt(signers, 1, 1), 4, 0);
    expect(firstInvalidSigner(ctx, list, aggNonces, checked)).toBe(4);
    expect(firstInvalidSigner(ctx, [...list].reverse(), aggNonces, checked)).toBe(1);
  });

  it('names a member whose partials do not match the inputs, or sit at another position', () => {
    const { ctx, checked, aggNonces, signers } = attempt();
    const extra = signers.map((s, k) =>
      k === 2 ? { ...s, partialSigs: [...s.partialSigs, s.partialSigs[0]!] } : s,
    );
    expect(firstInvalidSigner(ctx, extra, aggNonces, checked)).toBe(2);
    // Member 3's valid partials claimed for position 4: both 3's slot and 4's fail, 3 comes first.
    const swapped = signers.map((s, k) => (k === 3 ? { ...s, position: 4 } : s));
    expect(firstInvalidSigner(ctx, swapped, aggNonces, checked)).toBe(3);
  });
});

describe('a signing session checks partials at aggregation and still names the culprit', () => {
  let group: Group | undefined;
  afterEach(async () => {
    await group?.stop();
    group = undefined;
  });

  async function settleWith(tamper: Tamper) {
    group = await createGroup(5, { tamper });
    const g = group;
    for (const m of g.members)
      m.service.on('proposal', (view) => void m.service.approve(view.id).catch(() => undefined));
    const view = await g.members[0]!.service.propose(g.vault.id, g.spend([50_000_000n]));
    return Promise.all(g.members.map((m) => m.service.settled(view.id)));
  }

  it('names the member whose partial is bad among four good ones, and nobody broadcasts', async () => {
    const results = await settleWith(rewritePartials(3, flipOneBit));
    for (const r of results.filter((r) => r.me !== 3))
      expect(r.end).toMatchObject({ reason: 'invalidPartialSig', culprit: 3 });
    expect(group!.chain.broadcasts.filter((b) => b.by !== 'member-3')).toEqual([]);
  });

  it('blames with proof when only one member received the bad partial', async () => {
    const onlyToPeer1 = rewritePartials(3, flipOneBit);
    const results = await settleWith((member, env, to, reseal) =>
      to === 'peer-1' ? onlyToPeer1(member, env, to, reseal) : undefined,
    );
    expect(results[1]?.end).toMatchObject({ reason: 'invalidPartialSig', culprit: 3 });
    // The others held good partials: each either completed first or accepted member 1's proof.
    for (const r of results.filter((r) => r.me !== 3 && r.me !== 1)) {
      if (r.phase !== 'completed')
        expect(r.end).toMatchObject({ reason: 'invalidPartialSig', culprit: 3 });
    }
    // Member 1's blame carried the signed evidence: nobody charged it with a false blame.
    for (const m of group!.members.filter((m) => m.index !== 3))
      expect(m.service.reputation.score('peer-1')).toBeGreaterThanOrEqual(0);
  });
});
