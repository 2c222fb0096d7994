/**
 * The protocol's Transport in the background, backed by the libp2p node in the network host
 * (offscreen document; Firefox's background page). Frames cross as hex: they are sealed for the
 * vault before they leave the background, so the host only ever moves ciphertext.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { RpcClient } from '../core/rpc/index.ts';
import {
  PeerUnreachableError,
  type Transport,
  type TransportHandler,
} from '../core/p2p/transport.ts';

export class RemoteTransport implements Transport {
  readonly peerId: string;
  readonly #client: RpcClient;
  readonly #topics = new Map<string, Set<TransportHandler>>();
  #direct: TransportHandler | undefined;

  constructor(client: RpcClient, peerId: string) {
    this.#client = client;
    this.peerId = peerId;
  }

  subscribe(topic: string, handler: TransportHandler): () => void {
    let handlers = this.#topics.get(topic);
    if (!handlers) {
      this.#topics.set(topic, (handlers = new Set()));
      void this.#client.request('petal_p2pSubscribe', { topic }).catch(() => undefined);
    }
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  async publish(topic: string, data: Uint8Array): Promise<unknown> {
    return this.#client.request('petal_p2pPublish', { topic, data: bytesToHex(data) });
  }

  onDirect(handler: TransportHandler): void {
    this.#direct = handler;
  }

  async send(peer: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    try {
      await this.#client.request('petal_p2pSend', { peer, data: bytesToHex(data) });
    } catch (err) {
      throw new PeerUnreachableError(`${peer}: ${(err as Error).message}`);
    }
  }

  protectPeers(sessionId: string, peers: string[]): void {
    void this.#client.request('petal_p2pProtect', { sessionId, peers }).catch(() => undefined);
  }

  releasePeers(sessionId: string): void {
    void this.#client.request('petal_p2pRelease', { sessionId }).catch(() => undefined);
  }

  async putRecord(id: string, payload: Uint8Array, expiresAt: number): Promise<void> {
    await this.#client.request('petal_p2pPutRecord', {
      id,
      payload: bytesToHex(payload),
      expiresAt,
    });
  }

  async getRecord(id: string): Promise<Uint8Array | undefined> {
    const { payload } = await this.#client.request('petal_p2pGetRecord', { id });
    return payload === undefined ? undefined : hexToBytes(payload);
  }

  /** What the network host received, handed to the protocol. */
  deliver(message: { topic?: string; from: string; data: string }): void {
    const data = hexToBytes(message.data);
    if (message.topic === undefined) {
      void this.#direct?.(message.from, data);
      return;
    }
    for (const handler of this.#topics.get(message.topic) ?? []) void handler(message.from, data);
  }
}
