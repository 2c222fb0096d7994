import type { PeerId } from '@libp2p/interface';
import type { RelayNode } from './relay-node.ts';

/** Topics a relay will follow at once; beyond this, new topics are ignored (memory bound). */
export const DEFAULT_MAX_FOLLOWED_TOPICS = 10_000;
const TOPIC_PATTERN = /^petal\/[a-z0-9/._-]{1,120}$/;

export interface FollowOptions {
  maxTopics?: number;
  /**
   * Whether a peer is another relay (federation.ts). Relays' subscriptions neither start nor keep
   * a follow: relays following each other's follows would keep every topic alive across the
   * network forever. Relays stay connected to each other, so a relay with members on a topic
   * meets every other such relay directly.
   */
  isRelay?: (peer: PeerId) => boolean;
  sweepMs?: number;
}

/**
 * A GossipSub router only forwards topics it is subscribed to, yet Petal's session topics are
 * derived from vault secrets the relay never learns. So the relay follows the topics its members
 * subscribe to (opaque hashes: they reveal nothing) and drops them once none of its members is
 * left on them. Members behind different relays gossip through their relays until they have
 * direct WebRTC links.
 */
export function followPeerTopics(node: RelayNode, options: FollowOptions = {}): () => void {
  const pubsub = node.services.pubsub;
  const maxTopics = options.maxTopics ?? DEFAULT_MAX_FOLLOWED_TOPICS;
  const isRelay = options.isRelay ?? (() => false);
  const hasMembersOn = (topic: string) => pubsub.getSubscribers(topic).some((p) => !isRelay(p));
  const onChange = (
    event: CustomEvent<{
      peerId: PeerId;
      subscriptions: { topic: string; subscribe: boolean }[];
    }>,
  ) => {
    if (isRelay(event.detail.peerId)) return;
    for (const { topic, subscribe } of event.detail.subscriptions) {
      if (!TOPIC_PATTERN.test(topic)) continue;
      const following = pubsub.getTopics().includes(topic);
      if (subscribe && !following && pubsub.getTopics().length < maxTopics) pubsub.subscribe(topic);
      if (!subscribe && following && !hasMembersOn(topic)) pubsub.unsubscribe(topic);
    }
  };
  // Peers that disconnect do not send unsubscribe; sweep topics no member listens to any more.
  const sweep = setInterval(() => {
    for (const topic of pubsub.getTopics()) if (!hasMembersOn(topic)) pubsub.unsubscribe(topic);
  }, options.sweepMs ?? 30_000);
  pubsub.addEventListener('subscription-change', onChange);
  return () => {
    clearInterval(sweep);
    pubsub.removeEventListener('subscription-change', onChange);
  };
}
