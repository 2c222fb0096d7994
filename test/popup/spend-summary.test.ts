import { h } from 'preact';
import { describe, expect, it } from 'vitest';
import type { ApprovalDetails } from '../../src/core/provider/dapp-methods.ts';
import type { SessionInfo } from '../../src/core/rpc/index.ts';
import type { SendPreview } from '../../src/core/wallet/wallet-service.ts';
import {
  SpendSummary,
  type SpendRow,
  sendRows,
  sessionRows,
  transferRows,
  vaultRows,
} from '../../src/popup/spend-summary.tsx';
import { findAll, renderStatic, type StaticElement, textOf } from '../support/static-render.ts';

const PAYEE = 'lotusR16PSJKx8t5xS6wTpp5vtRPsCHZbfDCfhoLtJ5xM';
const MINE = 'lotusR16PSJPf1xW3r1Ae1xtqjcgjH5LhQU5DMwz6zZ7e';

/** Each rendered row as { role, label, value }, and checks every row is one element. */
function rowsOf(rows: readonly SpendRow[]) {
  const [dl] = renderStatic(h(SpendSummary, { rows })) as StaticElement[];
  expect(dl?.tag).toBe('dl');
  // Nothing but rows directly in the list: no stray <dt> or <dd> that could shift a grid.
  for (const child of dl!.children) expect(child).toMatchObject({ tag: 'div' });
  return (dl!.children as StaticElement[]).map((row) => {
    const dts = findAll(row.children, (e) => e.tag === 'dt');
    const dds = findAll(row.children, (e) => e.tag === 'dd');
    expect([dts.length, dds.length]).toEqual([1, 1]);
    return { role: row.attrs['data-role'], label: textOf(dts[0]!), value: textOf(dds[0]!) };
  });
}

describe('every spend summary puts each amount in the row of its own label', () => {
  it('a dApp vault spend: the payee’s amount beside "To", the change beside its label', () => {
    const details: Extract<ApprovalDetails, { kind: 'vaultSpend' }> = {
      kind: 'vaultSpend',
      vault: {
        id: 'v',
        label: 'Shared',
        address: MINE,
        members: 2,
        me: 0,
        policy: 'n-of-n',
        threshold: 2,
      } as Extract<ApprovalDetails, { kind: 'vaultSpend' }>['vault'],
      payments: [{ address: PAYEE, sats: '7000000' }],
      change: '22999500',
      fee: '500',
      inputTotal: '30000000',
      memo: 'Rent',
    };
    expect(rowsOf(vaultRows(details))).toEqual([
      { role: 'payment', label: 'To', value: `7 XPI${PAYEE}` },
      { role: 'change', label: 'Change back to the vault', value: '22.9995 XPI' },
      { role: 'fee', label: 'Network fee', value: '0.0005 XPI' },
      { role: 'total', label: 'Leaves the vault', value: '-7.0005 XPI' },
      { role: 'memo', label: 'Memo', value: '“Rent”' },
    ]);
  });

  it('a dApp transfer: payment, change back to you, fee and the balance change', () => {
    const details: Extract<ApprovalDetails, { kind: 'transfer' }> = {
      kind: 'transfer',
      from: MINE,
      outputs: [
        { address: MINE, value: '97499000', isChange: true },
        { address: PAYEE, value: '2500000', isChange: false },
      ],
      amount: '2500000',
      fee: '1000',
      total: '2501000',
    };
    expect(rowsOf(transferRows(details))).toEqual([
      { role: 'from', label: 'From', value: MINE },
      { role: 'payment', label: 'To', value: `2.5 XPI${PAYEE}` },
      { role: 'change', label: 'Change back to you', value: `97.499 XPI${MINE}` },
      { role: 'fee', label: 'Network fee', value: '0.001 XPI' },
      { role: 'total', label: 'Your balance changes by', value: '-2.501 XPI' },
    ]);
  });

  it('a single-sig send preview', () => {
    const preview: SendPreview = {
      id: 'p',
      to: PAYEE,
      amount: '12500000',
      fee: '226',
      total: '12500226',
      size: 226,
      outputs: [
        { address: PAYEE, value: '12500000', isChange: false },
        { address: MINE, value: '87499774', isChange: true },
      ],
    };
    expect(rowsOf(sendRows(preview))).toEqual([
      { role: 'payment', label: 'To', value: `12.5 XPI${PAYEE}` },
      { role: 'change', label: 'Change back to you', value: `87.499774 XPI${MINE}` },
      { role: 'fee', label: 'Network fee', value: '0.000226 XPI(226 bytes)' },
      { role: 'total', label: 'Total', value: '12.500226 XPI' },
    ]);
  });

  it('a vault session, with a data output and no change', () => {
    const session = {
      summary: {
        txid: 't',
        inputCount: 1,
        inputTotal: '10000000',
        payments: [
          { address: PAYEE, script: '76a9', sats: '9000000' },
          { script: '6a04', sats: '0', opReturn: 'abcd' },
        ],
        change: '0',
        feeSats: '1000000',
        feeRate: 1,
      },
    } as Pick<SessionInfo, 'summary'>;
    expect(rowsOf(sessionRows(session))).toEqual([
      { role: 'payment', label: 'To', value: `9 XPI${PAYEE}` },
      { role: 'payment', label: 'To', value: '0 XPIData (OP_RETURN)' },
      { role: 'fee', label: 'Network fee', value: '1 XPI' },
      { role: 'total', label: 'Leaves the vault', value: '-10 XPI' },
    ]);
  });
});
