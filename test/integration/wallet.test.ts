import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronikIndexer } from '../../src/core/chain/chronik.ts';
import { addressToScript, serializeTx } from '../../src/core/chain/index.ts';
import { activityOf, fetchSnapshot } from '../../src/core/wallet/account-sync.ts';
import { type Devnet, startDevnet } from '../../src/devnet/server.ts';
import type { WalletService } from '../../src/core/wallet/wallet-service.ts';
import { until } from '../support/until.ts';
import {
  expectNoSecretsStored,
  freshDb,
  memorySession,
  secretNeedles,
  walletService,
} from './wallet-support.ts';

const PASSWORD = 'correct horse battery';
const XPI = 1_000_000n;

// The wallet service against the embedded devnet through the real Chronik client: the same code
// paths the extension runs, over HTTP and WebSocket on 127.0.0.1.
describe('wallet against the devnet', () => {
  let devnet: Devnet;
  let alice: ReturnType<typeof walletService>;
  let bob: ReturnType<typeof walletService>;
  let aliceNeedles: string[];

  const balance = (w: WalletService) => {
    const b = w.view().balance;
    return b && { confirmed: BigInt(b.confirmed), pending: BigInt(b.pending) };
  };

  beforeAll(async () => {
    devnet = await startDevnet();
    alice = walletService(devnet.url);
    bob = walletService(devnet.url);
    for (const w of [alice, bob]) {
      await w.service.init();
      await w.service.updateSettings({ network: 'regtest', chronikUrl: devnet.url });
    }
    const { mnemonic, confirm } = alice.service.newMnemonic(12);
    const words = mnemonic.split(' ');
    await alice.service.createFromPending(
      PASSWORD,
      confirm.map((i) => words[i] as string),
    );
    aliceNeedles = secretNeedles(mnemonic, PASSWORD, 'regtest');
    const bobPhrase = bob.service.newMnemonic(24);
    await bob.service.createFromPending(
      'bob password 123',
      bobPhrase.confirm.map((i) => bobPhrase.mnemonic.split(' ')[i] as string),
    );
  });

  afterAll(async () => {
    await alice?.service.lock();
    await bob?.service.lock();
    await devnet?.close();
  });

  it('receives from the faucet: pending at once over the WebSocket, confirmed after a block', async () => {
    expect(alice.service.view().status).toBe('unlocked');
    const address = await alice.service.receiveAddress();
    expect(address).toMatch(/^lotusR/);
    devnet.fund(address, 250n * XPI);
    await until(() => balance(alice.service)?.pending === 250n * XPI);
    expect(alice.service.view().activity?.[0]).toMatchObject({
      kind: 'received',
      confirmations: 0,
    });
    devnet.mine(1);
    await until(() => balance(alice.service)?.confirmed === 250n * XPI);
    expect(alice.service.view().activity?.[0]).toMatchObject({
      kind: 'received',
      net: String(250n * XPI),
      confirmations: 1,
    });
    // The paid address is used up: the next receive is a fresh one.
    await until(() => alice.service.view().receiveAddress !== address);
    expect(await alice.service.receiveAddress()).not.toBe(address);
    await expectNoSecretsStored(alice.records, alice.session, aliceNeedles);
  });

  it('sends to a second wallet: exact fee, change returns, both balances correct once confirmed', async () => {
    const to = await bob.service.receiveAddress();
    const preview = await alice.service.prepareSend({ to, amount: '12.5' });
    expect(preview.amount).toBe(String(12_500_000n));
    expect(BigInt(preview.fee)).toBe(BigInt(preview.size)); // 1 sat/byte
    expect(preview.outputs[0]).toEqual({ address: to, value: '12500000', isChange: false });
    expect(preview.outputs[1]?.isChange).toBe(true);
    const txid = await alice.service.confirmSend(preview.id);
    expect(txid).toMatch(/^[0-9a-f]{64}$/);
    await until(() => balance(bob.service)?.pending === 12_500_000n);
    // Until it is mined the send reads as money leaving; its change is not "incoming".
    await until(() => balance(alice.service)?.pending === -(12_500_000n + BigInt(preview.fee)));
    expect(balance(alice.service)?.confirmed).toBe(250n * XPI);
    devnet.mine(2);
    const expected = 250n * XPI - 12_500_000n - BigInt(preview.fee);
    await until(() => balance(alice.service)?.confirmed === expected);
    await until(() => balance(bob.service)?.confirmed === 12_500_000n);
    const sent = alice.service.view().activity?.find((a) => a.txid === txid);
    expect(sent).toMatchObject({
      kind: 'sent',
      net: String(-(12_500_000n + BigInt(preview.fee))),
      fee: preview.fee,
      counterparty: to,
      confirmations: 2,
    });
    await expectNoSecretsStored(alice.records, alice.session, aliceNeedles);
  });

  it('refuses to overspend, saying in XPI how much is missing', async () => {
    const to = await bob.service.receiveAddress();
    await expect(alice.service.prepareSend({ to, amount: '1000000' })).rejects.toMatchObject({
      name: 'InsufficientFundsError',
      message: expect.stringMatching(/^Insufficient funds: \d+(\.\d+)? XPI short/),
    });
    await expect(
      alice.service.prepareSend({ to: 'lotus_notanaddress', amount: '1' }),
    ).rejects.toMatchObject({
      name: 'AddressError',
    });
    // A mainnet address on a regtest wallet is refused, not silently converted.
    await expect(
      alice.service.prepareSend({
        to: 'lotus_16PSJNf1EDEfGvaYzaXJCJZrXH4pgiTo7kyW61iGi',
        amount: '1',
      }),
    ).rejects.toMatchObject({ name: 'AddressError' });
  });

  it('surfaces a broadcast rejection with the node’s reason (a double spend)', async () => {
    const to = await bob.service.receiveAddress();
    const first = await alice.service.prepareSend({ to, max: true });
    const second = await alice.service.prepareSend({ to, amount: '1' });
    await alice.service.confirmSend(first.id);
    await expect(alice.service.confirmSend(second.id)).rejects.toMatchObject({
      name: 'BroadcastRejectedError',
      reason: expect.stringMatching(/txn-mempool-conflict/),
    });
    devnet.mine(1);
    await until(
      () => balance(alice.service)?.confirmed === 0n && balance(alice.service)?.pending === 0n,
    );
    await expectNoSecretsStored(alice.records, alice.session, aliceNeedles);
  });

  it('counts confirmations from the newest block it saw when one lands mid-refresh', async () => {
    const indexer = new ChronikIndexer({ url: devnet.url });
    const address = await bob.service.receiveAddress();
    const script = addressToScript(address);
    devnet.fund(address, 3n * XPI);
    // The tip is read first; a block mined right after it confirms the coin the UTXO query sees.
    const readTip = indexer.tip.bind(indexer);
    indexer.tip = async () => {
      const tip = await readTip();
      devnet.mine(1);
      return tip;
    };
    const scriptHex = Buffer.from(script).toString('hex');
    const snapshot = await fetchSnapshot(indexer, [
      { change: 0, index: 0, address, script, scriptHex },
    ]);
    const coin = snapshot.utxos.find((u) => u.value === 3n * XPI);
    expect(coin?.blockHeight).toBeGreaterThan(0);
    const entry = activityOf(snapshot, (hex) => hex === scriptHex, devnet.chain.network).find(
      (a) => a.net === 3n * XPI,
    );
    expect(entry?.confirmations).toBe(1);
    indexer.close();
  });

  it('rejects a transaction with a bad signature, naming the failed script check', async () => {
    const indexer = new ChronikIndexer({ url: devnet.url });
    const raw = serializeTx(devnet.faucet.build(await bob.service.receiveAddress(), 1n * XPI));
    // Byte 50 lies inside the first input's 65-byte Schnorr signature (which starts at 43).
    raw[50] = (raw[50] as number) ^ 1;
    await expect(indexer.broadcast(raw)).rejects.toMatchObject({
      name: 'BroadcastRejectedError',
      reason: expect.stringMatching(
        /mandatory-script-verify-flag-failed \(Invalid Taproot key spend signature\)/,
      ),
    });
    indexer.close();
  });

  it('survives a worker restart: a new service on the same storage resumes unlocked', async () => {
    const restarted = walletService(devnet.url, alice.records, alice.session);
    await restarted.service.init();
    expect(restarted.service.view().status).toBe('unlocked');
    await until(() => restarted.service.view().balance !== undefined);
    expect(restarted.service.view().balance).toEqual(alice.service.view().balance);
    await restarted.service.lock();
    expect(alice.session.value).toBeUndefined();
    const again = walletService(devnet.url, alice.records, memorySession());
    await again.service.init();
    expect(again.service.view().status).toBe('locked');
  });

  it('restores the whole wallet from an encrypted backup on a new device', async () => {
    const alicePw = PASSWORD;
    const restored = walletService(devnet.url);
    const fresh = walletService(devnet.url, alice.records, alice.session);
    await fresh.service.init();
    await fresh.service.unlock(alicePw);
    const backup = await fresh.service.exportBackup(alicePw);
    for (const needle of aliceNeedles) expect(backup.includes(needle)).toBe(false);
    await restored.service.init();
    await restored.service.importBackup(backup, alicePw);
    expect(restored.service.view().settings).toMatchObject({
      network: 'regtest',
      chronikUrl: devnet.url,
    });
    await until(() => restored.service.view().balance !== undefined);
    expect(restored.service.view().balance).toEqual(fresh.service.view().balance);
    expect(restored.service.view().receiveAddress).toBe(fresh.service.view().receiveAddress);
    await fresh.service.lock();
    await restored.service.lock();
  });

  it('finds the funds of an imported phrase by gap-limit discovery', async () => {
    const source = walletService(devnet.url, freshDb());
    await source.service.init();
    await source.service.updateSettings({ network: 'regtest', chronikUrl: devnet.url });
    const phrase = source.service.newMnemonic(12);
    await source.service.createFromPending(
      PASSWORD,
      phrase.confirm.map((i) => phrase.mnemonic.split(' ')[i] as string),
    );
    await source.service.receiveAddress();
    for (let i = 0; i < 3; i++) await source.service.receiveAddress(true);
    const fourth = await source.service.receiveAddress();
    devnet.fund(fourth, 3n * XPI);
    devnet.mine(1);
    await source.service.lock();

    const imported = walletService(devnet.url);
    await imported.service.init();
    await imported.service.updateSettings({ network: 'regtest', chronikUrl: devnet.url });
    await imported.service.importMnemonic('new password 1', `  ${phrase.mnemonic.toUpperCase()} `);
    await until(() => imported.service.view().balance?.confirmed === String(3n * XPI));
    expect(imported.service.view().receiveAddress).not.toBe(fourth);
    await imported.service.lock();
  });
});

describe('wallet while the indexer is unreachable', () => {
  it('reports offline with the reason, then recovers when the indexer comes back', async () => {
    const devnet = await startDevnet();
    const url = devnet.url;
    const port = Number(new URL(url).port);
    await devnet.close();
    const w = walletService(url);
    await w.service.init();
    await w.service.updateSettings({ network: 'regtest', chronikUrl: url });
    await w.service.importMnemonic(
      PASSWORD,
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
    );
    await until(() => w.service.view().chain?.connection === 'offline');
    expect(w.service.view().chain?.error).toMatch(/cannot be reached/);
    const back = await startDevnet({ port });
    await until(() => w.service.view().chain?.connection === 'online', 15_000);
    await until(() => w.service.view().balance !== undefined, 15_000);
    await w.service.lock();
    await back.close();
  });
});
