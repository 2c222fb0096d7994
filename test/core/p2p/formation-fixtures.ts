import { afterEach } from 'vitest';
import type { Transport } from '../../../src/core/p2p/transport.ts';
import { CreatorFormation, JoinerFormation } from '../../../src/core/p2p/vault-formation.ts';

type CreatorOptions = ConstructorParameters<typeof CreatorFormation>[0];
type JoinerOptions = ConstructorParameters<typeof JoinerFormation>[0];

/** Re-sends every 20 ms unless a test says otherwise, so tests wait rounds, not the 3 s default. */
const TEST_REPEAT_MS = 20;

/**
 * Formation runs a test starts, each stopped after the test (call at describe or file level: it
 * registers an afterEach). The creator is always "Alice", as the tests' invites name her.
 */
export function formationRuns() {
  const running: { stop(): void }[] = [];
  afterEach(() => running.splice(0).forEach((r) => r.stop()));
  function track<T extends { stop(): void }>(run: T): T {
    running.push(run);
    return run;
  }
  return {
    /** Stops `run` after the test (for runs made elsewhere, such as resumed ones). */
    track,
    /** The invite's creator on `transport`; not started. */
    creator: (transport: Transport, options: Omit<CreatorOptions, 'transport' | 'creatorName'>) =>
      track(
        new CreatorFormation({
          repeatMs: TEST_REPEAT_MS,
          ...options,
          transport,
          creatorName: 'Alice',
        }),
      ),
    /** A member answering the invite on `transport`; not started. */
    joiner: (transport: Transport, options: Omit<JoinerOptions, 'transport'>) =>
      track(new JoinerFormation({ repeatMs: TEST_REPEAT_MS, ...options, transport })),
  };
}
