/**
 * Start and stop of a service that holds secrets, serialised: callers share one start; a stop
 * that arrives while a start is still running wins, and the service that start produces is shut
 * down at once instead of being handed out. Without this, locking the wallet while the signing
 * service was starting left it running with the member key, answering while the wallet was
 * locked.
 */
export class StoppedWhileStartingError extends Error {
  override name = 'StoppedWhileStartingError';
}

export class ServiceLifecycle<T> {
  readonly #start: () => Promise<T>;
  readonly #shutdown: (service: T) => Promise<void>;
  #running: T | undefined;
  #starting: Promise<T> | undefined;
  /** Bumped by every stop: a start that began in an older generation is discarded. */
  #generation = 0;

  constructor(start: () => Promise<T>, shutdown: (service: T) => Promise<void>) {
    this.#start = start;
    this.#shutdown = shutdown;
  }

  /** The running service, if any (never one whose start a stop overtook). */
  get current(): T | undefined {
    return this.#running;
  }

  /**
   * The running service, starting it if needed.
   * @throws StoppedWhileStartingError if `stop()` ran while it was starting.
   */
  async ensure(): Promise<T> {
    if (this.#running) return this.#running;
    const generation = this.#generation;
    const starting = (this.#starting ??= this.#begin(generation));
    const service = await starting;
    if (generation !== this.#generation)
      throw new StoppedWhileStartingError('Stopped while starting');
    return service;
  }

  async #begin(generation: number): Promise<T> {
    try {
      const service = await this.#start();
      if (generation !== this.#generation) {
        await this.#shutdown(service);
        throw new StoppedWhileStartingError('Stopped while starting');
      }
      this.#running = service;
      return service;
    } finally {
      if (generation === this.#generation) this.#starting = undefined;
    }
  }

  /** Stops the running service, and any start in flight is discarded when it finishes. */
  async stop(): Promise<void> {
    this.#generation++;
    this.#starting = undefined;
    const service = this.#running;
    this.#running = undefined;
    if (service) await this.#shutdown(service);
  }
}
