/**
 * A typed event emitter on top of EventTarget (the js-libp2p shape): `detail` is typed per event
 * name, and a throwing listener cannot break the protocol code that dispatched the event.
 */
export class TypedEvents<EventMap extends object> extends EventTarget {
  on<K extends keyof EventMap & string>(
    type: K,
    listener: (detail: EventMap[K]) => void,
    options?: AddEventListenerOptions,
  ): () => void {
    const wrapped = (event: Event) => {
      try {
        listener((event as CustomEvent<EventMap[K]>).detail);
      } catch {
        // A listener's failure is the listener's problem, never the protocol's.
      }
    };
    this.addEventListener(type, wrapped, options);
    return () => this.removeEventListener(type, wrapped);
  }

  /** Resolves with the first event of `type` that passes `filter`. */
  once<K extends keyof EventMap & string>(
    type: K,
    filter: (detail: EventMap[K]) => boolean = () => true,
    signal?: AbortSignal,
  ): Promise<EventMap[K]> {
    return new Promise((resolve, reject) => {
      const off = this.on(type, (detail) => {
        if (!filter(detail)) return;
        off();
        resolve(detail);
      });
      signal?.addEventListener('abort', () => {
        off();
        reject(signal.reason);
      });
    });
  }

  emit<K extends keyof EventMap & string>(type: K, detail: EventMap[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
