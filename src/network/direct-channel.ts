/**
 * One long-lived stream per peer for acknowledged protocol frames. Opening a stream per frame
 * costs a protocol negotiation round trip (and, over WebRTC, a new data channel) on every message
 * of every round; a kept stream costs one write and one ack.
 *
 * Wire format on DIRECT_PROTOCOL: length-prefixed frames one way, a one-byte ack (0x01) per frame
 * the other way, in order. A peer that sends one frame and closes (one stream per frame) is the
 * same protocol with a single frame.
 */
import type { Connection, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';

export const ACK = Uint8Array.of(1);

interface AckWaiter {
  resolve(): void;
  reject(err: Error): void;
}

export class DirectChannel {
  readonly connection: Connection;
  readonly #stream: Stream;
  readonly #lp: ReturnType<typeof lpStream<Stream>>;
  /** Waiters for acks, in the order their frames were written (acks come back in that order). */
  readonly #acks: AckWaiter[] = [];
  #writing: Promise<unknown> = Promise.resolve();
  #lastAck: Promise<unknown> = Promise.resolve();
  #failure: Error | undefined;
  readonly #ackTimeoutMs: number;

  static async open(
    connection: Connection,
    protocol: string,
    options: { signal: AbortSignal; maxDataLength: number; ackTimeoutMs: number },
  ): Promise<DirectChannel> {
    const stream = await connection.newStream(protocol, {
      signal: options.signal,
      // Protocol frames are small, so a relayed link may carry them while WebRTC comes up.
      runOnLimitedConnection: true,
    });
    return new DirectChannel(connection, stream, options);
  }

  private constructor(
    connection: Connection,
    stream: Stream,
    options: { maxDataLength: number; ackTimeoutMs: number },
  ) {
    this.connection = connection;
    this.#stream = stream;
    this.#lp = lpStream(stream, { maxDataLength: options.maxDataLength });
    this.#ackTimeoutMs = options.ackTimeoutMs;
    void this.#readAcks();
  }

  /** False once the stream or its connection is gone: the next send opens a new channel. */
  get usable(): boolean {
    return (
      this.#failure === undefined &&
      this.#stream.status === 'open' &&
      this.connection.status === 'open'
    );
  }

  /** True over a direct (not relay-limited) connection. */
  get direct(): boolean {
    return this.connection.limits === undefined;
  }

  /**
   * Writes one frame and resolves when the peer acknowledged it. `signal` only stops this caller
   * waiting; a missing ack fails the whole channel after the ack timeout.
   */
  async send(frame: Uint8Array, signal: AbortSignal): Promise<void> {
    if (this.#failure) throw this.#failure;
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error('Peer did not acknowledge in time')),
        this.#ackTimeoutMs,
      );
      this.#acks.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
    // Acks come in order, so the newest one settling means every earlier one has; the catch also
    // keeps a rejection handled when its caller stopped waiting.
    this.#lastAck = acked.catch(() => undefined);
    // Writes are chained so frames go out in the order their ack waiters were queued.
    const written = this.#writing.then(() => this.#lp.write(frame));
    this.#writing = written.catch(() => undefined);
    try {
      await written;
    } catch (err) {
      this.fail(err as Error);
      throw err;
    }
    await Promise.race([
      acked,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  }

  /** Ends the channel: the stream is aborted and every waiting send rejects. */
  fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#stream.abort(err);
    for (const waiter of this.#acks.splice(0)) waiter.reject(err);
  }

  /** Closes the channel once every frame sent on it was acknowledged. */
  async retire(): Promise<void> {
    await this.#lastAck;
    if (this.#failure) return;
    this.#failure = new Error('Channel retired');
    await this.#stream.close().catch(() => this.#stream.abort(new Error('close failed')));
  }

  async #readAcks(): Promise<void> {
    try {
      for (;;) {
        const ack = await this.#lp.read();
        if (ack.byteLength !== 1 || ack.get(0) !== 1) throw new Error('Peer sent a bad ack');
        const waiter = this.#acks.shift();
        if (!waiter) throw new Error('Peer acknowledged a frame that was not sent');
        waiter.resolve();
      }
    } catch (err) {
      this.fail(err as Error);
    }
  }
}

/**
 * Serves one inbound DIRECT_PROTOCOL stream until the peer closes it: every frame is
 * acknowledged as soon as it is read (the ack means "delivered", not "accepted") and handed to
 * `deliver` in order.
 */
export async function serveDirectStream(
  stream: Stream,
  maxDataLength: number,
  deliver: (frame: Uint8Array) => void,
): Promise<void> {
  const lp = lpStream(stream, { maxDataLength });
  try {
    for (;;) {
      let frame: Uint8Array;
      try {
        frame = (await lp.read()).subarray();
      } catch (err) {
        // The peer closed its end between frames: a normal end of the channel.
        if (stream.readStatus === 'closed' || stream.status !== 'open') break;
        throw err;
      }
      await lp.write(ACK);
      deliver(frame);
    }
    await stream.close();
  } catch (err) {
    stream.abort(err as Error);
  }
}
