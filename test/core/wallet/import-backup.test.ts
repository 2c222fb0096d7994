import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { regtest } from '../../../src/core/chain/network.ts';
import { getPublicKey } from '../../../src/core/crypto/schnorr.ts';
import { createMnemonic } from '../../../src/core/wallet/keys.ts';
import type { RecordStore } from '../../../src/core/wallet/keystore-service.ts';
import { createVault, encodeVaultDescriptor } from '../../../src/core/wallet/vault.ts';
import { freshDb, walletService } from '../../integration/wallet-support.ts';

// Nothing listens here: the wallets run offline, which is all a restore needs.
const OFFLINE = 'http://127.0.0.1:9';
const PASSWORD = 'import backup password';

/** A member key for contacts: the public key of a small test scalar. */
const memberKey = (n: number) =>
  bytesToHex(getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 0))));

const vault = (label: string) =>
  encodeVaultDescriptor(
    createVault(
      [1, 2].map((n) =>
        getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 0))),
      ),
      regtest,
      label,
    ),
  );

/** A wallet with its own vaults, contacts and Chronik URL, as this browser already has it. */
async function existingWallet(records = freshDb()) {
  const w = walletService(OFFLINE, records);
  await w.service.init();
  await w.service.updateSettings({
    network: 'regtest',
    chronikUrl: 'https://mine.example/chronik',
  });
  await w.service.importMnemonic(PASSWORD, createMnemonic(12));
  await records.put('vaults', [vault('Mine')]);
  await records.put('contacts', [{ pubkey: memberKey(5), name: 'Mum' }]);
  return w;
}

/** A backup of another wallet (another Chronik URL, vaults, contacts); `vaults` as given. */
async function backupOf(vaults: unknown[] = [vault('Theirs')]) {
  const other = walletService(OFFLINE);
  await other.service.init();
  await other.service.updateSettings({
    network: 'regtest',
    chronikUrl: 'https://theirs.example/chronik',
  });
  await other.service.importMnemonic(PASSWORD, createMnemonic(12));
  await other.records.put('vaults', vaults);
  await other.records.put('contacts', [{ pubkey: memberKey(6), name: 'Stranger' }]);
  const backup = await other.service.exportBackup(PASSWORD);
  await other.service.lock();
  return backup;
}

const dump = async (records: RecordStore) =>
  Object.fromEntries((await records.entries()).filter(([key]) => key !== 'replay-side'));

describe('importBackup', () => {
  it('refuses to restore over an existing wallet before writing anything', async () => {
    const mine = await existingWallet();
    const before = await dump(mine.records);
    const backup = await backupOf();
    await expect(mine.service.importBackup(backup, PASSWORD)).rejects.toMatchObject({
      name: 'WalletExistsError',
    });
    expect(await dump(mine.records)).toEqual(before);
    expect(mine.service.settings.chronikUrl).toBe('https://mine.example/chronik');
    expect(mine.service.view().status).toBe('unlocked');
    await mine.service.lock();
  });

  it('checks the whole backup first: a bad vault descriptor restores nothing', async () => {
    const fresh = walletService(OFFLINE);
    await fresh.service.init();
    const before = await dump(fresh.records);
    const backup = await backupOf([vault('Fine'), 'petalvault1notadescriptor']);
    await expect(fresh.service.importBackup(backup, PASSWORD)).rejects.toMatchObject({
      name: 'BackupFormatError',
    });
    expect(await dump(fresh.records)).toEqual(before);
    expect(fresh.service.view().status).toBe('uninitialized');
  });

  it('is all or nothing: one transaction, so a failing write leaves every record as it was', async () => {
    const records = freshDb();
    const mine = await existingWallet(records);
    const before = await dump(records);
    const address = mine.service.view().receiveAddress;
    const backup = await backupOf();
    await mine.service.lock();
    // The store fails on the very last write of the restore's transaction (a value IndexedDB
    // cannot store stands in for a full disk or a crash): the transaction takes nothing.
    const failing: RecordStore = {
      ...records,
      putMany: (writes) =>
        (records.putMany as NonNullable<RecordStore['putMany']>)([
          ...writes,
          ['unstorable', () => undefined],
        ]),
    };
    const restoring = walletService(OFFLINE, failing, mine.session);
    await restoring.service.init();
    await expect(restoring.service.importBackup(backup, PASSWORD, true)).rejects.toMatchObject({
      name: 'DataCloneError',
    });
    expect(await dump(records)).toEqual(before);
    expect(restoring.service.settings.chronikUrl).toBe('https://mine.example/chronik');
    // The wallet that was here still opens with its password (the disk has room again).
    const after = walletService(OFFLINE, records);
    await after.service.init();
    await after.service.unlock(PASSWORD);
    expect(after.service.view().receiveAddress).toBe(address);
    await after.service.lock();
  });

  it('restores everything when the browser has no wallet', async () => {
    const fresh = walletService(OFFLINE);
    await fresh.service.init();
    await fresh.service.importBackup(await backupOf(), PASSWORD);
    expect(fresh.service.settings.chronikUrl).toBe('https://theirs.example/chronik');
    expect(await fresh.records.get('contacts')).toEqual([
      { pubkey: memberKey(6), name: 'Stranger' },
    ]);
    expect(await fresh.records.get('vaults')).toEqual([vault('Theirs')]);
    await fresh.service.lock();
  });
});
