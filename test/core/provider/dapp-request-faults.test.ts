/**
 * A dApp asking to send an amount the network would not relay gets -32602 (its params are at
 * fault) with the wallet's explanation in XPI and a reason code, and no approval window opens.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  type Utxo,
  encodeAddress,
  p2pkhScript,
  regtest,
  taprootScript,
} from '../../../src/core/chain/index.ts';
import { getPublicKey, tweakPublicKey } from '../../../src/core/crypto/index.ts';
import { ProposalRefusedError } from '../../../src/core/p2p/errors.ts';
import { ApprovalQueue, type PendingRequest } from '../../../src/core/provider/approval-queue.ts';
import { type DappBackend, DappService } from '../../../src/core/provider/dapp-service.ts';
import {
  type PermissionGrant,
  PermissionRegistry,
} from '../../../src/core/provider/permissions.ts';
import { planSend } from '../../../src/core/wallet/account-send.ts';

const site = { origin: 'https://dapp.example', documentId: 'doc-1' };
const ownScript = taprootScript(tweakPublicKey(getPublicKey(new Uint8Array(32).fill(5))));
const utxos: Utxo[] = [
  { outpoint: { txid: randomBytes(32), vout: 0 }, value: 1_000_000n, script: ownScript },
];

/** A connected site; the wallet plans transfers with the real planSend, as the background does. */
async function setup(prepareVaultSpend?: DappBackend['prepareVaultSpend']) {
  let grants: PermissionGrant[] = [];
  let pending: PendingRequest[] = [];
  const permissions = new PermissionRegistry({
    load: async () => grants,
    save: async (g) => void (grants = g),
  });
  const approvals = new ApprovalQueue({
    load: async () => pending,
    save: async (p) => void (pending = p),
  });
  const unused = async (): Promise<never> => {
    throw new Error('not reached');
  };
  const backend: DappBackend = {
    network: () => 'regtest',
    unlocked: async () => undefined,
    isUnlocked: () => true,
    accounts: () => [encodeAddress(ownScript, regtest)],
    balance: async () => ({ confirmed: '1000000', pending: '0', total: '1000000' }),
    async prepareTransfer(to, sats) {
      const plan = planSend({
        to,
        amount: BigInt(sats),
        utxos,
        changeScript: ownScript,
        network: regtest,
      });
      return {
        id: 'draft',
        from: encodeAddress(ownScript, regtest),
        amount: String(plan.amount),
        fee: String(plan.fee),
        total: String(plan.amount + plan.fee),
        outputs: plan.outputs.map((o) => ({ ...o, value: String(o.value) })),
      };
    },
    confirmTransfer: unused,
    signMessage: () => ({ address: '', publicKey: '', signature: '' }),
    vaults: async () => [],
    prepareVaultSpend: prepareVaultSpend ?? unused,
    proposeVaultSpend: unused,
    session: async () => undefined,
    settled: unused,
    createInvite: unused,
  };
  await permissions.grant(site.origin, 'always');
  return { service: new DappService({ backend, permissions, approvals }), approvals };
}

describe('dApp requests below the dust limit', () => {
  it('lotus_sendTransfer of 545 sats to P2PKH: -32602 in XPI, nothing to approve', async () => {
    const { service, approvals } = await setup();
    const to = encodeAddress(p2pkhScript(randomBytes(20)), regtest);
    const err = await service.sendTransfer(site, { to, sats: '545' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: -32602,
      name: 'InvalidParamsError',
      message:
        '0.000545 XPI is below the smallest amount Lotus relays to this address (0.000546 XPI)',
      data: { name: 'DustAmountError', reason: 'dust' },
    });
    expect(approvals.list()).toEqual([]);
  });

  it('lotus_requestVaultSpend refused by the vault check: -32602 with its reason', async () => {
    const message =
      "The payment to lotusR… (output 0) pays 0.000545 XPI, below the network's dust limit of 0.000546 XPI";
    const { service, approvals } = await setup(async () => {
      throw new ProposalRefusedError('dust', message);
    });
    const err = await service
      .requestVaultSpend(site, { vaultId: 'ab'.repeat(32), to: 'lotusR_payee', sats: '545' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: -32602,
      message,
      data: { name: 'ProposalRefusedError', reason: 'dust' },
    });
    expect(approvals.list()).toEqual([]);
  });
});
