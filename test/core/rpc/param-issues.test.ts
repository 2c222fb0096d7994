import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { Router, RpcErrorCode, ENVELOPE_TAG } from '../../../src/core/rpc/index.ts';
import { issuesInWords } from '../../../src/core/rpc/param-issues.ts';

const Form = v.strictObject({
  to: v.pipe(v.string(), v.minLength(10), v.maxLength(128)),
  amount: v.optional(v.pipe(v.string(), v.maxLength(32))),
  memo: v.optional(v.pipe(v.string(), v.maxLength(200))),
  relay: v.optional(v.pipe(v.string(), v.minLength(4))),
  url: v.optional(v.pipe(v.string(), v.regex(/^https:/, 'Enter an https URL'))),
  count: v.optional(v.number()),
});
const words = (input: unknown) => issuesInWords(v.safeParse(Form, input).issues ?? []);

describe('invalid params in plain words', () => {
  it('says which field is wrong and how, never valibot’s text', () => {
    expect(words({ to: 'lotusR123' })).toBe('The address is too short');
    expect(words({ to: 'x'.repeat(129) })).toBe('The address is too long');
    expect(words({ to: 'lotusR1234567', amount: '1'.repeat(33) })).toBe('The amount is too long');
    expect(words({ to: 'lotusR1234567', memo: 'm'.repeat(201) })).toBe('The memo is too long');
    expect(words({ to: 'lotusR1234567', relay: '/ip' })).toBe('The relay address is too short');
    expect(words({})).toBe('The address is missing');
    expect(words({ to: 5 })).toBe('The address must be a string');
    expect(words({ to: 'lotusR1234567', count: 'x' })).toBe('The count must be a number');
    expect(words({ to: 'lotusR1234567', extra: 1 })).toBe('“extra” is not expected here');
    expect(words('text')).toBe('The request’s params must be an object');
  });

  it('keeps a message a schema wrote for people', () => {
    expect(words({ to: 'lotusR1234567', url: 'http://x' })).toBe('Enter an https URL');
  });

  it('is what the router answers a dApp with (-32602)', async () => {
    const router = new Router('background', { lotus_ping: () => ({}) as never });
    const reply = await router.handle(
      {
        tag: ENVELOPE_TAG,
        kind: 'request',
        id: 'r1',
        target: 'background',
        method: 'lotus_ping',
        params: { echo: 5 },
      },
      { kind: 'page', origin: 'http://127.0.0.1:1' },
    );
    expect(reply).toMatchObject({
      error: { code: RpcErrorCode.invalidParams, message: 'The echo must be a string' },
    });
  });
});
