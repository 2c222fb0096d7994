import * as v from 'valibot';
import type { SessionView } from '../p2p/session.ts';
import type { SpendSummary } from '../p2p/spend-check.ts';

const Hex = (max: number) => v.pipe(v.string(), v.regex(/^([0-9a-f]{2})*$/), v.maxLength(max));
const Id = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const NetworkName = v.picklist(['mainnet', 'testnet', 'regtest']);
const Seconds = v.pipe(v.number(), v.integer(), v.minValue(0));
const ReplayMemory = v.strictObject({ onAt: v.optional(Seconds), offAt: v.optional(Seconds) });
/** An unsigned spend of up to a session's inputs and outputs, serialized, in hex. */
const SPEND_HEX = 2 * 256 * 1024;
/** Session views cross as JSON: amounts in `summary` are decimal strings (`viewToWire`). */
const WireView = v.looseObject({
  id: Id,
  vaultId: Id,
  phase: v.string(),
  summary: v.looseObject({ inputTotal: v.string(), change: v.string(), feeSats: v.string() }),
});

/**
 * The signing runner: the protocol and the member key in the context that holds the libp2p node
 * (offscreen document; Firefox's background page), so a frame goes peer → protocol without a
 * runtime hop. The background keeps the wallet, approvals, the UI and its own copy of what every
 * session looks like, fed by `petal_runnerEvent`. docs/PROTOCOL.md §7.3.
 */
export const runnerMethodSpecs = {
  /**
   * Starts the protocol for this member key (idempotent: a running protocol with the same key,
   * network and indexer keeps its sessions and in-memory nonces and only adds vaults).
   */
  petal_runnerStart: {
    target: 'offscreen',
    params: v.strictObject({
      secretKey: Hex(64),
      network: NetworkName,
      chronikUrl: v.pipe(v.string(), v.maxLength(2048)),
      vaults: v.pipe(v.array(v.pipe(v.string(), v.maxLength(8_000))), v.maxLength(1_000)),
      replay: v.strictObject({ activationTime: v.optional(Seconds), learned: ReplayMemory }),
    }),
  },
  /** Stops the protocol and forgets the key and every secret nonce (the wallet locked). */
  petal_runnerStop: { target: 'offscreen', params: v.optional(v.strictObject({})) },
  petal_runnerAddVault: {
    target: 'offscreen',
    params: v.strictObject({ descriptor: v.pipe(v.string(), v.maxLength(8_000)) }),
  },
  petal_runnerPropose: {
    target: 'offscreen',
    params: v.strictObject({
      vaultId: Id,
      spend: Hex(SPEND_HEX),
      memo: v.optional(v.pipe(v.string(), v.maxLength(200))),
      leafAfterMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    }),
  },
  petal_runnerApprove: { target: 'offscreen', params: v.strictObject({ id: Id }) },
  petal_runnerDecline: {
    target: 'offscreen',
    params: v.strictObject({ id: Id, reason: v.optional(v.pipe(v.string(), v.maxLength(200))) }),
  },
  petal_runnerMemberPeers: { target: 'offscreen', params: v.strictObject({ vaultId: Id }) },
  /** The user changed the replay-protection activation time in Settings. */
  petal_runnerReplay: {
    target: 'offscreen',
    params: v.strictObject({ activationTime: v.optional(Seconds), learned: ReplayMemory }),
  },
  /** Runner → background: a session changed, or the network taught the replay side. */
  petal_runnerEvent: {
    target: 'background',
    params: v.strictObject({
      epoch: Id,
      seq: v.pipe(v.number(), v.integer(), v.minValue(0)),
      kind: v.picklist(['proposal', 'update', 'learned']),
      view: v.optional(WireView),
      learned: v.optional(
        v.strictObject({ network: NetworkName, active: v.boolean(), medianTime: Seconds }),
      ),
    }),
  },
} as const;

export type WireSummary = Omit<SpendSummary, 'inputTotal' | 'change' | 'feeSats' | 'payments'> & {
  inputTotal: string;
  change: string;
  feeSats: string;
  payments: (Omit<SpendSummary['payments'][number], 'sats'> & { sats: string })[];
};
export type WireSessionView = Omit<SessionView, 'summary'> & { summary: WireSummary };

/** A view the runner reports, stamped with its epoch (one per start) and order within it. */
export interface StampedView {
  epoch: string;
  seq: number;
  view: WireSessionView;
}

export interface RunnerMethodResults {
  petal_runnerStart: { peerId: string; epoch: string; seq: number; sessions: WireSessionView[] };
  petal_runnerStop: { ok: true };
  petal_runnerAddVault: { ok: true };
  petal_runnerPropose: StampedView;
  petal_runnerApprove: StampedView;
  petal_runnerDecline: StampedView;
  petal_runnerMemberPeers: { peers: (string | null)[] };
  petal_runnerReplay: { ok: true };
  petal_runnerEvent: { ok: true };
}

/** A session view as JSON can carry it (runtime messages drop bigints). */
export function viewToWire(view: SessionView): WireSessionView {
  const { summary } = view;
  return {
    ...view,
    summary: {
      ...summary,
      inputTotal: String(summary.inputTotal),
      change: String(summary.change),
      feeSats: String(summary.feeSats),
      payments: summary.payments.map((p) => ({ ...p, sats: String(p.sats) })),
    },
  };
}

/**
 * The view a runner event carries. Only the extension's own runner can send `petal_runnerEvent`
 * (the router answers a page 4100), so its schema checks just the fields that route the view;
 * the rest is what the runner's `viewToWire` wrote.
 */
export function eventView(view: v.InferOutput<typeof WireView>): WireSessionView {
  return view as unknown as WireSessionView;
}

export function viewFromWire(wire: WireSessionView): SessionView {
  const { summary } = wire;
  return {
    ...wire,
    summary: {
      ...summary,
      inputTotal: BigInt(summary.inputTotal),
      change: BigInt(summary.change),
      feeSats: BigInt(summary.feeSats),
      payments: summary.payments.map((p) => ({ ...p, sats: BigInt(p.sats) })),
    },
  };
}
