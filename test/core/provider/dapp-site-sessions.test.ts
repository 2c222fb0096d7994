import { describe, expect, it } from 'vitest';
import { ApprovalQueue, type PendingRequest } from '../../../src/core/provider/approval-queue.ts';
import { type DappBackend, DappService } from '../../../src/core/provider/dapp-service.ts';
import {
  type PermissionGrant,
  PermissionRegistry,
} from '../../../src/core/provider/permissions.ts';
import {
  SiteSessions,
  memorySiteSessionStorage,
} from '../../../src/core/provider/site-sessions.ts';
import type { SessionInfo } from '../../../src/core/rpc/signing-methods.ts';
import { until } from '../../support/until.ts';

const proposer = { origin: 'https://proposer.example', documentId: 'doc-1' };
const bystander = { origin: 'https://bystander.example', documentId: 'doc-2' };
const PROPOSED = 'aa'.repeat(32);
const MEMBERS_OWN = 'bb'.repeat(32);

function setup(storage = memorySiteSessionStorage()) {
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
  const session = (id: string) =>
    ({ id, phase: 'completed', txid: 'cd'.repeat(32), summary: { memo: 'payroll' } }) as never;
  const backend = {
    network: () => 'regtest',
    unlocked: async () => undefined,
    isUnlocked: () => true,
    accounts: () => ['lotusR_account'],
    vaults: async () => [],
    prepareVaultSpend: async () => ({
      id: 'draft',
      vault: {
        id: 'v',
        label: 'V',
        address: 'a',
        members: 2,
        me: 0,
        policy: 'n-of-n',
        threshold: 2,
      },
      summary: { payments: [], change: '0', feeSats: '1', inputTotal: '1' },
    }),
    proposeVaultSpend: async () => session(PROPOSED),
    settled: async (id: string) => session(id),
    // The wallet knows every session: the user's own, co-signers', other sites'.
    session: async (id: string) => session(id) as SessionInfo,
  } as unknown as DappBackend;
  const sessions = new SiteSessions(storage);
  const service = new DappService({ backend, permissions, approvals, sessions });
  const approveNext = async () => {
    const [head] = await until(() => (approvals.list().length ? approvals.list() : undefined));
    await approvals.approve(head!.id, {});
  };
  const connect = async (caller: typeof proposer) => {
    const done = service.requestAccounts(caller);
    await approveNext();
    await done;
  };
  return { service, connect, approveNext, storage };
}

describe('a site sees only the vault sessions it started', () => {
  it('lotus_getSession answers the proposer and treats everyone else’s session as unknown', async () => {
    const { service, connect, approveNext } = setup();
    await connect(proposer);
    await connect(bystander);
    const spend = service.requestVaultSpend(proposer, { vaultId: 'v', to: 'lotus_x', sats: '5' });
    await approveNext();
    await spend;
    await expect(service.session(proposer, { id: PROPOSED })).resolves.toMatchObject({
      id: PROPOSED,
    });
    // Another connected site, and a session the user or a co-signer started: not theirs.
    await expect(service.session(bystander, { id: PROPOSED })).rejects.toMatchObject({
      code: -32602,
      message: `Unknown session ${PROPOSED}`,
    });
    await expect(service.session(proposer, { id: MEMBERS_OWN })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it('sessionUpdate goes to the connected site that started the session, and only to it', async () => {
    const { service, connect, approveNext } = setup();
    await connect(proposer);
    await connect(bystander);
    const spend = service.requestVaultSpend(proposer, { vaultId: 'v', to: 'lotus_x', sats: '5' });
    await approveNext();
    await spend;
    expect(await service.sessionAudience(PROPOSED)).toEqual([proposer.origin]);
    expect(await service.sessionAudience(MEMBERS_OWN)).toEqual([]);
    await service.revokePermissions(proposer);
    expect(await service.sessionAudience(PROPOSED)).toEqual([]);
  });

  it('remembers who started what across a worker restart', async () => {
    const first = setup();
    await first.connect(proposer);
    const spend = first.service.requestVaultSpend(proposer, {
      vaultId: 'v',
      to: 'lotus_x',
      sats: '5',
    });
    await first.approveNext();
    await spend;
    const restarted = new SiteSessions(first.storage);
    expect(await restarted.owns(proposer.origin, PROPOSED)).toBe(true);
    expect(await restarted.owns(bystander.origin, PROPOSED)).toBe(false);
  });
});
