import * as v from 'valibot';
import type { Target } from './envelope.ts';
import { type NetworkMethodResults, networkMethodSpecs } from './network-methods.ts';

/**
 * The catalogue of methods one context can ask of another. Each entry names the context that
 * answers it and the schema its params must satisfy on arrival; both sides import this file, so
 * sender and receiver can never drift apart. Later features add entries here.
 */
export const methodSpecs = {
  /** Liveness check a page, the popup or a test can send; answered by the background. */
  lotus_ping: {
    target: 'background',
    params: v.optional(v.strictObject({ echo: v.optional(v.pipe(v.string(), v.maxLength(1024))) })),
  },
  /**
   * Asks the background to make sure the offscreen document (the P2P node's host) is running and
   * answering; the reply is the offscreen document's own ping.
   */
  petal_offscreenStatus: {
    target: 'background',
    params: v.optional(v.strictObject({})),
  },
  /** Background → offscreen liveness check: proves the offscreen document is up and routed. */
  petal_offscreenPing: {
    target: 'offscreen',
    params: v.optional(v.strictObject({ echo: v.optional(v.pipe(v.string(), v.maxLength(1024))) })),
  },
  ...networkMethodSpecs,
} as const satisfies Record<string, { target: Target; params: v.GenericSchema }>;

export type MethodName = keyof typeof methodSpecs;
export type MethodParams<M extends MethodName> = v.InferOutput<(typeof methodSpecs)[M]['params']>;

export interface PingResult {
  pong: true;
  echo?: string;
  /** Which context answered, so a test can tell a forwarded answer from a local one. */
  answeredBy: Target;
  /** The caller's origin as the browser reported it (never as the caller claimed it). */
  origin: string;
  version: string;
}

/** Result types, kept beside the schemas so both ends agree on them. */
export interface MethodResults extends NetworkMethodResults {
  lotus_ping: PingResult;
  petal_offscreenPing: PingResult;
  petal_offscreenStatus: PingResult;
}

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methodSpecs, name);
}
