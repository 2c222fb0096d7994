/**
 * Hostile members: the real signing service behind a transport that rewrites what it sends
 * (equivocating nonces, in nonce messages or approvals, corrupted partial signatures) or adds to it (replays of its own old
 * frames, floods of copies kept within the receivers' rate budget, a few undecodable frames).
 * Each misbehaviour is recorded when it actually happens, so the blame invariant can tell a
 * member who misbehaved from one who did not.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { nonceGen } from '../../src/core/crypto/musig2.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { MessageType, openEnvelope, sealEnvelope } from '../../src/core/p2p/envelope.ts';
import { openFrame, sealFrame } from '../../src/core/p2p/frames.ts';
import {
  type NoncesPayload,
  type PartialSigsPayload,
  decodePayload,
  encodeApproval,
  encodeNonces,
  encodePartialSigs,
} from '../../src/core/p2p/messages.ts';
import type { FrameValidator, Transport, TransportHandler } from '../../src/core/p2p/transport.ts';
import type { VaultKeys } from '../../src/core/p2p/vault-keys.ts';
import type { Prng } from './prng.ts';

export type HostileKind = 'equivocate' | 'bad-partial' | 'replay' | 'flood';

/** What a hostile member actually did (kinds that end a session with blame come first). */
export type Misbehaviour = 'equivocation' | 'invalid-partial' | 'replay' | 'flood' | 'junk';

export interface Adversary {
  member: number;
  kind: HostileKind;
  /** The member index it equivocates towards. */
  target: number;
  readonly did: Set<Misbehaviour>;
  /** Frames it sent, for replays and floods (bounded). */
  readonly sent: Uint8Array[];
}

export function newAdversary(member: number, kind: HostileKind, target: number): Adversary {
  return { member, kind, target, did: new Set(), sent: [] };
}

/**
 * `inner` as seen by adversary `adv`: frames are opened, possibly rewritten and re-signed with
 * the member's own key (`secret`), and sealed again. `memberOf` names the member behind a peer id.
 */
export function hostileTransport(
  inner: Transport,
  adv: Adversary,
  keys: VaultKeys,
  secret: Uint8Array,
  memberOf: (peerId: string) => number | undefined,
  prng: Prng,
): Transport {
  // A retried frame is rewritten the same way each time (one lie per envelope, not a new one).
  const rewritten = new Map<string, Uint8Array | null>();
  const rewrite = (frame: Uint8Array, to: string): Uint8Array => {
    let envBytes: Uint8Array;
    try {
      envBytes = openFrame(keys, frame);
    } catch {
      return frame;
    }
    const env = openEnvelope(envBytes);
    const key = `${bytesToHex(env.signature)}>${to === 'topic' ? 'topic' : memberOf(to)}`;
    let out = rewritten.get(key);
    if (out === undefined) {
      out = null;
      const payload = decodePayload(env.type, env.payload);
      const carried = payload.type === MessageType.approval ? payload.body.nonces : undefined;
      if (adv.kind === 'equivocate' && (env.type === MessageType.nonces || carried)) {
        if (to !== 'topic' && memberOf(to) === adv.target) {
          const lie = (body: NoncesPayload): NoncesPayload => ({
            ...body,
            pubNonces: body.pubNonces.map(
              () => nonceGen({ publicKey: getPublicKey(prng.fill(new Uint8Array(32))) }).pubNonce,
            ),
          });
          // Nonces riding with an approval are lied about inside it (the gossip and mailbox
          // copies stay true: the target may see either first).
          const forged =
            payload.type === MessageType.approval && carried
              ? encodeApproval({ ...payload.body, nonces: lie(carried) })
              : encodeNonces(lie(payload.body as NoncesPayload));
          out = sealEnvelope({ ...env, payload: forged }, secret);
          adv.did.add('equivocation');
        }
      } else if (adv.kind === 'bad-partial' && env.type === MessageType.partialSigs) {
        const body = decodePayload(env.type, env.payload).body as PartialSigsPayload;
        const partialSigs = body.partialSigs.map((p) => {
          const q = p.slice();
          q[31] = (q[31] as number) ^ 1;
          return q;
        });
        out = sealEnvelope(
          { ...env, payload: encodePartialSigs({ ...body, partialSigs }) },
          secret,
        );
        adv.did.add('invalid-partial');
      }
      rewritten.set(key, out);
    }
    const result = out ? sealFrame(keys, out) : frame;
    if (adv.sent.length < 64) adv.sent.push(result);
    return result;
  };
  return {
    peerId: inner.peerId,
    subscribe: (topic: string, handler: TransportHandler, validate?: FrameValidator) =>
      inner.subscribe(topic, handler, validate),
    onDirect: (handler: TransportHandler) => inner.onDirect(handler),
    publish: (topic, data) => inner.publish(topic, rewrite(data, 'topic')),
    send: (peer, data, signal) => inner.send(peer, rewrite(data, peer), signal),
    putRecord: (id, payload, expiresAt) => inner.putRecord(id, payload, expiresAt),
    getRecord: (id) => inner.getRecord(id),
  };
}

/**
 * One burst of extra traffic from `adv` to `peers`: old frames of its own again (replay), or
 * up to `budget` copies per peer plus a few frames no member can open (flood). Sent on the raw
 * transport, so nothing here is rewritten again.
 */
export function hostileBurst(
  adv: Adversary,
  raw: Transport,
  peers: string[],
  prng: Prng,
  budget: number,
): void {
  if (adv.sent.length === 0 || peers.length === 0) return;
  const fire = (peer: string, frame: Uint8Array) => {
    void raw.send(peer, frame).catch(() => undefined);
  };
  if (adv.kind === 'replay') {
    for (const peer of peers) fire(peer, prng.pick(adv.sent));
    adv.did.add('replay');
  } else if (adv.kind === 'flood') {
    for (const peer of peers) {
      const copies = prng.int(budget / 4, budget);
      for (let i = 0; i < copies; i++) fire(peer, prng.pick(adv.sent));
      // One undecodable frame per burst: it costs the sender 10 points, ten of them a ban.
      fire(peer, prng.fill(new Uint8Array(prng.int(1, 300))));
    }
    adv.did.add('flood');
    adv.did.add('junk');
  }
}
