/**
 * Every spend the popup asks a person to approve or confirm — a single-sig send, a dApp transfer,
 * a dApp vault spend, a vault proposal — is shown by this one component from one data shape.
 *
 * Each row is one element holding its label and its amount (a <div> grouping one <dt> and its
 * <dd>), so no layout can put a label beside another row's amount: the dApp vault-spend approval
 * once showed the payee beside "Change back to the vault" because a stray <dd> shifted a grid.
 */
import type { ApprovalDetails } from '../core/provider/dapp-methods.ts';
import type { SessionInfo } from '../core/rpc/index.ts';
import type { SendPreview } from '../core/wallet/wallet-service.ts';
import { Grouped, Xpi } from './ui.tsx';

export type SpendRole = 'from' | 'payment' | 'change' | 'fee' | 'total' | 'memo';

/** One row: a label, and under it the one amount (and address) it describes. */
export interface SpendRow {
  role: SpendRole;
  label: string;
  /** Decimal sats; a leading "-" for money leaving. Absent for rows without an amount. */
  sats?: string;
  /** The address (or a description of the script) the amount goes to or comes from. */
  address?: string;
  /** Plain text after the amount, e.g. "(226 bytes)", or the whole value of a text row. */
  note?: string;
}

type Output = { address: string; value: string; isChange: boolean };

/** Outputs in order, payments first, each labelled by what it is. */
function outputRows(outputs: readonly Output[], changeLabel: string): SpendRow[] {
  const payments = outputs.filter((o) => !o.isChange);
  const change = outputs.filter((o) => o.isChange);
  return [
    ...payments.map((o) => ({
      role: 'payment' as const,
      label: 'To',
      sats: o.value,
      address: o.address,
    })),
    ...change.map((o) => ({
      role: 'change' as const,
      label: changeLabel,
      sats: o.value,
      address: o.address,
    })),
  ];
}

/** A single-sig send this wallet prepared: what goes out, what comes back, the fee, the total. */
export function sendRows(preview: SendPreview): SpendRow[] {
  return [
    ...outputRows(preview.outputs, 'Change back to you'),
    { role: 'fee', label: 'Network fee', sats: preview.fee, note: `(${preview.size} bytes)` },
    { role: 'total', label: 'Total', sats: preview.total },
  ];
}

/** A dApp's transfer from this wallet's account. */
export function transferRows(details: Extract<ApprovalDetails, { kind: 'transfer' }>): SpendRow[] {
  return [
    { role: 'from', label: 'From', address: details.from },
    ...outputRows(details.outputs, 'Change back to you'),
    { role: 'fee', label: 'Network fee', sats: details.fee },
    { role: 'total', label: 'Your balance changes by', sats: `-${details.total}` },
  ];
}

type VaultPayment = { address?: string; script?: string; sats: string; opReturn?: string };

function paymentAddress(p: VaultPayment): string {
  if (p.address) return p.address;
  return p.opReturn !== undefined ? 'Data (OP_RETURN)' : 'a script without an address';
}

/** A vault spend (a dApp's request or a member's proposal): payments, change, fee, what leaves. */
export function vaultRows(spend: {
  payments: readonly VaultPayment[];
  change: string;
  fee: string;
  memo?: string | undefined;
}): SpendRow[] {
  const leaves = spend.payments.reduce((sum, p) => sum + BigInt(p.sats), BigInt(spend.fee));
  return [
    ...spend.payments.map((p) => ({
      role: 'payment' as const,
      label: 'To',
      sats: p.sats,
      address: paymentAddress(p),
    })),
    ...(BigInt(spend.change) > 0n
      ? [{ role: 'change' as const, label: 'Change back to the vault', sats: spend.change }]
      : []),
    { role: 'fee', label: 'Network fee', sats: spend.fee },
    { role: 'total', label: 'Leaves the vault', sats: `-${leaves}` },
    ...(spend.memo ? [{ role: 'memo' as const, label: 'Memo', note: `“${spend.memo}”` }] : []),
  ];
}

/**
 * A vault session's summary, as every member's wallet recomputed it from the transaction (the
 * session screens show the memo above it, so it is not repeated here).
 */
export function sessionRows(s: Pick<SessionInfo, 'summary'>): SpendRow[] {
  return vaultRows({
    payments: s.summary.payments,
    change: s.summary.change,
    fee: s.summary.feeSats,
  });
}

/** The rows of a spend as a description list, one <div> per row (label and amount together). */
export function SpendSummary({ rows, id }: { rows: readonly SpendRow[]; id?: string }) {
  return (
    <dl class="spend" id={id}>
      {rows.map((row, i) => (
        <div class="spend-row" data-role={row.role} key={i}>
          <dt>{row.label}</dt>
          <dd>
            {row.sats !== undefined && (
              <strong class="spend-amount">
                <Xpi sats={row.sats} />
              </strong>
            )}
            {row.note !== undefined && <span class="spend-note">{row.note}</span>}
            {row.address !== undefined &&
              (/^lotus/.test(row.address) ? (
                <Grouped class="spend-address" text={row.address} />
              ) : (
                <span class="spend-address">{row.address}</span>
              ))}
          </dd>
        </div>
      ))}
    </dl>
  );
}
