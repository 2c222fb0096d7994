import { describe, expect, it } from 'vitest';
import {
  ServiceLifecycle,
  StoppedWhileStartingError,
} from '../../src/background/service-lifecycle.ts';

/** A start that finishes only when the test says so, and a record of what was shut down. */
function harness() {
  const started: { id: number; stopped: boolean }[] = [];
  const pending: ((value: { id: number; stopped: boolean }) => void)[] = [];
  const lifecycle = new ServiceLifecycle(
    () =>
      new Promise<{ id: number; stopped: boolean }>((resolve) => {
        pending.push((s) => resolve(s));
      }),
    async (service) => {
      service.stopped = true;
    },
  );
  const finishStart = () => {
    const service = { id: started.length + 1, stopped: false };
    started.push(service);
    pending.shift()?.(service);
    return service;
  };
  return { lifecycle, started, finishStart };
}

describe('ServiceLifecycle: a lock while the signing service starts', () => {
  it('callers share one start and get the same service', async () => {
    const { lifecycle, started, finishStart } = harness();
    const a = lifecycle.ensure();
    const b = lifecycle.ensure();
    await Promise.resolve();
    finishStart();
    expect(await a).toBe(await b);
    expect(started).toHaveLength(1);
    expect(lifecycle.current).toBe(started[0]);
  });

  it('a stop during the start wins: the new service is shut down, never handed out', async () => {
    const { lifecycle, started, finishStart } = harness();
    const pending = lifecycle.ensure();
    await Promise.resolve();
    await lifecycle.stop(); // the wallet locked while the service was starting
    finishStart();
    await expect(pending).rejects.toBeInstanceOf(StoppedWhileStartingError);
    expect(started[0]?.stopped).toBe(true);
    expect(lifecycle.current).toBeUndefined();
  });

  it('after such a stop, the next ensure starts afresh', async () => {
    const { lifecycle, finishStart } = harness();
    const first = lifecycle.ensure();
    await Promise.resolve();
    await lifecycle.stop();
    finishStart();
    await first.catch(() => undefined);
    const second = lifecycle.ensure();
    await Promise.resolve();
    finishStart();
    const service = await second;
    expect(service.id).toBe(2);
    expect(service.stopped).toBe(false);
    await lifecycle.stop();
    expect(service.stopped).toBe(true);
  });
});
