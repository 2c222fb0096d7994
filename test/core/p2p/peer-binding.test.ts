import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/core/p2p/envelope.ts';
import type { Inbound, Session } from '../../../src/core/p2p/session.ts';
import { awaitsBinding } from '../../../src/core/p2p/signing/machine.ts';

/** The fields the binding rule reads of a received partial signature. */
function partialFrom(signerIndex: number, from: string): Inbound {
  const env = { signerIndex } as Inbound['env'];
  const payload = { type: MessageType.partialSigs } as Inbound['payload'];
  return { env, payload, bytes: new Uint8Array(0), from };
}

describe('peer binding (docs/PROTOCOL.md §5.4)', () => {
  it('sets a round message aside until its peer is the one its signer bound', () => {
    const session = { peers: ['peer-0', undefined] } as unknown as Session;
    const early = partialFrom(1, 'peer-1');
    expect(awaitsBinding(session, early)).toBe(true);
    session.peers[1] = 'peer-1';
    expect(awaitsBinding(session, early)).toBe(false);
  });

  it('keeps a message from the bound peer standing when its signer restarts and rebinds', () => {
    const session = { peers: ['peer-0', 'peer-1'] } as unknown as Session;
    // Taken from the bound peer, then set aside for other state (simulator seed 3946470924).
    const waiting = partialFrom(1, 'peer-1');
    expect(awaitsBinding(session, waiting)).toBe(false);
    session.peers[1] = 'peer-1-restarted';
    // Its copies from the new peer are replays by now: this one is the only one left.
    expect(awaitsBinding(session, waiting)).toBe(false);
    // A message that arrives from the old peer only now still waits.
    expect(awaitsBinding(session, partialFrom(1, 'peer-1'))).toBe(true);
  });
});
