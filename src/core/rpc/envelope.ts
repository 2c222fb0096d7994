import * as v from 'valibot';
import { InvalidRequestError, MessageTooLargeError } from './errors.ts';

/** Every extension-internal message is tagged so foreign messages are ignored, not parsed. */
export const ENVELOPE_TAG = 'petal/1';

/** Larger messages are refused before parsing: a hostile page must not make the background allocate. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Which context a request is addressed to; each context only answers its own. */
export const Target = v.picklist(['background', 'offscreen']);
export type Target = v.InferOutput<typeof Target>;

export const RequestEnvelope = v.object({
  tag: v.literal(ENVELOPE_TAG),
  kind: v.literal('request'),
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  target: Target,
  method: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  params: v.optional(v.unknown()),
});
export type RequestEnvelope = v.InferOutput<typeof RequestEnvelope>;

const SerializedError = v.object({
  name: v.string(),
  code: v.number(),
  message: v.string(),
  data: v.optional(v.unknown()),
});

export const ResponseEnvelope = v.union([
  v.object({
    tag: v.literal(ENVELOPE_TAG),
    kind: v.literal('response'),
    id: v.string(),
    result: v.unknown(),
  }),
  v.object({
    tag: v.literal(ENVELOPE_TAG),
    kind: v.literal('response'),
    id: v.string(),
    error: SerializedError,
  }),
]);
export type ResponseEnvelope = v.InferOutput<typeof ResponseEnvelope>;

/** True when a value looks like one of ours; cheap, used to ignore other extensions' traffic. */
export function isPetalEnvelope(value: unknown): value is { tag: string; kind: string } {
  return (
    typeof value === 'object' && value !== null && (value as { tag?: unknown }).tag === ENVELOPE_TAG
  );
}

/** Size of a message as the browser would serialise it; throws if over the limit. */
export function assertMessageSize(value: unknown, limit = MAX_MESSAGE_BYTES): number {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // Cyclic or BigInt values cannot cross a context boundary at all.
    throw new InvalidRequestError('Message is not serialisable');
  }
  const size = json === undefined ? 0 : new TextEncoder().encode(json).length;
  if (size > limit) throw new MessageTooLargeError(size, limit);
  return size;
}
