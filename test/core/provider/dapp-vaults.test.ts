import { describe, expect, it } from 'vitest';
import { ApprovalQueue, type PendingRequest } from '../../../src/core/provider/approval-queue.ts';
import {
  type DappBackend,
  DappService,
  type WalletVault,
  dappVault,
} from '../../../src/core/provider/dapp-service.ts';
import {
  type PermissionGrant,
  PermissionRegistry,
} from '../../../src/core/provider/permissions.ts';
import type { SessionInfo } from '../../../src/core/rpc/signing-methods.ts';
import { until } from '../../support/until.ts';

const site = { origin: 'https://dapp.example', documentId: 'doc-1' };
const danaKey = `02${'d1'.repeat(32)}`;

/** What the wallet's signing host reports (VaultInfo's fields, extras a dApp must not see). */
const pair: WalletVault & { descriptor: string; policyText: string } = {
  id: 'a'.repeat(64),
  label: 'Pair',
  address: 'lotusR_pair',
  members: 2,
  me: 1,
  policy: 'n-of-n',
  threshold: 2,
  descriptor: 'petalvault1…',
  policyText: 'both Alice (member 1) and you',
};
const household: WalletVault & { descriptor: string; policyText: string } = {
  id: 'b'.repeat(64),
  label: 'Household',
  address: 'lotusR_household',
  members: 3,
  me: 0,
  policy: 'threshold',
  threshold: 2,
  recovery: { afterBlocks: 21_600, keys: [danaKey], threshold: 1 },
  descriptor: 'petalvault1…',
  policyText: 'any 2 of you, Bob (member 2) and Member 3; the recovery key alone after …',
};

function setup(settled: Partial<SessionInfo>) {
  let grants: PermissionGrant[] = [];
  let pending: PendingRequest[] = [];
  const backend: DappBackend = {
    network: () => 'regtest',
    unlocked: async () => undefined,
    isUnlocked: () => true,
    accounts: () => ['lotusR_account'],
    balance: async () => ({ confirmed: '0', pending: '0', total: '0' }),
    prepareTransfer: async () => {
      throw new Error('unused');
    },
    confirmTransfer: async () => 'unused',
    signMessage: () => ({ address: '', publicKey: '', signature: '' }),
    vaults: async () => [pair, household],
    prepareVaultSpend: async () => ({
      id: 'draft',
      vault: household,
      summary: {
        txid: '00',
        inputCount: 1,
        inputTotal: '100000',
        payments: [{ address: 'lotusR_payee', script: '', sats: '50000' }],
        change: '49000',
        feeSats: '1000',
        feeRate: 2,
      },
    }),
    proposeVaultSpend: async () => ({ id: 's1' }) as SessionInfo,
    session: async () => undefined,
    settled: async () => ({ id: 's1', ...settled }) as SessionInfo,
    createInvite: async () => ({ code: 'petalinvite1…', expiresAt: 1 }),
  };
  const permissions = new PermissionRegistry({
    load: async () => grants,
    save: async (g) => void (grants = g),
  });
  const approvals = new ApprovalQueue({
    load: async () => pending,
    save: async (p) => void (pending = p),
  });
  const service = new DappService({ backend, permissions, approvals });
  const approveNext = async () => {
    const [head] = await until(() => (approvals.list().length ? approvals.list() : undefined));
    await approvals.approve(head!.id, {});
    return head!;
  };
  const connect = async () => {
    const connecting = service.requestAccounts(site);
    await approveNext();
    await connecting;
  };
  return { service, connect, approveNext };
}

describe('lotus_getVaults and vault spends report the vault policy', () => {
  it('reports n-of-n and threshold vaults with their recovery path, counting keys, never listing them', async () => {
    const { service, connect } = setup({ phase: 'completed', txid: 'ab'.repeat(32) });
    await connect();
    const vaults = await service.vaults(site);
    expect(vaults).toEqual([
      {
        id: pair.id,
        label: 'Pair',
        address: 'lotusR_pair',
        members: 2,
        policy: 'n-of-n',
        threshold: 2,
      },
      {
        id: household.id,
        label: 'Household',
        address: 'lotusR_household',
        members: 3,
        policy: 'threshold',
        threshold: 2,
        recovery: { afterBlocks: 21_600, keys: 1, threshold: 1 },
      },
    ]);
    // Nothing beyond the documented shape: no descriptor, no key material, no member index, and
    // not the names the user gave the members.
    expect(JSON.stringify(vaults)).not.toContain(danaKey);
    expect(JSON.stringify(vaults)).not.toMatch(/Alice|Bob/);
    expect(JSON.stringify(vaults)).not.toContain('petalvault');
  });

  it('shows the approval window the vault and its rule, without its descriptor or keys', async () => {
    const { service, connect, approveNext } = setup({ phase: 'completed', txid: 'ab'.repeat(32) });
    await connect();
    const spend = service.requestVaultSpend(site, {
      vaultId: household.id,
      to: 'lotusR_payee',
      sats: '50000',
    });
    const shown = await approveNext();
    // The window (not the site) names the members as the user does, and knows who proposes.
    expect(shown.details).toMatchObject({
      kind: 'vaultSpend',
      vault: { ...dappVault(household), me: 0, policyText: household.policyText },
    });
    expect(JSON.stringify(shown.details)).not.toContain(danaKey);
    await spend;
  });

  it('a spend signed through a leaf reports its signers; a key-path spend reports none', async () => {
    const leaf = setup({ phase: 'completed', txid: 'ab'.repeat(32), pathSigners: [0, 2] });
    await leaf.connect();
    const viaLeaf = leaf.service.requestVaultSpend(site, {
      vaultId: household.id,
      to: 'lotusR_payee',
      sats: '50000',
    });
    await leaf.approveNext();
    expect(await viaLeaf).toEqual({ txid: 'ab'.repeat(32), sessionId: 's1', pathSigners: [0, 2] });

    const keyPath = setup({ phase: 'completed', txid: 'cd'.repeat(32) });
    await keyPath.connect();
    const viaKey = keyPath.service.requestVaultSpend(site, {
      vaultId: household.id,
      to: 'lotusR_payee',
      sats: '50000',
    });
    await keyPath.approveNext();
    expect(await viaKey).toEqual({ txid: 'cd'.repeat(32), sessionId: 's1' });
  });
});
