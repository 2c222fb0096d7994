import { describe, expect, it } from 'vitest';
import { ApprovalQueue, type PendingRequest } from '../../../src/core/provider/approval-queue.ts';
import {
  type DappBackend,
  DappService,
  VaultSpendFailedError,
  type WalletVault,
} from '../../../src/core/provider/dapp-service.ts';
import {
  type PermissionGrant,
  PermissionRegistry,
} from '../../../src/core/provider/permissions.ts';
import type { SessionInfo } from '../../../src/core/rpc/signing-methods.ts';
import { until } from '../../support/until.ts';

const site = { origin: 'https://dapp.example', documentId: 'doc-1' };
const other = { origin: 'https://other.example', documentId: 'doc-2' };

const ours: WalletVault = {
  id: 'v',
  label: 'Ours',
  address: 'lotusR_vault',
  members: 2,
  me: 0,
  policy: 'n-of-n',
  threshold: 2,
};

/** The wallet side, in memory: records what the rules let through. */
function walletBackend(end: Partial<SessionInfo> = { phase: 'completed', txid: 'ab'.repeat(32) }) {
  const calls: string[] = [];
  const backend: DappBackend = {
    network: () => 'regtest',
    unlocked: async () => undefined,
    isUnlocked: () => true,
    accounts: () => ['lotusR_account'],
    balance: async () => ({ confirmed: '5', pending: '0', total: '5' }),
    prepareTransfer: async (to, sats) => ({
      id: 'draft',
      from: 'lotusR_account',
      amount: sats,
      fee: '200',
      total: String(BigInt(sats) + 200n),
      outputs: [{ address: to, value: sats, isChange: false }],
    }),
    confirmTransfer: async (id) => (calls.push(`confirm:${id}`), 'cd'.repeat(32)),
    signMessage: (message) => (
      calls.push(`sign:${message}`),
      { address: 'lotusR_account', publicKey: '02', signature: 'sig' }
    ),
    vaults: async () => [ours],
    prepareVaultSpend: async () => ({
      id: 'vdraft',
      vault: ours,
      summary: {
        txid: '00',
        inputCount: 1,
        inputTotal: '100',
        payments: [{ address: 'lotusR_payee', script: '', sats: '50' }],
        change: '40',
        feeSats: '10',
        feeRate: 1,
      },
    }),
    proposeVaultSpend: async (id) => (calls.push(`propose:${id}`), { id: 's1' }) as SessionInfo,
    session: async () => undefined,
    settled: async () => ({ id: 's1', ...end }) as SessionInfo,
    createInvite: async () => ({ code: 'petalinvite1…', expiresAt: 1 }),
  };
  return { backend, calls };
}

function setup(end?: Partial<SessionInfo>) {
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
  const { backend, calls } = walletBackend(end);
  const service = new DappService({ backend, permissions, approvals });
  /** The user answers the oldest waiting request. */
  const answer = async (approve: boolean, duration?: 'once' | '1h' | 'always') => {
    const [head] = await until(() => (approvals.list().length ? approvals.list() : undefined));
    if (approve) await approvals.approve(head!.id, duration ? { duration } : {});
    else await approvals.reject(head!.id);
    return head!;
  };
  return { service, calls, answer, permissions, approvals };
}

describe('DappService', () => {
  it('reveals nothing and signs nothing for a site that is not connected (4100)', async () => {
    const { service, calls } = setup();
    await expect(service.balance(site)).rejects.toMatchObject({ code: 4100 });
    await expect(service.vaults(site)).rejects.toMatchObject({ code: 4100 });
    await expect(service.signMessage(site, { message: 'hi' })).rejects.toMatchObject({
      code: 4100,
    });
    await expect(service.sendTransfer(site, { to: 'x', sats: '1' })).rejects.toMatchObject({
      code: 4100,
    });
    expect(await service.accounts(site)).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('connects only after approval; a grant is per origin', async () => {
    const { service, answer } = setup();
    const connecting = service.requestAccounts(site);
    const shown = await answer(true, 'always');
    expect(shown).toMatchObject({ origin: site.origin, details: { kind: 'connect' } });
    expect(await connecting).toEqual(['lotusR_account']);
    expect(await service.accounts(site)).toEqual(['lotusR_account']);
    expect(await service.accounts(other)).toEqual([]);
    expect(await service.getPermissions(other)).toEqual([]);
    expect(await service.getPermissions(site)).toHaveLength(1);
    await service.revokePermissions(site);
    expect(await service.accounts(site)).toEqual([]);
  });

  it('"once" answers one request and grants nothing', async () => {
    const { service, answer } = setup();
    const connecting = service.requestAccounts(site);
    await answer(true, 'once');
    expect(await connecting).toEqual(['lotusR_account']);
    expect(await service.accounts(site)).toEqual([]);
  });

  it('a rejected transfer is never signed (4001); an approved one sends the shown draft', async () => {
    const { service, answer, calls } = setup();
    const connecting = service.requestAccounts(site);
    await answer(true);
    await connecting;
    const rejected = service.sendTransfer(site, { to: 'lotusR_payee', sats: '1000' });
    const shown = await answer(false);
    expect(shown.details).toMatchObject({ kind: 'transfer', amount: '1000', fee: '200' });
    await expect(rejected).rejects.toMatchObject({ code: 4001 });
    expect(calls).toEqual([]);
    const sent = service.sendTransfer(site, { to: 'lotusR_payee', sats: '1000' });
    await answer(true);
    expect(await sent).toEqual({ txid: 'cd'.repeat(32) });
    expect(calls).toEqual(['confirm:draft']);
  });

  it('a vault spend resolves with the txid, or rejects with why the session ended', async () => {
    const ok = setup();
    const connecting = ok.service.requestAccounts(site);
    await ok.answer(true);
    await connecting;
    const spend = ok.service.requestVaultSpend(site, {
      vaultId: 'v',
      to: 'lotusR_payee',
      sats: '50',
    });
    const shown = await ok.answer(true);
    expect(shown.details).toMatchObject({ kind: 'vaultSpend', fee: '10', change: '40' });
    expect(await spend).toEqual({ txid: 'ab'.repeat(32), sessionId: 's1' });
    expect(ok.calls).toEqual(['propose:vdraft']);

    for (const [end, code, type] of [
      [{ reason: 'declined', detail: 'Bob declined' }, 4001, Error],
      [{ reason: 'expired', detail: 'Nobody answered in time' }, -32603, VaultSpendFailedError],
    ] as const) {
      const failing = setup({ phase: 'aborted', end });
      const c = failing.service.requestAccounts(site);
      await failing.answer(true);
      await c;
      const attempt = failing.service.requestVaultSpend(site, {
        vaultId: 'v',
        to: 'lotusR_payee',
        sats: '50',
      });
      await failing.answer(true);
      const err = await attempt.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      expect(err).toMatchObject({ code, message: expect.stringContaining(end.detail) });
    }
  });
});
