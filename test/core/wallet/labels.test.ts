import { describe, expect, it } from 'vitest';
import {
  LabelFormatError,
  formatBip329,
  mergeLabels,
  parseBip329,
} from '../../../src/core/wallet/labels.ts';

const TXID = 'f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd';
const ADDR = 'lotus_16PSJMStv9sve3DfhDpiwUCa7RtqkyNBoS8RjFZSt';

describe('BIP-329 labels', () => {
  it('round-trips transaction and address labels through the JSON-lines format', () => {
    const labels = [
      { type: 'tx' as const, ref: TXID, label: 'Rent — März "2026"' },
      { type: 'addr' as const, ref: ADDR, label: 'Alice' },
    ];
    const text = formatBip329(labels);
    expect(text).toBe(
      `{"type":"tx","ref":"${TXID}","label":"Rent — März \\"2026\\""}\n` +
        `{"type":"addr","ref":"${ADDR}","label":"Alice"}\n`,
    );
    expect(parseBip329(text)).toEqual({ labels, skipped: 0 });
  });

  it('reads other wallets’ files: blank lines, CRLF, extra fields, upper-case txids', () => {
    const text =
      `\r\n{"type":"tx","ref":"${TXID.toUpperCase()}","label":"Coffee","origin":"wpkh([d34db33f/84'/0'/0'])"}\r\n` +
      `{"type":"output","ref":"${TXID}:0","label":"change","spendable":false}\r\n` +
      `{"type":"addr","ref":"${ADDR}","spendable":true}\r\n`;
    expect(parseBip329(text)).toEqual({
      labels: [{ type: 'tx', ref: TXID, label: 'Coffee' }],
      skipped: 2,
    });
  });

  it('cuts labels longer than 255 characters, as BIP-329 allows', () => {
    const [label] = parseBip329(
      JSON.stringify({ type: 'addr', ref: ADDR, label: 'x'.repeat(300) }),
    ).labels;
    expect(label?.label).toHaveLength(255);
  });

  it.each([
    ['not json', 'Line 2: not a JSON object'],
    ['["tx"]', 'Line 2: not a JSON object'],
    ['{"ref":"abc","label":"x"}', 'Line 2: "type" is missing'],
    ['{"type":"tx","label":"x"}', 'Line 2: "ref" is missing'],
    ['{"type":"tx","ref":"abc","label":"x"}', 'Line 2: a txid is 64 hex characters'],
    [`{"type":"tx","ref":"${TXID}","label":7}`, 'Line 2: "label" is not text'],
    [`{"type":"coin","ref":"${TXID}","label":"x"}`, 'Line 2: "coin" is not a BIP-329 type'],
    ['{"type":"addr","ref":"<script>","label":"x"}', 'Line 2: the address has characters'],
  ])('refuses a malformed line (%s) with a plain message naming it', (line, message) => {
    const text = `{"type":"addr","ref":"${ADDR}","label":"ok"}\n${line}\n`;
    expect(() => parseBip329(text)).toThrow(LabelFormatError);
    expect(() => parseBip329(text)).toThrow(message);
  });

  it('merges: one label per reference, the newer wins, an empty label removes', () => {
    const old = [
      { type: 'tx' as const, ref: TXID, label: 'Old' },
      { type: 'addr' as const, ref: ADDR, label: 'Alice' },
    ];
    expect(
      mergeLabels(old, [
        { type: 'tx', ref: TXID, label: ' New ' },
        { type: 'addr', ref: ADDR, label: '' },
      ]),
    ).toEqual([{ type: 'tx', ref: TXID, label: 'New' }]);
  });
});
