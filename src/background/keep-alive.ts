/**
 * Keeps Chromium's service worker awake while a signing session is open, and only then. An idle
 * MV3 worker is stopped after 30 s; each extension API call resets that timer, so one cheap call
 * every 20 s holds it while any session is live (a stop mid-round would cost the group an
 * attempt). With nothing open the worker is left to sleep, as MV3 intends.
 */
export interface KeepAlive {
  /** The open sessions now; the worker is held while there is at least one. */
  update(openSessions: Iterable<string>): void;
  readonly holding: boolean;
}

export function createKeepAlive(
  ping: () => Promise<unknown>,
  intervalMs = 20_000,
  timers: Pick<typeof globalThis, 'setInterval' | 'clearInterval'> = globalThis,
): KeepAlive {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    update(openSessions) {
      const open = [...openSessions].length > 0;
      if (open && timer === undefined) {
        timer = timers.setInterval(() => void ping().catch(() => undefined), intervalMs);
      } else if (!open && timer !== undefined) {
        timers.clearInterval(timer);
        timer = undefined;
      }
    },
    get holding() {
      return timer !== undefined;
    },
  };
}
