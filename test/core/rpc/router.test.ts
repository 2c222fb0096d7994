import { describe, expect, it } from 'vitest';
import {
  ENVELOPE_TAG,
  MAX_MESSAGE_BYTES,
  Router,
  RpcClient,
  RpcErrorCode,
  type CallerInfo,
  type RequestEnvelope,
} from '../../../src/core/rpc/index.ts';

const page: CallerInfo = { kind: 'page', origin: 'http://127.0.0.1:1234' };

function backgroundRouter() {
  return new Router('background', {
    lotus_ping: (params, caller) => ({
      pong: true,
      echo: params?.echo,
      answeredBy: 'background',
      origin: caller.origin,
      version: 'test',
    }),
  });
}

function request(method: string, params?: unknown, extra: Partial<RequestEnvelope> = {}) {
  return {
    tag: ENVELOPE_TAG,
    kind: 'request',
    id: 'r1',
    target: 'background',
    method,
    params,
    ...extra,
  };
}

describe('Router', () => {
  it('answers a valid request with the handler result and the browser-reported origin', async () => {
    const reply = await backgroundRouter().handle(request('lotus_ping', { echo: 'hi' }), page);
    expect(reply).toEqual({
      tag: ENVELOPE_TAG,
      kind: 'response',
      id: 'r1',
      result: {
        pong: true,
        echo: 'hi',
        answeredBy: 'background',
        origin: page.origin,
        version: 'test',
      },
    });
  });

  it('returns UnsupportedMethodError (4200) for an unknown method', async () => {
    const reply = await backgroundRouter().handle(request('lotus_stealKeys'), page);
    expect(reply).toMatchObject({
      id: 'r1',
      error: { name: 'UnsupportedMethodError', code: 4200 },
    });
  });

  it('refuses a method that belongs to another context', async () => {
    const reply = await backgroundRouter().handle(request('petal_offscreenPing'), page);
    expect(reply).toMatchObject({ error: { code: RpcErrorCode.unsupportedMethod } });
  });

  it('returns InvalidParamsError (-32602) for malformed params, naming the method', async () => {
    for (const params of [{ echo: 42 }, { echo: 'x', extra: true }, 'string', [1, 2]]) {
      const reply = await backgroundRouter().handle(request('lotus_ping', params), page);
      expect(reply).toMatchObject({ error: { name: 'InvalidParamsError', code: -32602 } });
      // The method is named for developers in data; the message is for people.
      expect('error' in reply && reply.error.data).toMatchObject({ method: 'lotus_ping' });
      expect('error' in reply && reply.error.message).not.toMatch(/Invalid |Expected/);
    }
  });

  it('returns InvalidRequestError (-32600) for a malformed envelope', async () => {
    const bad = [
      null,
      42,
      'lotus_ping',
      { tag: ENVELOPE_TAG },
      request('lotus_ping', undefined, { id: '' }),
      request('lotus_ping', undefined, { kind: 'response' as 'request' }),
      request('', undefined),
    ];
    for (const message of bad) {
      const reply = await backgroundRouter().handle(message, page);
      expect(reply).toMatchObject({ kind: 'response', error: { code: -32600 } });
    }
  });

  it('refuses an oversized message before looking at it', async () => {
    const huge = request('lotus_ping', { echo: 'x'.repeat(MAX_MESSAGE_BYTES) });
    const reply = await backgroundRouter().handle(huge, page);
    expect(reply).toMatchObject({
      error: { name: 'MessageTooLargeError', code: RpcErrorCode.messageTooLarge },
    });
  });

  it('turns a throwing handler into an error response that keeps the error name', async () => {
    class VaultLockedError extends Error {
      override name = 'VaultLockedError';
    }
    const router = new Router('background', {
      lotus_ping: () => {
        throw new VaultLockedError('locked');
      },
    });
    const reply = await router.handle(request('lotus_ping'), page);
    expect(reply).toMatchObject({
      error: { name: 'VaultLockedError', code: -32603, message: 'locked' },
    });
  });

  it('only accepts requests addressed to its own context', () => {
    const router = backgroundRouter();
    expect(router.accepts(request('lotus_ping'))).toBe(true);
    expect(router.accepts(request('lotus_ping', undefined, { target: 'offscreen' }))).toBe(false);
    expect(router.accepts({ type: 'something-else' })).toBe(false);
  });
});

describe('RpcClient', () => {
  it('round-trips through a router and rebuilds remote errors by name and code', async () => {
    const router = backgroundRouter();
    const client = new RpcClient((envelope) => router.handle(envelope, page));
    await expect(client.request('lotus_ping', { echo: 'a' })).resolves.toMatchObject({ echo: 'a' });
    const err = await client
      .request('lotus_ping', { echo: 7 } as unknown as { echo: string })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InvalidParamsError', code: -32602 });
  });

  it('rejects with RpcTimeoutError when no reply arrives in time', async () => {
    const client = new RpcClient(() => new Promise(() => {}), { timeoutMs: 20 });
    await expect(client.request('lotus_ping')).rejects.toMatchObject({ name: 'RpcTimeoutError' });
  });

  it('rejects a reply whose id does not match the request', async () => {
    const client = new RpcClient(async () => ({
      tag: ENVELOPE_TAG,
      kind: 'response',
      id: 'someone-else',
      result: {},
    }));
    await expect(client.request('lotus_ping')).rejects.toMatchObject({
      name: 'InvalidRequestError',
    });
  });

  it('refuses to send an oversized request', async () => {
    const client = new RpcClient(async () => undefined);
    await expect(
      client.request('lotus_ping', { echo: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }),
    ).rejects.toMatchObject({
      name: 'MessageTooLargeError',
    });
  });
});
