import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport } from '../../src/core/p2p/transport.ts';
import { until } from './until.ts';

export interface ContractSetup {
  peers: [Transport, Transport, Transport];
  /** Make the third peer unreachable (crash / partition). */
  cutOff(): Promise<void>;
  teardown(): Promise<void>;
}

const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);

/** The behaviour the signing protocol relies on, checked against every Transport implementation. */
export function transportContract(name: string, setup: () => Promise<ContractSetup>): void {
  describe(`Transport contract: ${name}`, () => {
    let env: ContractSetup;
    beforeAll(async () => {
      env = await setup();
    });
    afterAll(async () => {
      await env?.teardown();
    });

    it('publishes to the other subscribers of a topic, with the authenticated author, not to itself', async () => {
      const [a, b, c] = env.peers;
      const seen: Record<string, [string, string][]> = { a: [], b: [], c: [] };
      a.subscribe('petal/contract/t', (from, data) => void seen.a!.push([from, read(data)]));
      b.subscribe('petal/contract/t', (from, data) => void seen.b!.push([from, read(data)]));
      c.subscribe('petal/contract/t', (from, data) => void seen.c!.push([from, read(data)]));
      await until(async () => {
        await a.publish('petal/contract/t', text('hello'));
        return seen.b!.length > 0 && seen.c!.length > 0 ? true : undefined;
      }, 15_000);
      expect(seen.b![0]).toEqual([a.peerId, 'hello']);
      expect(seen.c![0]).toEqual([a.peerId, 'hello']);
      expect(seen.a).toEqual([]);
    });

    it('delivers a direct message with the authenticated sender once acknowledged', async () => {
      const [a, b] = env.peers;
      const got = new Promise<[string, string]>((done) =>
        b.onDirect((from, data) => done([from, read(data)])),
      );
      await a.send(b.peerId, text('partial signatures'));
      expect(await got).toEqual([a.peerId, 'partial signatures']);
    });

    it('serves records to peers that ask later, and nothing for unknown ids', async () => {
      const [a, , c] = env.peers;
      await until(async () => {
        await a.putRecord('contract/sessions', text('sealed'), Date.now() + 60_000);
        const got = await c.getRecord('contract/sessions');
        return got && read(got) === 'sealed' ? true : undefined;
      });
      expect(await c.getRecord('contract/nothing')).toBeUndefined();
    });

    it('rejects a direct send to a peer that is gone', async () => {
      const [a, , c] = env.peers;
      await env.cutOff();
      await expect(a.send(c.peerId, text('hello?'), AbortSignal.timeout(8_000))).rejects.toThrow();
    });
  });
}
