import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StunServer, startStunServer } from '../../src/relay/stun-server.ts';

const COOKIE = 0x2112a442;

function bindingRequest(transactionId: Uint8Array): Uint8Array {
  const request = new Uint8Array(20);
  const view = new DataView(request.buffer);
  view.setUint16(0, 0x0001);
  view.setUint32(4, COOKIE);
  request.set(transactionId, 8);
  return request;
}

/** Decodes a response the way an ICE agent does: header, XOR-MAPPED-ADDRESS, FINGERPRINT. */
function decodeResponse(message: Uint8Array) {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const attributes = new Map<number, { at: number; length: number }>();
  for (let at = 20; at < message.length;) {
    const length = view.getUint16(at + 2);
    attributes.set(view.getUint16(at), { at: at + 4, length });
    at += 4 + Math.ceil(length / 4) * 4;
  }
  const mapped = attributes.get(0x0020);
  const fingerprint = attributes.get(0x8028);
  if (!mapped || !fingerprint) throw new Error('missing attributes');
  const port = view.getUint16(mapped.at + 2) ^ (COOKIE >>> 16);
  const address = [0, 1, 2, 3]
    .map((i) => view.getUint8(mapped.at + 4 + i) ^ ((COOKIE >>> (24 - 8 * i)) & 0xff))
    .join('.');
  const expectedFingerprint = (crc32(message.subarray(0, fingerprint.at - 4)) ^ 0x5354554e) >>> 0;
  return {
    type: view.getUint16(0),
    length: view.getUint16(2),
    transactionId: message.subarray(8, 20),
    family: view.getUint8(mapped.at + 1),
    address,
    port,
    fingerprintValid: view.getUint32(fingerprint.at) === expectedFingerprint,
  };
}

describe('relay STUN responder', () => {
  let server: StunServer;
  let client: Socket;

  beforeAll(async () => {
    server = await startStunServer('127.0.0.1', 0);
    client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    client.close();
    await server.close();
  });

  function exchange(...datagrams: Uint8Array[]): Promise<Buffer> {
    const port = Number(server.url.split(':').at(-1));
    const reply = new Promise<Buffer>((resolve) => client.once('message', resolve));
    for (const datagram of datagrams) client.send(datagram, port, '127.0.0.1');
    return reply;
  }

  it('answers a Binding request with the sender’s address, XOR-mapped, and a valid fingerprint', async () => {
    const transactionId = randomBytes(12);
    const response = decodeResponse(await exchange(bindingRequest(transactionId)));
    expect(response.type).toBe(0x0101);
    expect(Buffer.from(response.transactionId).equals(transactionId)).toBe(true);
    expect(response.family).toBe(0x01);
    expect(response.address).toBe('127.0.0.1');
    expect(response.port).toBe(client.address().port);
    expect(response.fingerprintValid).toBe(true);
  });

  it('ignores datagrams that are not well-formed Binding requests', async () => {
    const wrongCookie = bindingRequest(randomBytes(12));
    wrongCookie[4] = 0;
    const wrongLength = bindingRequest(randomBytes(12));
    wrongLength[3] = 8;
    const notARequest = bindingRequest(randomBytes(12));
    notARequest[1] = 0x11; // a Binding indication
    const good = randomBytes(12);
    // Datagrams on loopback arrive in order: the first answer must be the one to the good request.
    const response = decodeResponse(
      await exchange(randomBytes(7), wrongCookie, wrongLength, notARequest, bindingRequest(good)),
    );
    expect(Buffer.from(response.transactionId).equals(good)).toBe(true);
  });
});
