import { useEffect, useState } from 'preact/hooks';

/** Polls `load` every `everyMs` while the screen is open; the latest value and the last error. */
export function usePolled<T>(
  load: () => Promise<T>,
  deps: unknown[],
  everyMs = 1_500,
): [T | undefined, string | undefined] {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stopped = false;
    const run = () =>
      load().then(
        (v) => !stopped && (setValue(v), setError(undefined)),
        (err: unknown) => !stopped && setError((err as Error).message),
      );
    void run();
    const timer = setInterval(() => void run(), everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, deps);
  return [value, error];
}
