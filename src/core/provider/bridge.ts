import * as v from 'valibot';

/**
 * The private page ↔ content-script channel. The page-world provider opens a MessageChannel and
 * hands one port to the content script once, at document_start; afterwards requests and replies
 * travel over that port, invisible to other scripts' `message` listeners and to other frames.
 */
export const BRIDGE_HELLO = 'petal:bridge-hello';

export const BridgeHello = v.object({ type: v.literal(BRIDGE_HELLO) });

/** What the provider sends: an EIP-1193 request plus a correlation id. */
export const BridgeRequest = v.object({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  method: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  params: v.optional(v.unknown()),
});
export type BridgeRequest = v.InferOutput<typeof BridgeRequest>;

export const BridgeResponse = v.union([
  v.object({ id: v.string(), result: v.unknown() }),
  v.object({
    id: v.string(),
    error: v.object({
      code: v.number(),
      message: v.string(),
      name: v.optional(v.string()),
      data: v.optional(v.unknown()),
    }),
  }),
]);
export type BridgeResponse = v.InferOutput<typeof BridgeResponse>;

/** The argument dApps pass to `request`, per EIP-1193. */
export const ProviderRequestArgs = v.object({
  method: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  params: v.optional(v.unknown()),
});
export type ProviderRequestArgs = v.InferOutput<typeof ProviderRequestArgs>;
