/**
 * One transaction from the wallet's point of view, for the detail screen: every input and output
 * with its address, amount and whether it is the wallet's own, the fee when every input's value
 * is known, and confirmations. Pure; the wallet service finds the transaction.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { IndexedTx } from '../chain/chronik.ts';
import { type NetworkParams, encodeAddress } from '../chain/index.ts';

export interface TxPartView {
  /** Absent for scripts no address encodes (OP_RETURN data, coinbase inputs). */
  address?: string;
  /** Sats (decimal string). */
  value: string;
  mine: boolean;
}

export interface TxDetail {
  txid: string;
  inputs: TxPartView[];
  outputs: TxPartView[];
  /** Sats; absent when an input's value is unknown (a coinbase). */
  fee?: string;
  /** Net change to this wallet's balance, sats (negative when sending). */
  net: string;
  confirmations: number;
  height?: number;
  /** Epoch seconds: block time, or first seen while unconfirmed. */
  time: number;
  size: number;
}

/** Builds the detail of `tx` at `tipHeight`; `owns` says whether a script (hex) is the wallet's. */
export function txDetail(
  tx: IndexedTx,
  tipHeight: number,
  owns: (scriptHex: string) => boolean,
  network: NetworkParams,
): TxDetail {
  const part = (script: Uint8Array | undefined, value: bigint): TxPartView => {
    const hex = script ? bytesToHex(script) : '';
    let address: string | undefined;
    try {
      address = script && script.length > 0 ? encodeAddress(script, network) : undefined;
    } catch {
      address = undefined;
    }
    return { ...(address ? { address } : {}), value: String(value), mine: hex !== '' && owns(hex) };
  };
  const inputs = tx.inputs.map((i) => part(i.script, i.value));
  const outputs = tx.outputs.map((o) => part(o.script, o.value));
  const sum = (parts: TxPartView[], mine?: boolean) =>
    parts
      .filter((p) => mine === undefined || p.mine === mine)
      .reduce((s, p) => s + BigInt(p.value), 0n);
  const height = tx.block?.height;
  return {
    txid: tx.txid,
    inputs,
    outputs,
    ...(tx.isCoinbase ? {} : { fee: String(sum(inputs) - sum(outputs)) }),
    net: String(sum(outputs, true) - sum(inputs, true)),
    confirmations: height === undefined ? 0 : Math.max(0, tipHeight - height + 1),
    ...(height === undefined ? {} : { height }),
    time: tx.block?.timestamp ?? tx.timeFirstSeen,
    size: tx.size,
  };
}
