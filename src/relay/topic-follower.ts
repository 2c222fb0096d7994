import type { RelayNode } from './relay-node.ts';

/** Topics a relay will follow at once; beyond this, new topics are ignored (memory bound). */
export const DEFAULT_MAX_FOLLOWED_TOPICS = 10_000;
const TOPIC_PATTERN = /^petal\/[a-z0-9/._-]{1,120}$/;

/**
 * A GossipSub router only forwards topics it is subscribed to, yet Petal's session topics are
 * derived from vault secrets the relay never learns. So the relay follows the topics its peers
 * subscribe to (opaque hashes: they reveal nothing) and drops them once no peer is left on them.
 * Browsers behind the relay then gossip through it until they have direct WebRTC links.
 */
export function followPeerTopics(
  node: RelayNode,
  maxTopics = DEFAULT_MAX_FOLLOWED_TOPICS,
): () => void {
  const pubsub = node.services.pubsub;
  const onChange = (
    event: CustomEvent<{ subscriptions: { topic: string; subscribe: boolean }[] }>,
  ) => {
    for (const { topic, subscribe } of event.detail.subscriptions) {
      if (!TOPIC_PATTERN.test(topic)) continue;
      const following = pubsub.getTopics().includes(topic);
      if (subscribe && !following && pubsub.getTopics().length < maxTopics) pubsub.subscribe(topic);
      if (!subscribe && following && pubsub.getSubscribers(topic).length === 0)
        pubsub.unsubscribe(topic);
    }
  };
  // Peers that disconnect do not send unsubscribe; sweep topics nobody listens to any more.
  const sweep = setInterval(() => {
    for (const topic of pubsub.getTopics()) {
      if (pubsub.getSubscribers(topic).length === 0) pubsub.unsubscribe(topic);
    }
  }, 30_000);
  pubsub.addEventListener('subscription-change', onChange);
  return () => {
    clearInterval(sweep);
    pubsub.removeEventListener('subscription-change', onChange);
  };
}
