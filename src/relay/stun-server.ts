import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { crc32 } from 'node:zlib';

/**
 * A STUN Binding responder (RFC 8489 §5, the part a WebRTC agent needs to learn its
 * server-reflexive address). A relay serves it so members need no third-party STUN server, which
 * would learn who talks to whom; and on a machine whose only interface is loopback (WebRTC
 * stacks never gather loopback host candidates) it is what gives peers an address to meet on.
 */

const MAGIC_COOKIE = 0x2112a442;
const HEADER_BYTES = 20;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const FINGERPRINT = 0x8028;
const FINGERPRINT_XOR = 0x5354554e;

/** The Binding success response for `request` seen from `from`, or undefined to stay silent. */
export function bindingResponse(request: Uint8Array, from: RemoteInfo): Uint8Array | undefined {
  if (request.length < HEADER_BYTES || request.length > 548) return undefined;
  const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
  if (view.getUint16(0) !== BINDING_REQUEST) return undefined; // also rejects non-STUN (top bits)
  if (view.getUint32(4) !== MAGIC_COOKIE) return undefined;
  if (view.getUint16(2) !== request.length - HEADER_BYTES) return undefined;
  const transactionId = request.subarray(8, HEADER_BYTES);

  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; answer them as the IPv4 they are.
  const address = from.address.replace(/^::ffff:(?=\d+\.)/i, '');
  const ipv4 = isIPv4(address);
  const addressBytes = ipv4 ? ipv4Bytes(address) : ipv6Bytes(address);
  const xorKey = new Uint8Array(16);
  new DataView(xorKey.buffer).setUint32(0, MAGIC_COOKIE);
  xorKey.set(transactionId, 4);
  const mappedLength = 4 + addressBytes.length;

  const response = new Uint8Array(HEADER_BYTES + 4 + mappedLength + 8);
  const out = new DataView(response.buffer);
  out.setUint16(0, BINDING_SUCCESS);
  out.setUint16(2, response.length - HEADER_BYTES);
  out.setUint32(4, MAGIC_COOKIE);
  response.set(transactionId, 8);
  let at = HEADER_BYTES;
  out.setUint16(at, XOR_MAPPED_ADDRESS);
  out.setUint16(at + 2, mappedLength);
  out.setUint8(at + 5, ipv4 ? 0x01 : 0x02);
  out.setUint16(at + 6, from.port ^ (MAGIC_COOKIE >>> 16));
  addressBytes.forEach((byte, i) => out.setUint8(at + 8 + i, byte ^ (xorKey[i] ?? 0)));
  at += 4 + mappedLength;
  out.setUint16(at, FINGERPRINT);
  out.setUint16(at + 2, 4);
  out.setUint32(at + 4, (crc32(response.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0);
  return response;
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Uint8Array {
  const zoneless = address.split('%')[0] ?? address;
  const [head = '', tail = ''] = zoneless.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const explicit = [...groups(head), ...groups(tail)];
  const words = zoneless.includes('::')
    ? [...groups(head), ...Array<string>(8 - explicit.length).fill('0'), ...groups(tail)]
    : explicit;
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    const value = parseInt(word, 16);
    bytes[2 * i] = value >>> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}

export interface StunServer {
  /** `stun:host:port` as bound (a wildcard host is no address to give out: see stun-announce.ts). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens for Binding requests on UDP `host:port` (0 → any free port). */
export async function startStunServer(host: string, port: number): Promise<StunServer> {
  const socket: Socket = createSocket(isIPv4(host) ? 'udp4' : 'udp6');
  socket.on('message', (message, from) => {
    const response = bindingResponse(message, from);
    if (response) socket.send(response, from.port, from.address);
  });
  // A bad datagram or an ICMP error must not take the relay down.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const bound = socket.address();
  const urlHost = isIPv4(bound.address) ? bound.address : `[${bound.address}]`;
  return {
    url: `stun:${urlHost}:${bound.port}`,
    port: bound.port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
