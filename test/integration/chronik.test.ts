import { type Server, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BroadcastRejectedError,
  ChainOfflineError,
  ChainTimeoutError,
  ChronikIndexer,
  IndexerError,
} from '../../src/core/chain/chronik.ts';
import { addressToScript, regtest } from '../../src/core/chain/index.ts';
import { HdAccount } from '../../src/core/wallet/account.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';

const listen = async (server: Server) => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

/**
 * A proxy in front of the devnet that misbehaves on purpose: it can drop connections, hang, or
 * pass requests through. The Chronik client talks to it exactly as to a real server.
 */
function flakyProxy(target: string) {
  const state = { mode: 'pass' as 'pass' | 'drop' | 'hang', dropNext: 0, requests: 0 };
  const server = createServer((req, res) => {
    state.requests++;
    if (state.dropNext > 0 || state.mode === 'drop') {
      state.dropNext = Math.max(0, state.dropNext - 1);
      req.socket.destroy();
      return;
    }
    if (state.mode === 'hang') return; // never answers
    const upstream = httpRequest(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return { server, state };
}

describe('Chronik client against the devnet and a misbehaving network', () => {
  let devnet: Devnet;
  let proxy: ReturnType<typeof flakyProxy>;
  let url: string;
  const address = HdAccount.fromSecrets(
    {
      mnemonic: 'legal winner thank year wave sausage worth useful legal winner thank yellow',
      passphrase: '',
    },
    regtest,
  ).receiveAddress.address;

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0 });
    proxy = flakyProxy(devnet.url);
    url = await listen(proxy.server);
    devnet.fund(address, 5_000_000n);
    devnet.mine(1);
  });

  afterAll(async () => {
    proxy.server.closeAllConnections();
    await new Promise((done) => proxy.server.close(done));
    await devnet.close();
  });

  it('reads the tip, UTXOs and transactions', async () => {
    const indexer = new ChronikIndexer({ url });
    try {
      const tip = await indexer.tip();
      expect(tip.height).toBeGreaterThan(0);
      const utxos = await indexer.utxos(addressToScript(address, regtest));
      expect(utxos.map((u) => u.value)).toEqual([5_000_000n]);
      const tx = await indexer.tx(utxos[0]!.txid);
      expect(tx.outputs.some((o) => o.value === 5_000_000n)).toBe(true);
      await expect(indexer.tx('00'.repeat(32))).rejects.toBeInstanceOf(IndexerError);
    } finally {
      indexer.close();
    }
  });

  it('retries dropped connections with backoff and recovers', async () => {
    const indexer = new ChronikIndexer({ url, attempts: 3, backoffMs: 20 });
    try {
      proxy.state.requests = 0;
      proxy.state.dropNext = 2;
      expect((await indexer.tip()).height).toBeGreaterThan(0);
      expect(proxy.state.requests).toBeGreaterThanOrEqual(3); // two dropped, then answered
      expect(indexer.connection.state).not.toBe('offline');
    } finally {
      indexer.close();
    }
  });

  it('gives up with a typed error and reports offline, then comes back online', async () => {
    const indexer = new ChronikIndexer({ url, attempts: 2, backoffMs: 10, timeoutMs: 300 });
    const states: string[] = [];
    indexer.onConnection((s) => states.push(s.state));
    try {
      proxy.state.mode = 'drop';
      await expect(indexer.tip()).rejects.toBeInstanceOf(ChainOfflineError);
      expect(indexer.connection.state).toBe('offline');
      proxy.state.mode = 'hang';
      await expect(indexer.tip()).rejects.toBeInstanceOf(ChainTimeoutError);
      proxy.state.mode = 'pass';
      await indexer.tip();
      expect(indexer.connection.state).not.toBe('offline');
      expect(states).toContain('offline');
    } finally {
      proxy.state.mode = 'pass';
      indexer.close();
    }
  });

  it('surfaces a rejected broadcast with the node’s reason, without retrying it', async () => {
    const indexer = new ChronikIndexer({ url });
    try {
      proxy.state.requests = 0;
      const err = await indexer.broadcast(Uint8Array.of(1, 0, 0, 0, 0)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BroadcastRejectedError);
      expect((err as Error).message.length).toBeGreaterThan(5);
      expect(proxy.state.requests).toBe(1);
    } finally {
      indexer.close();
    }
  });
});
