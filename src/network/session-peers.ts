import { peerIdFromString } from '@libp2p/peer-id';
import type { PeerNode } from './peer-node.ts';

/** Above any other tag libp2p or Petal uses, so session members are the last to be pruned. */
export const SESSION_TAG_VALUE = 100;

/**
 * Keeps a signing session's members connected. Browsers run with a modest connection limit; when
 * it is hit, libp2p closes the connections whose peers carry the lowest tag values, so members
 * of a live session get a high-value tag, and the node's redialer brings a dropped link back
 * (with backoff). Both end when the session does.
 */
export class SessionPeerGuard {
  readonly #node: PeerNode;
  readonly #sessions = new Map<string, string[]>();

  constructor(node: PeerNode) {
    this.#node = node;
  }

  async protect(sessionId: string, peerIds: string[]): Promise<void> {
    const own = this.#node.peerId.toString();
    const peers = [...new Set(peerIds)].filter((p) => p !== own);
    this.#sessions.set(sessionId, peers);
    await Promise.all(
      peers.map((peer) =>
        this.#node.peerStore.merge(peerIdFromString(peer), {
          tags: { [tagName(sessionId)]: { value: SESSION_TAG_VALUE } },
        }),
      ),
    );
    for (const peer of peers) this.#node.redialer.watch(sessionId, peerIdFromString(peer));
  }

  async release(sessionId: string): Promise<void> {
    const peers = this.#sessions.get(sessionId) ?? [];
    this.#sessions.delete(sessionId);
    this.#node.redialer.release(sessionId);
    await Promise.all(
      peers.map((peer) =>
        this.#node.peerStore
          .merge(peerIdFromString(peer), {
            tags: { [tagName(sessionId)]: undefined },
          })
          .catch(() => {}),
      ),
    );
  }

  /** Sessions currently holding protection (for bounded-state checks). */
  get size(): number {
    return this.#sessions.size;
  }
}

function tagName(sessionId: string): string {
  return `petal-session-${sessionId}`;
}
