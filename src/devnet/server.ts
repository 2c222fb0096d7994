/**
 * The devnet's network face: the subset of Chronik's legacy protobuf API that wallets use (HTTP
 * plus the `/ws` subscription socket), encoded with chronik-client's own generated codecs so the
 * same client talks to it as to a real Chronik. Extra JSON endpoints: `POST /faucet`,
 * `POST /mine`, `GET /devnet`. Listens on 127.0.0.1 only; CORS is open so an extension's service
 * worker (which has no host permissions) can reach it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import * as proto from 'chronik-client/dist/proto/chronik.js';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  AddressError,
  InsufficientFundsError,
  SATS_PER_XPI,
  addressToScript,
  classifyScript,
  txidFromHex,
} from '../core/chain/index.ts';
import { type DevBlock, DevChain, type DevTx, TxRejectedError } from './chain.ts';
import { FAUCET_SCRIPT, Faucet } from './faucet.ts';

export const DEVNET_HOST = '127.0.0.1';
const MAX_BODY = 2 * 1024 * 1024;
const MAX_FAUCET_SATS = 100_000n * SATS_PER_XPI;
const DEFAULT_FAUCET_SATS = 1_000n * SATS_PER_XPI;

export interface Devnet {
  url: string;
  chain: DevChain;
  faucet: Faucet;
  /** Mines blocks (to the faucet) and returns the new tip height. */
  mine(blocks?: number): number;
  /** Pays a regtest address from the faucet; returns the txid. */
  fund(address: string, sats: bigint): string;
  close(): Promise<void>;
}

export interface DevnetOptions {
  port?: number;
  /** Interface to listen on (default 127.0.0.1; the NAT e2e test serves a namespace's address). */
  host?: string;
  /** Mine a block every this many ms (0: only on demand). */
  blockIntervalMs?: number;
  now?: () => number;
  /** The node's `-replayprotectionactivationtime` (seconds); default lotusd's regtest time. */
  replayProtectionTime?: number;
}

/** Chronik's (script type, payload) keys that match an output script. */
function scriptKeys(script: Uint8Array): string[] {
  const kind = classifyScript(script);
  if (kind.type === 'p2pkh' || kind.type === 'p2sh')
    return [`${kind.type}:${bytesToHex(kind.payload as Uint8Array)}`];
  if (kind.type === 'taproot') {
    const keys = [`p2tr-commitment:${bytesToHex(kind.payload as Uint8Array)}`];
    if (kind.state) keys.push(`p2tr-state:${bytesToHex(kind.state)}`);
    return keys;
  }
  return [`other:${bytesToHex(script)}`];
}

function txKeys(entry: DevTx): Set<string> {
  return new Set(
    [...entry.tx.outputs.map((o) => o.script), ...entry.spent.map((o) => o.script)].flatMap(
      scriptKeys,
    ),
  );
}

const rev = (hex: string) => txidFromHex(hex);

function txProto(entry: DevTx): proto.Tx {
  return proto.Tx.fromPartial({
    txid: rev(entry.txid),
    version: entry.tx.version,
    inputs: entry.tx.inputs.map((input, i) => ({
      prevOut: { txid: input.prevout.txid, outIdx: input.prevout.vout },
      inputScript: input.scriptSig,
      outputScript: entry.spent[i]?.script ?? new Uint8Array(0),
      value: String(entry.spent[i]?.value ?? 0n),
      sequenceNo: input.sequence,
    })),
    outputs: entry.tx.outputs.map((o, vout) => {
      const spender = entry.spentBy[vout];
      return {
        value: String(o.value),
        outputScript: o.script,
        spentBy: spender ? { txid: rev(spender.txid), outIdx: spender.vin } : undefined,
      };
    }),
    lockTime: entry.tx.locktime,
    block: entry.block
      ? {
          height: entry.block.height,
          hash: rev(entry.block.hash),
          timestamp: String(entry.block.timestamp),
        }
      : undefined,
    timeFirstSeen: String(entry.timeFirstSeen),
    size: entry.raw.length,
    isCoinbase: entry.isCoinbase,
    network: proto.Network.XPI,
  });
}

function blockInfo(chain: DevChain, block: DevBlock): proto.BlockInfo {
  const txs = block.txids.map((id) => chain.txs.get(id) as DevTx);
  const sum = (values: bigint[]) => String(values.reduce((s, v) => s + v, 0n));
  return proto.BlockInfo.fromPartial({
    hash: rev(block.hash),
    prevHash: rev(block.prevHash),
    height: block.height,
    nBits: 0x207fffff,
    timestamp: String(block.timestamp),
    blockSize: String(block.size),
    numTxs: String(txs.length),
    numInputs: String(txs.reduce((s, t) => s + t.tx.inputs.length, 0)),
    numOutputs: String(txs.reduce((s, t) => s + t.tx.outputs.length, 0)),
    sumInputSats: sum(txs.flatMap((t) => t.spent.map((o) => o.value))),
    sumCoinbaseOutputSats: sum((txs[0]?.tx.outputs ?? []).map((o) => o.value)),
    sumNormalOutputSats: sum(txs.slice(1).flatMap((t) => t.tx.outputs.map((o) => o.value))),
    sumBurnedSats: '0',
  });
}

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'too-large', 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req);
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(body));
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'bad-json', 'Body must be a JSON object');
}

/** Starts a devnet on 127.0.0.1 (an ephemeral port unless `port` is given). */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const chain = new DevChain({
    minerScript: FAUCET_SCRIPT,
    now: options.now,
    replayProtectionTime: options.replayProtectionTime,
  });
  const faucet = new Faucet(chain);
  const subscriptions = new Map<WebSocket, Set<string>>();

  const mine = (blocks = 1) => {
    chain.mine(blocks, FAUCET_SCRIPT);
    return chain.tip.height;
  };
  const fund = (address: string, sats: bigint) => faucet.pay(address, sats).txid;

  const routes: [
    string,
    RegExp,
    (m: RegExpExecArray, req: IncomingMessage, url: URL) => Promise<Route>,
  ][] = [
    [
      'GET',
      /^\/blockchain-info$/,
      async () =>
        pb(
          proto.BlockchainInfo.encode({
            tipHash: rev(chain.tip.hash),
            tipHeight: chain.tip.height,
          }),
        ),
    ],
    [
      'GET',
      /^\/block\/([0-9a-f]{64}|\d+)$/,
      async (m) => {
        const block = chain.blockAt(m[1] as string);
        if (!block) throw new HttpError(404, 'block-not-found', 'Block not found');
        return pb(
          proto.Block.encode(
            proto.Block.fromPartial({
              blockInfo: blockInfo(chain, block),
              blockDetails: {
                version: 1,
                merkleRoot: block.merkleRoot,
                nonce: '0',
                medianTimestamp: String(chain.medianTimePast(block.height)),
              },
              rawHeader: new Uint8Array(160),
              txs: block.txids.map((id) => txProto(chain.txs.get(id) as DevTx)),
            }),
          ),
        );
      },
    ],
    [
      'GET',
      /^\/blocks\/(\d+)\/(\d+)$/,
      async (m) => {
        const start = Number(m[1]);
        const end = Math.min(Number(m[2]), chain.tip.height);
        if (end < start || end - start > 500)
          throw new HttpError(400, 'bad-range', 'Invalid block range');
        const blocks = chain.blocks.slice(start, end + 1).map((b) => blockInfo(chain, b));
        return pb(proto.Blocks.encode({ blocks }));
      },
    ],
    [
      'GET',
      /^\/tx\/([0-9a-f]{64})$/,
      async (m) => {
        const entry = chain.txs.get(m[1] as string);
        if (!entry) throw new HttpError(404, 'tx-not-found', 'Transaction not found in the index');
        return pb(proto.Tx.encode(txProto(entry)));
      },
    ],
    [
      'GET',
      /^\/script\/([a-z0-9-]+)\/([0-9a-f]+)\/history$/,
      async (m, _req, url) => {
        const key = `${m[1]}:${m[2]}`;
        const page = Number(url.searchParams.get('page') ?? 0);
        const pageSize = Math.min(
          200,
          Math.max(1, Number(url.searchParams.get('page_size') ?? 25)),
        );
        const matching = [...chain.txs.values()].filter((t) => txKeys(t).has(key));
        // Newest first: the mempool (latest seen first), then blocks from the tip down.
        matching.sort((a, b) => {
          const ha = a.block?.height ?? Infinity;
          const hb = b.block?.height ?? Infinity;
          if (ha !== hb) return hb - ha;
          if (!a.block)
            return (
              b.timeFirstSeen - a.timeFirstSeen ||
              chain.mempool.indexOf(b.txid) - chain.mempool.indexOf(a.txid)
            );
          return a.block.txids.indexOf(b.txid) - a.block.txids.indexOf(a.txid);
        });
        const txs = matching.slice(page * pageSize, (page + 1) * pageSize).map(txProto);
        return pb(
          proto.TxHistoryPage.encode({ txs, numPages: Math.ceil(matching.length / pageSize) }),
        );
      },
    ],
    [
      'GET',
      /^\/script\/([a-z0-9-]+)\/([0-9a-f]+)\/utxos$/,
      async (m) => {
        const key = `${m[1]}:${m[2]}`;
        const groups = new Map<string, proto.Utxo[]>();
        for (const coin of chain.coins.values()) {
          if (!scriptKeys(coin.script).includes(key)) continue;
          const hex = bytesToHex(coin.script);
          const list = groups.get(hex) ?? [];
          list.push(
            proto.Utxo.fromPartial({
              outpoint: { txid: rev(coin.txid), outIdx: coin.vout },
              blockHeight: coin.height,
              isCoinbase: coin.isCoinbase,
              value: String(coin.value),
              network: proto.Network.XPI,
            }),
          );
          groups.set(hex, list);
        }
        const scriptUtxos = [...groups].map(([script, utxos]) => ({
          outputScript: hexToBytes(script),
          utxos,
        }));
        return pb(proto.Utxos.encode({ scriptUtxos }));
      },
    ],
    [
      'POST',
      /^\/broadcast-tx$/,
      async (_m, req) => {
        const { rawTx } = proto.BroadcastTxRequest.decode(await readBody(req));
        const entry = submit(rawTx);
        return pb(proto.BroadcastTxResponse.encode({ txid: rev(entry.txid) }));
      },
    ],
    [
      'POST',
      /^\/broadcast-txs$/,
      async (_m, req) => {
        const { rawTxs } = proto.BroadcastTxsRequest.decode(await readBody(req));
        const txids = rawTxs.map((raw) => rev(submit(raw).txid));
        return pb(proto.BroadcastTxsResponse.encode({ txids }));
      },
    ],
    [
      'POST',
      /^\/validate-utxos$/,
      async (_m, req) => {
        const { outpoints } = proto.ValidateUtxoRequest.decode(await readBody(req));
        const utxoStates = outpoints.map((o) => {
          const txid = bytesToHex(o.txid.slice().reverse());
          const entry = chain.txs.get(txid);
          const coin = chain.coins.get(`${txid}:${o.outIdx}`);
          const state = !entry
            ? proto.UtxoStateVariant.NO_SUCH_TX
            : o.outIdx >= entry.tx.outputs.length
              ? proto.UtxoStateVariant.NO_SUCH_OUTPUT
              : coin
                ? proto.UtxoStateVariant.UNSPENT
                : proto.UtxoStateVariant.SPENT;
          return { height: entry?.block?.height ?? -1, isConfirmed: !!entry?.block, state };
        });
        return pb(proto.ValidateUtxoResponse.encode({ utxoStates }));
      },
    ],
    [
      'POST',
      /^\/faucet$/,
      async (_m, req) => {
        const body = await readJson(req);
        const sats = body.sats === undefined ? DEFAULT_FAUCET_SATS : BigInt(String(body.sats));
        if (sats <= 0n || sats > MAX_FAUCET_SATS)
          throw new HttpError(400, 'bad-amount', `sats must be between 1 and ${MAX_FAUCET_SATS}`);
        let txid: string;
        try {
          txid = fund(String(body.address ?? ''), sats);
        } catch (err) {
          if (err instanceof AddressError || err instanceof InsufficientFundsError)
            throw new HttpError(400, err.name, err.message);
          throw err;
        }
        if (body.mine === true) mine(1);
        return json({ txid, sats: String(sats), tipHeight: chain.tip.height });
      },
    ],
    [
      'POST',
      /^\/mine$/,
      async (_m, req) => {
        const body = await readJson(req);
        const blocks = Number(body.blocks ?? 1);
        if (!Number.isInteger(blocks) || blocks < 1 || blocks > 1000)
          throw new HttpError(400, 'bad-count', 'blocks must be 1..1000');
        if (body.address !== undefined) {
          try {
            chain.mine(blocks, addressToScript(String(body.address), chain.network));
          } catch (err) {
            throw new HttpError(400, 'bad-address', (err as Error).message);
          }
        } else mine(blocks);
        return json({ tipHeight: chain.tip.height, tipHash: chain.tip.hash });
      },
    ],
    [
      'GET',
      /^\/devnet$/,
      async () =>
        json({
          network: chain.network.name,
          tipHeight: chain.tip.height,
          tipHash: chain.tip.hash,
          mempool: chain.mempool.length,
          faucetAddress: faucet.address,
          medianTimePast: chain.medianTimePast(),
          replayProtectionTime: chain.replayProtectionTime,
          replayProtectionActive: chain.replayProtectionActive(),
        }),
    ],
  ];

  function submit(raw: Uint8Array): DevTx {
    try {
      return chain.submitRaw(raw);
    } catch (err) {
      if (err instanceof TxRejectedError)
        throw new HttpError(
          400,
          'broadcast-failed',
          `Transaction rejected by mempool: ${err.message}`,
        );
      throw err;
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://devnet');
    for (const [method, pattern, run] of routes) {
      const match = pattern.exec(url.pathname);
      if (!match || method !== req.method) continue;
      try {
        const route = await run(match, req, url);
        res.writeHead(200, { ...cors, 'content-type': route.type });
        res.end(route.body);
      } catch (err) {
        const e =
          err instanceof HttpError ? err : new HttpError(500, 'internal-error', String(err));
        const isJson = url.pathname === '/faucet' || url.pathname === '/mine';
        res.writeHead(e.status, {
          ...cors,
          'content-type': isJson ? 'application/json' : 'application/x-protobuf',
        });
        res.end(
          isJson
            ? JSON.stringify({ error: e.code, message: e.message })
            : proto.Error.encode({
                errorCode: e.code,
                msg: e.message,
                isUserError: e.status < 500,
              }).finish(),
        );
      }
      return;
    }
    res.writeHead(404, { ...cors, 'content-type': 'application/x-protobuf' });
    res.end(
      proto.Error.encode({
        errorCode: 'not-found',
        msg: `No route ${url.pathname}`,
        isUserError: true,
      }).finish(),
    );
  }

  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (socket) => {
    const subs = new Set<string>();
    subscriptions.set(socket, subs);
    socket.on('message', (data: Buffer) => {
      try {
        const sub = proto.Subscription.decode(new Uint8Array(data));
        const key = `${sub.scriptType}:${bytesToHex(sub.payload)}`;
        if (sub.isSubscribe) subs.add(key);
        else subs.delete(key);
      } catch {
        socket.send(
          proto.SubscribeMsg.encode(
            proto.SubscribeMsg.fromPartial({
              error: {
                errorCode: 'bad-subscription',
                msg: 'Malformed Subscription',
                isUserError: true,
              },
            }),
          ).finish(),
        );
      }
    });
    socket.on('close', () => subscriptions.delete(socket));
  });

  const send = (socket: WebSocket, msg: Partial<proto.SubscribeMsg>) => {
    const full: proto.SubscribeMsg = {
      error: undefined,
      AddedToMempool: undefined,
      RemovedFromMempool: undefined,
      Confirmed: undefined,
      Reorg: undefined,
      BlockConnected: undefined,
      BlockDisconnected: undefined,
      ...msg,
    };
    if (socket.readyState === socket.OPEN) socket.send(proto.SubscribeMsg.encode(full).finish());
  };
  chain.on((event) => {
    if (event.kind === 'block-connected') {
      for (const socket of subscriptions.keys())
        send(socket, { BlockConnected: { blockHash: rev(event.block.hash) } });
      return;
    }
    const keys = txKeys(event.tx);
    for (const [socket, subs] of subscriptions) {
      if (![...subs].some((k) => keys.has(k))) continue;
      const txid = rev(event.tx.txid);
      send(
        socket,
        event.kind === 'tx-added' ? { AddedToMempool: { txid } } : { Confirmed: { txid } },
      );
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? DEVNET_HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const timer = options.blockIntervalMs
    ? setInterval(() => mine(1), options.blockIntervalMs)
    : undefined;

  return {
    url: `http://${options.host ?? DEVNET_HOST}:${port}`,
    chain,
    faucet,
    mine,
    fund,
    async close() {
      clearInterval(timer);
      for (const socket of subscriptions.keys()) socket.terminate();
      wss.close();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

interface Route {
  type: string;
  body: Uint8Array | string;
}

function pb(writer: { finish(): Uint8Array }): Route {
  return { type: 'application/x-protobuf', body: writer.finish() };
}

function json(value: unknown): Route {
  return { type: 'application/json', body: JSON.stringify(value) };
}
