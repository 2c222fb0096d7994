import { useEffect, useState } from 'preact/hooks';
import '../history.css';

const listeners = new Set<(message: string) => void>();

/** Says, briefly and to screen readers too, that something the user asked for happened. */
export function notify(message: string): void {
  for (const listener of listeners) listener(message);
}

/** Where `notify` messages appear (once, in the shell). */
export function Toast() {
  const [message, setMessage] = useState<string>();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const show = (next: string) => {
      setMessage(next);
      clearTimeout(timer);
      timer = setTimeout(() => setMessage(undefined), 3000);
    };
    listeners.add(show);
    return () => {
      listeners.delete(show);
      clearTimeout(timer);
    };
  }, []);
  return (
    <div role="status" aria-live="polite" id="toast" class={message ? 'toast' : undefined}>
      {message}
    </div>
  );
}
