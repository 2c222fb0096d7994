import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import {
  addressToScript,
  encodeAddress,
  p2pkhScript,
  regtest,
  txidFromHex,
} from '../../src/core/chain/index.ts';
import { getPublicKey } from '../../src/core/crypto/schnorr.ts';
import { indexerChainAccess } from '../../src/core/p2p/indexer-chain.ts';
import { MemorySessionStore } from '../../src/core/p2p/session-store.ts';
import { SigningService } from '../../src/core/p2p/signing-service.ts';
import { type Vault, createVault, encodeVaultDescriptor } from '../../src/core/wallet/vault.ts';
import { buildVaultSpend } from '../../src/core/wallet/vault-spend.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import { Libp2pMessaging } from '../../src/network/libp2p-messaging.ts';
import { type PeerNode, createPeerNode } from '../../src/network/peer-node.ts';
import type { RunningRelay } from '../../src/relay/start.ts';
import { memberOptions, startLocalRelay } from '../support/local-relay.ts';
import { until } from '../support/until.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PASSWORD = 'cosigner password for tests';

/** Runs the cosigner CLI as a real process and collects its JSON lines. */
function cli(args: string[]) {
  const child = spawn(process.execPath, ['src/cosigner/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, PETAL_COSIGNER_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not an event line
    }
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, lines, exited, stderr: () => stderr };
}

describe('headless cosigner process', () => {
  let dir: string;
  let devnet: Devnet;
  let relay: RunningRelay;
  let node: PeerNode;
  let messaging: Libp2pMessaging;
  let service: SigningService;
  let indexer: ChronikIndexer;
  let cosigner: ChildProcess | undefined;
  let vault: Vault;
  let events: Record<string, unknown>[];
  const allowed = encodeAddress(p2pkhScript(randomBytes(20)), regtest);
  const stranger = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'petal-cosigner-'));
    [devnet, relay] = await Promise.all([startDevnet({ port: 0 }), startLocalRelay()]);
    const keystore = join(dir, 'cosigner.json');
    const init = cli(['init', '--keystore', keystore, '--network', 'regtest']);
    expect(await init.exited).toBe(0);
    const memberKey = hexToBytes(init.lines[0]?.memberKey as string);

    // The other member is an in-process wallet; together they hold a 2-of-2 vault.
    const secret = randomBytes(32);
    vault = createVault([getPublicKey(secret), memberKey], regtest, 'ops');
    devnet.fund(vault.address, 100_000_000n);
    devnet.mine(1);
    const policy = join(dir, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        version: 1,
        rules: [{ vault: vault.id, allowTo: [allowed], maxPerSpendXpi: '50', maxFeeSats: 10_000 }],
      }),
    );
    const run = cli([
      'run',
      ...['--keystore', keystore, '--policy', policy, '--chronik', devnet.url],
      ...['--vault', encodeVaultDescriptor(vault), '--state', join(dir, 'state')],
      ...relay.multiaddrs.flatMap((a) => ['--relay', a]),
      ...['--stun', relay.stunUrl ?? ''],
    ]);
    cosigner = run.child;
    events = run.lines;
    await until(() => events.find((e) => e.event === 'ready'), 20_000).catch((err: unknown) => {
      throw new Error(`cosigner did not start: ${run.stderr()} ${String(err)}`);
    });

    node = await createPeerNode(memberOptions(relay));
    messaging = new Libp2pMessaging(node);
    await messaging.start();
    indexer = new ChronikIndexer({ url: devnet.url });
    service = new SigningService({
      transport: messaging,
      store: new MemorySessionStore(),
      chain: indexerChainAccess(indexer),
      timeouts: { failoverMs: 3_000, syncMs: 500 },
    });
    service.start();
    await service.addVault(vault, secret);
  }, 60_000);

  afterAll(async () => {
    cosigner?.kill('SIGTERM');
    await service?.stop();
    await messaging?.stop();
    await node?.stop();
    indexer?.close();
    await relay?.stop();
    await devnet?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function propose(to: string, sats: bigint) {
    const utxos = (await indexer.utxos(vault.script)).map((u) => ({
      outpoint: { txid: txidFromHex(u.txid), vout: u.vout },
      value: u.value,
      script: u.script,
    }));
    const spend = buildVaultSpend(vault, utxos, [{ value: sats, script: addressToScript(to) }]);
    const view = await service.propose(vault.id, spend, { memo: `pay ${to}` });
    return service.settled(view.id);
  }

  it('approves a spend its policy allows; the session broadcasts to the chain', async () => {
    const result = await propose(allowed, 10_000_000n);
    expect(result.phase).toBe('completed');
    const tx = await indexer.tx(result.txid as string);
    expect(tx.outputs[0]?.value).toBe(10_000_000n);
    await until(() => events.find((e) => e.event === 'completed' && e.txid === result.txid));
    expect(events.find((e) => e.event === 'approved')).toMatchObject({ sats: '10000000' });
  });

  it('declines a spend to an address no rule allows, and says why', async () => {
    const result = await propose(stranger, 1_000_000n);
    expect(result.phase).toBe('aborted');
    expect(result.end?.reason).toBe('declined');
    expect(result.end?.detail).toMatch(/Cosigner policy: .*not an allowed destination/);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((done) => cosigner?.on('exit', (code) => done(code)));
    cosigner?.kill('SIGTERM');
    expect(await exited).toBe(0);
    cosigner = undefined;
  });
});
