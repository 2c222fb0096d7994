/**
 * Drops replayed messages while tolerating reordering: per (session, signer) it keeps the highest
 * sequence seen and a 64-message window below it (as IPsec does). Anything older than the window
 * or already seen is a replay. State is per session and is released when the session ends.
 */
const WINDOW = 64n;

interface SignerWindow {
  highest: number;
  /** Bit i set = sequence (highest − i) was seen. */
  seen: bigint;
}

export class ReplayGuard {
  readonly #sessions = new Map<string, Map<number, SignerWindow>>();

  /** Records the message; returns false if it is a replay or too old to tell. */
  accept(sessionId: string, signerIndex: number, sequence: number): boolean {
    let signers = this.#sessions.get(sessionId);
    if (!signers) {
      signers = new Map();
      this.#sessions.set(sessionId, signers);
    }
    const state = signers.get(signerIndex);
    if (!state) {
      signers.set(signerIndex, { highest: sequence, seen: 1n });
      return true;
    }
    if (sequence > state.highest) {
      const shift = BigInt(sequence - state.highest);
      state.seen = shift >= WINDOW ? 1n : ((state.seen << shift) | 1n) & ((1n << WINDOW) - 1n);
      state.highest = sequence;
      return true;
    }
    const offset = BigInt(state.highest - sequence);
    if (offset >= WINDOW) return false;
    const bit = 1n << offset;
    if (state.seen & bit) return false;
    state.seen |= bit;
    return true;
  }

  /** Forget a finished session's state. */
  release(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }

  get size(): number {
    return this.#sessions.size;
  }
}
