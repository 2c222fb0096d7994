/**
 * A minimal client for Firefox's Marionette protocol (what geckodriver speaks to Firefox).
 * WebDriver BiDi, which Playwright uses, refuses to open or script moz-extension:// pages;
 * Marionette can, once Firefox runs with `-remote-allow-system-access`. Frames are
 * `<byte length>:<JSON>`; commands are `[0, id, name, params]`, replies `[1, id, error, result]`.
 */
import { type Socket, connect } from 'node:net';

export class MarionetteError extends Error {
  override name = 'MarionetteError';
}

export class Marionette {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  readonly #waiting = new Map<number, (reply: unknown[]) => void>();
  #greeting: ((hello: unknown) => void) | undefined;
  #nextId = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
  }

  /** Connects to the Marionette server, retrying until Firefox is listening. */
  static async connect(port: number, timeoutMs = 30_000): Promise<Marionette> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (socket) {
        const client = new Marionette(socket);
        await new Promise((resolve) => (client.#greeting = resolve));
        return client;
      }
      if (Date.now() > deadline) throw new MarionetteError(`No Marionette server on ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async command<T>(name: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#nextId;
    const body = Buffer.from(JSON.stringify([0, id, name, params]));
    const reply = new Promise<unknown[]>((resolve) => this.#waiting.set(id, resolve));
    this.#socket.write(Buffer.concat([Buffer.from(`${body.length}:`), body]));
    const [, , error, result] = await reply;
    if (error) throw new MarionetteError(`${name}: ${(error as { message: string }).message}`);
    return result as T;
  }

  close(): void {
    this.#socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const colon = this.#buffer.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.#buffer.subarray(0, colon).toString());
      if (this.#buffer.length < colon + 1 + length) return;
      const message = JSON.parse(this.#buffer.subarray(colon + 1, colon + 1 + length).toString());
      this.#buffer = this.#buffer.subarray(colon + 1 + length);
      if (!Array.isArray(message)) {
        this.#greeting?.(message);
        continue;
      }
      const waiter = this.#waiting.get(message[1] as number);
      this.#waiting.delete(message[1] as number);
      waiter?.(message);
    }
  }
}
