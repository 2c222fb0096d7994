import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Federation } from './federation.ts';
import type { RelayNode } from './relay-node.ts';

export interface HealthReport {
  status: 'ok';
  peerId: string;
  multiaddrs: string[];
  connections: number;
  /** Other relays of the network connected now. */
  relays: number;
  uptimeSeconds: number;
}

export function healthReport(
  node: RelayNode,
  federation: Federation,
  startedAt: number,
): HealthReport {
  return {
    status: 'ok',
    peerId: node.peerId.toString(),
    multiaddrs: node.getMultiaddrs().map((ma) => ma.toString()),
    connections: node.getConnections().length,
    relays: federation.linkedRelays,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  };
}

/** `GET /health` → JSON report; anything else → 404. For load balancers and monitoring. */
export async function startHealthServer(
  node: RelayNode,
  federation: Federation,
  host: string,
  port: number,
): Promise<{ server: Server; url: string }> {
  const startedAt = Date.now();
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(healthReport(node, federation, startedAt)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, done);
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host}:${address.port}/health` };
}
