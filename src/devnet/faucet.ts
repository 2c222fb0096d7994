/**
 * The devnet's faucet: a fixed, publicly known regtest key that owns the premine and every block
 * reward. It pays with the same coin selection and signer the wallet uses, and its transactions
 * enter the mempool through the same checks as anyone else's.
 */
import { sha256 } from '../core/crypto/hash.ts';
import { getPublicKey, tweakPublicKey } from '../core/crypto/index.ts';
import {
  type Transaction,
  type Utxo,
  addressToScript,
  buildUnsignedTx,
  encodeAddress,
  selectCoins,
  signTransaction,
  taprootScript,
  txidFromHex,
} from '../core/chain/index.ts';
import { COINBASE_MATURITY, type DevChain, type DevTx } from './chain.ts';

/** Not a secret: anyone on a devnet may spend the faucet's coins. */
const FAUCET_KEY = sha256(new TextEncoder().encode('petal devnet faucet'));

export const FAUCET_SCRIPT = taprootScript(tweakPublicKey(getPublicKey(FAUCET_KEY)));

export class Faucet {
  readonly #chain: DevChain;

  constructor(chain: DevChain) {
    this.#chain = chain;
  }

  get address(): string {
    return encodeAddress(FAUCET_SCRIPT, this.#chain.network);
  }

  /** Sends `sats` to a regtest address; the transaction lands in the mempool. */
  pay(address: string, sats: bigint): DevTx {
    return this.#chain.submit(this.build(address, sats));
  }

  /** The signed payment without submitting it (tests tamper with it first). */
  build(address: string, sats: bigint): Transaction {
    const script = addressToScript(address, this.#chain.network);
    const nextHeight = this.#chain.tip.height + 1;
    const utxos: Utxo[] = this.#chain
      .coinsFor(FAUCET_SCRIPT)
      .filter((c) => !c.isCoinbase || nextHeight - c.height >= COINBASE_MATURITY)
      .map((c) => ({
        outpoint: { txid: txidFromHex(c.txid), vout: c.vout },
        value: c.value,
        script: c.script,
      }));
    const outputs = [{ value: sats, script }];
    const selection = selectCoins(utxos, outputs, { changeScript: FAUCET_SCRIPT });
    if (selection.change > 0n) outputs.push({ value: selection.change, script: FAUCET_SCRIPT });
    const unsigned: Transaction = buildUnsignedTx(selection.inputs, outputs);
    // The faucet is the node's own wallet: it signs for the side the devnet judges by.
    const replay = { active: this.#chain.replayProtectionActive() };
    return signTransaction(unsigned, selection.inputs, () => FAUCET_KEY, {
      network: this.#chain.network,
      replay,
    });
  }
}
