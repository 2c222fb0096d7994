import {
  type CircuitRelayTransportComponents,
  circuitRelayTransport,
} from '@libp2p/circuit-relay-v2';

/** A relay search step (one DHT answer looked at) at most this often. */
export const RELAY_SEARCH_GAP_MS = 5_000;

type RandomWalk = CircuitRelayTransportComponents['randomWalk'];

/**
 * circuit-relay's transport, searching for relays at a bounded pace. While it holds fewer
 * reservations than it listens for, libp2p walks the DHT for relays, and it walks without pause:
 * a member that wants two reservations on a network of one relay sends DHT queries back to back
 * forever (measured: a quarter of a core). Here each step of that walk waits `gapMs`, so a search
 * that finds nothing new costs one query per step, and one that finds a relay still finds it.
 * Members usually meet other relays sooner anyway: every DHT lookup connects to them, and
 * circuit-relay reserves on connected relays without searching.
 */
export function pacedCircuitRelayTransport(gapMs = RELAY_SEARCH_GAP_MS) {
  const transport = circuitRelayTransport();
  return (components: CircuitRelayTransportComponents) => {
    let walk: RandomWalk | undefined;
    return transport(
      new Proxy(components, {
        get: (target, prop) =>
          prop === 'randomWalk'
            ? (walk ??= pacedWalk(target.randomWalk, gapMs))
            : Reflect.get(target, prop, target),
      }),
    );
  };
}

function pacedWalk(inner: RandomWalk, gapMs: number): RandomWalk {
  return {
    async *walk(options) {
      for await (const peer of inner.walk(options)) {
        yield peer;
        // The walk pauses while its one consumer does not ask for the next peer.
        await new Promise<void>((done) => {
          const timer = setTimeout(done, gapMs);
          options?.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            done();
          });
        });
        options?.signal?.throwIfAborted();
      }
    },
  };
}
