import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { p2pkhScript, regtest, txidFromHex } from '../../src/core/chain/index.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { MemorySessionStore } from '../../src/core/p2p/session-store.ts';
import {
  type CallerInfo,
  ENVELOPE_TAG,
  type MethodName,
  type MethodParams,
  type MethodResults,
  type RequestEnvelope,
  type Router,
  RpcClient,
  type WireSessionView,
} from '../../src/core/rpc/index.ts';
import { type Vault, createVault, encodeVaultDescriptor } from '../../src/core/wallet/vault.ts';
import { buildVaultSpend } from '../../src/core/wallet/vault-spend.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import { NetworkHost } from '../../src/offscreen/network-host.ts';
import { createOffscreenRouter } from '../../src/offscreen/router.ts';
import { type RunnerEvent, SigningRunner } from '../../src/offscreen/signing-runner.ts';
import { RemoteSigning } from '../../src/background/remote-signing.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';

const EXTENSION: CallerInfo = { kind: 'extension', origin: 'chrome-extension://petal' };

/** One member's network context: its node, the runner beside it, and the runner's news. */
interface Member {
  host: NetworkHost;
  runner: SigningRunner;
  router: Router;
  events: RunnerEvent[];
  secret: Uint8Array;
  /** The background's side: its copy of every session, fed by the runner's news. */
  background: RemoteSigning;
  notices: string[];
}

let nextId = 0;
async function call<M extends MethodName>(
  member: Member,
  method: M,
  params: MethodParams<M>,
  caller = EXTENSION,
): Promise<MethodResults[M]> {
  const reply = (await member.router.handle(
    { tag: ENVELOPE_TAG, kind: 'request', id: `r${nextId++}`, target: 'offscreen', method, params },
    caller,
  )) as { result?: MethodResults[M]; error?: { name: string; message: string } };
  if (reply.error) throw Object.assign(new Error(reply.error.message), { name: reply.error.name });
  return reply.result as MethodResults[M];
}

const viewsOf = (member: Member, id: string): WireSessionView[] =>
  member.events.flatMap((e) => (e.view?.id === id ? [e.view as WireSessionView] : []));

describe('the signing runner: the protocol beside the libp2p node, driven over the router', () => {
  let relay: RunningRelay;
  let devnet: Devnet;
  let members: Member[];
  let vault: Vault;

  const startParams = (m: Member) => ({
    secretKey: bytesToHex(m.secret),
    network: 'regtest' as const,
    chronikUrl: devnet.url,
    vaults: [encodeVaultDescriptor(vault)],
    replay: { learned: {} },
  });
  const start = (m: Member) => call(m, 'petal_runnerStart', startParams(m));

  beforeAll(async () => {
    relay = await startLocalRelay();
    devnet = await startDevnet();
    const { relays } = memberOptions(relay);
    members = await Promise.all(
      [0, 1].map(async () => {
        const host = new NetworkHost();
        await host.start(relays ?? [], relay.stunUrl ? [{ urls: relay.stunUrl }] : []);
        const events: RunnerEvent[] = [];
        const notices: string[] = [];
        // The store outlives a runner, as IndexedDB does.
        const store = new MemorySessionStore();
        const runner = new SigningRunner(
          host,
          (e) => {
            events.push(e);
            // Delivered from a later task, as a runtime message is (Firefox: in-process).
            queueMicrotask(() => background.receive(e));
          },
          () => store,
        );
        const router = createOffscreenRouter('test', host, runner);
        const background = new RemoteSigning(
          new RpcClient((envelope: RequestEnvelope) => router.handle(envelope, EXTENSION)),
          (kind, view) => notices.push(`${kind} ${view.id} ${view.phase}`),
        );
        return { host, runner, router, events, secret: randomBytes(32), background, notices };
      }),
    );
    vault = createVault(
      members.map((m) => getPublicKey(m.secret)),
      regtest,
      'runner',
    );
  });

  afterAll(async () => {
    await Promise.all((members ?? []).map((m) => m.runner.stop().then(() => m.host.stop())));
    await devnet?.close();
    await relay?.stop();
  });

  it('refuses a page before anything starts (4100)', async () => {
    const page: CallerInfo = { kind: 'page', origin: 'https://evil.example' };
    await expect(call(members[0] as Member, 'petal_runnerStop', {}, page)).rejects.toMatchObject({
      name: 'UnauthorizedError',
    });
    expect(members[0]?.runner.running).toBe(false);
  });

  it('a 2-of-2 round runs between two runners and reaches the chain', async () => {
    const [alice, bob] = members as [Member, Member];
    await Promise.all(members.map((m) => m.background.start(startParams(m))));
    expect(members.map((m) => m.background.sessions())).toEqual([[], []]);
    devnet.fund(vault.address, 50_000_000n);
    devnet.mine(1);
    const indexer = new ChronikIndexer({ url: devnet.url });
    const utxos = (await indexer.utxos(vault.script)).map((u) => ({
      outpoint: { txid: txidFromHex(u.txid), vout: u.vout },
      value: u.value,
      script: u.script,
    }));
    indexer.close();
    const spend = buildVaultSpend(vault, utxos, [
      { value: 20_000_000n, script: p2pkhScript(randomBytes(20)) },
    ]);
    const proposed = await alice.background.propose(vault.id, spend, { memo: 'rent' });
    expect(proposed.approvedByMe).toBe(true);
    const id = proposed.id;
    // Bob's runner tells his background a proposal is waiting; his background approves.
    await until(() => bob.notices.includes(`proposal ${id} awaiting-approvals`), 20_000);
    expect(bob.background.session(id)?.summary.payments[0]?.sats).toBe(20_000_000n);
    const approved = await bob.background.approve(id);
    expect(approved.approvals).toEqual([0, 1]);
    const settled = await Promise.all(members.map((m) => m.background.settled(id)));
    for (const view of settled) expect(view.phase).toBe('completed');
    const done = viewsOf(alice, id).find((v) => v.phase === 'completed');
    expect(done?.summary.payments[0]?.sats).toBe('20000000');
    expect(done?.txid).toBe(settled[0]?.txid);
    expect(devnet.chain.txs.get(done?.txid as string)).toBeDefined();
    // A view older than the one kept (news overtaken by an answer) does not go back in time.
    const first = bob.events.find((e) => e.view?.id === id) as RunnerEvent;
    bob.background.receive(first);
    expect(bob.background.session(id)?.phase).toBe('completed');
    // The broadcaster reports the side the node accepted, for the background's wallet to keep.
    const learned = () => members.flatMap((m) => m.events.filter((e) => e.kind === 'learned'));
    await until(() => learned().length > 0, 10_000);
    expect(learned()[0]?.learned).toMatchObject({ network: 'regtest' });
    // Events are ordered within one start: sequence numbers only grow.
    const seqs = alice.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // The member key never leaves the runner in its news.
    for (const m of members) expect(JSON.stringify(m.events)).not.toContain(bytesToHex(m.secret));
  });

  it('a second start with the same key joins the running protocol (a worker restart)', async () => {
    const alice = members[0] as Member;
    const before = alice.events[0]?.epoch;
    const again = await start(alice);
    expect(again.epoch).toBe(before);
    expect(again.sessions.map((s) => s.phase)).toEqual(['completed']);
  });

  it('stopping takes the key back: steps are refused, typed, until the next start', async () => {
    const alice = members[0] as Member;
    await call(alice, 'petal_runnerStop', {});
    expect(alice.runner.running).toBe(false);
    await expect(call(alice, 'petal_runnerApprove', { id: 'ab'.repeat(32) })).rejects.toMatchObject(
      { name: 'SigningNotRunningError' },
    );
    const restarted = await start(alice);
    expect(restarted.epoch).not.toBe(alice.events[0]?.epoch);
    // The background learns of the new runner from its next news and reads it afresh.
    const news = alice.events.findLast((e) => e.view) as RunnerEvent;
    alice.background.receive({ ...news, epoch: restarted.epoch });
    expect(alice.background.epoch).not.toBe(restarted.epoch);
    await until(() => alice.background.epoch === restarted.epoch);
    // What the old runner reported is gone; the copy is the new runner's.
    expect(alice.background.sessions().map((v) => v.id)).toEqual(
      restarted.sessions.map((v) => v.id),
    );
  });

  it('the node stopping stops the protocol on it first', async () => {
    const bob = members[1] as Member;
    expect(bob.runner.running).toBe(true);
    await call(bob, 'petal_networkStop', {});
    expect(bob.runner.running).toBe(false);
  });
});
