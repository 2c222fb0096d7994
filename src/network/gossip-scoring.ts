/**
 * GossipSub peer scoring for Petal. Vault topics carry few, small messages, so delivery-rate
 * terms stay off (a quiet mesh is normal); what counts is invalid traffic and protocol
 * misbehaviour. Browsers share relays and NATs, so IP colocation is not held against anyone.
 */
import {
  type PeerScoreParams,
  type PeerScoreThresholds,
  type TopicScoreParams,
  createTopicScoreParams,
} from '@libp2p/gossipsub/score';

export const PETAL_SCORE_PARAMS: Partial<PeerScoreParams> = {
  topicScoreCap: 50,
  IPColocationFactorWeight: 0,
  behaviourPenaltyWeight: -10,
  behaviourPenaltyThreshold: 0,
  behaviourPenaltyDecay: 0.9,
  decayInterval: 1000,
  decayToZero: 0.01,
  retainScore: 3600_000,
};

/** Below these a peer loses gossip, then publishing to us, then is ignored altogether. */
export const PETAL_SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 2,
};

/** Per vault topic: each invalid (e.g. badly signed) message costs 100 points, squared, decaying. */
export function vaultTopicScoreParams(): TopicScoreParams {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 100,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 10,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -100,
    invalidMessageDeliveriesDecay: 0.5,
  });
}

/** The live score parameters of a running GossipSub (not on its public interface). */
export function liveScoreParams(pubsub: unknown): PeerScoreParams | undefined {
  return (pubsub as { score?: { params?: PeerScoreParams } }).score?.params;
}

/** A peer's current score as this node sees it (0 when scoring is unavailable). */
export function peerScore(pubsub: unknown, peerId: string): number {
  return (pubsub as { getScore?: (id: string) => number }).getScore?.(peerId) ?? 0;
}
