import { describe, expect, it } from 'vitest';
import type { BridgeRequest } from '../../../src/core/provider/bridge.ts';
import { PageProvider } from '../../../src/core/provider/page-provider.ts';

function providerWithOutbox() {
  const outbox: BridgeRequest[] = [];
  return { provider: new PageProvider((m) => outbox.push(m)), outbox };
}

describe('PageProvider (window.lotus)', () => {
  it('sends each request with a fresh id and resolves it with the matching reply', async () => {
    const { provider, outbox } = providerWithOutbox();
    const a = provider.request({ method: 'lotus_ping' });
    const b = provider.request({ method: 'lotus_accounts', params: [] });
    expect(outbox.map((m) => m.method)).toEqual(['lotus_ping', 'lotus_accounts']);
    expect(new Set(outbox.map((m) => m.id)).size).toBe(2);
    provider.receive({ id: outbox[1]?.id, result: ['lotus_x'] });
    provider.receive({ id: outbox[0]?.id, result: { pong: true } });
    expect(await a).toEqual({ pong: true });
    expect(await b).toEqual(['lotus_x']);
  });

  it('rejects with an EIP-1193 error carrying code, name and data', async () => {
    const { provider, outbox } = providerWithOutbox();
    const pending = provider.request({ method: 'lotus_sendTransfer' });
    provider.receive({
      id: outbox[0]?.id,
      error: { code: 4001, message: 'no', name: 'UserRejectedError', data: 1 },
    });
    await expect(pending).rejects.toMatchObject({ code: 4001, name: 'UserRejectedError', data: 1 });
  });

  it('rejects malformed calls locally without sending anything', async () => {
    const { provider, outbox } = providerWithOutbox();
    for (const bad of [
      undefined,
      'lotus_ping',
      { method: 5 },
      { method: '' },
      { method: 'x'.repeat(65) },
    ]) {
      await expect(provider.request(bad)).rejects.toMatchObject({ code: -32600 });
    }
    expect(outbox).toEqual([]);
  });

  it('rejects uncloneable params with -32602', async () => {
    const provider = new PageProvider(() => {
      throw new DOMException('could not be cloned', 'DataCloneError');
    });
    await expect(provider.request({ method: 'lotus_ping', params: () => 1 })).rejects.toMatchObject(
      { code: -32602 },
    );
  });

  it('ignores forged or unrelated messages and unknown reply ids', async () => {
    const { provider, outbox } = providerWithOutbox();
    const pending = provider.request({ method: 'lotus_ping' });
    for (const junk of [
      null,
      'x',
      { id: 'nope', result: 1 },
      { event: 'evil' },
      { id: 5, result: 1 },
    ]) {
      provider.receive(junk);
    }
    provider.receive({ id: outbox[0]?.id, result: 'real' });
    expect(await pending).toBe('real');
  });

  it('delivers wallet events to listeners, survives a throwing listener, and supports removal', () => {
    const { provider } = providerWithOutbox();
    const seen: unknown[] = [];
    const listener = (data: unknown) => seen.push(data);
    provider.on('accountsChanged', () => {
      throw new Error('dApp bug');
    });
    provider.on('accountsChanged', listener);
    provider.receive({ event: 'accountsChanged', data: ['a'] });
    provider.removeListener('accountsChanged', listener);
    provider.receive({ event: 'accountsChanged', data: ['b'] });
    expect(seen).toEqual([['a']]);
  });

  it('fails every open request with 4900 on disconnect', async () => {
    const { provider } = providerWithOutbox();
    const pending = provider.request({ method: 'lotus_ping' });
    provider.disconnect();
    await expect(pending).rejects.toMatchObject({ code: 4900 });
  });
});
