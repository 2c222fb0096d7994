#!/usr/bin/env node
/**
 * `petal-cosigner` / `npm run cosigner`: a headless vault member that signs by policy.
 *
 *   init --keystore FILE [--network regtest|testnet|mainnet] [--words 12|24] [--mnemonic-file F]
 *        creates an encrypted keystore (password from $PETAL_COSIGNER_PASSWORD) and prints the
 *        member key to put in a vault.
 *   key  --keystore FILE   prints the member key again.
 *   run  --keystore FILE --policy FILE --vault DESCRIPTOR… --relay MULTIADDR… --chronik URL
 *        [--stun URL…] [--state DIR]   joins the vaults' sessions; prints one JSON line per event.
 *
 * The keystore file uses the extension's keystore format (PBKDF2-SHA256 + AES-256-GCM).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ChronikIndexer } from '../core/chain/chronik.ts';
import { NETWORKS, type NetworkName } from '../core/chain/network.ts';
import { indexerChainAccess } from '../core/p2p/indexer-chain.ts';
import { parsePolicy } from '../core/wallet/cosign-policy.ts';
import { createMnemonic } from '../core/wallet/keys.ts';
import { createKeystore, unlockKeystore } from '../core/wallet/keystore.ts';
import { decodeVaultDescriptor } from '../core/wallet/vault.ts';
import { parseCommandLine } from '../cli/args.ts';
import { memberKeyOf, startCosigner } from './cosigner.ts';

const USAGE = `Usage: petal-cosigner init|key|run --keystore FILE [options]

  init --keystore FILE [--network regtest|testnet|mainnet] [--words 12|24] [--mnemonic-file F]
       creates an encrypted keystore and prints the member key to put in a vault
  key  --keystore FILE
       prints the member key again
  run  --keystore FILE --policy FILE --vault DESCRIPTOR… --relay MULTIADDR… --chronik URL
       [--stun URL…] [--state DIR (default .petal-cosigner)]
       joins the vaults' signing sessions and prints one JSON line per event

The keystore password comes from $PETAL_COSIGNER_PASSWORD. -h, --help shows this help.`;

const { values, positionals } = parseCommandLine(USAGE, {
  allowPositionals: true,
  options: {
    keystore: { type: 'string' },
    network: { type: 'string', default: 'regtest' },
    words: { type: 'string', default: '24' },
    'mnemonic-file': { type: 'string' },
    policy: { type: 'string' },
    vault: { type: 'string', multiple: true },
    relay: { type: 'string', multiple: true },
    stun: { type: 'string', multiple: true },
    chronik: { type: 'string' },
    state: { type: 'string', default: '.petal-cosigner' },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const command = positionals[0];
const keystorePath = values.keystore ?? fail('--keystore FILE is required');
const password = process.env.PETAL_COSIGNER_PASSWORD ?? fail('Set PETAL_COSIGNER_PASSWORD');

async function unlock() {
  const file = JSON.parse(await readFile(keystorePath, 'utf8')) as {
    petalCosigner: number;
    network: NetworkName;
    keystore: unknown;
  };
  const network = NETWORKS[file.network] ?? fail(`Unknown network in ${keystorePath}`);
  const { secrets } = await unlockKeystore(crypto.subtle, file.keystore, password);
  return { network, secrets };
}

if (command === 'init') {
  const network = NETWORKS[values.network as NetworkName] ?? fail('--network is not known');
  const mnemonic = values['mnemonic-file']
    ? (await readFile(values['mnemonic-file'], 'utf8')).trim()
    : createMnemonic(values.words === '12' ? 12 : 24);
  const { record } = await createKeystore(crypto.subtle, password, { mnemonic, passphrase: '' });
  const body = { petalCosigner: 1, network: network.name, keystore: record };
  await writeFile(keystorePath, JSON.stringify(body, null, 2), { mode: 0o600, flag: 'wx' });
  const key = memberKeyOf({ mnemonic, passphrase: '' }, network);
  console.log(JSON.stringify({ memberKey: bytesToHex(key.publicKey), network: network.name }));
} else if (command === 'key') {
  const { network, secrets } = await unlock();
  console.log(JSON.stringify({ memberKey: bytesToHex(memberKeyOf(secrets, network).publicKey) }));
} else if (command === 'run') {
  const { network, secrets } = await unlock();
  const policy = parsePolicy(await readFile(values.policy ?? fail('--policy FILE'), 'utf8'));
  const vaults = (values.vault ?? fail('--vault DESCRIPTOR (one or more)')).map((d) =>
    decodeVaultDescriptor(d, network),
  );
  const indexer = new ChronikIndexer({ url: values.chronik ?? fail('--chronik URL') });
  const cosigner = await startCosigner({
    secrets,
    network,
    vaults,
    policy,
    relays: values.relay ?? fail('--relay MULTIADDR (one or more)'),
    ...(values.stun ? { iceServers: values.stun } : {}),
    chain: indexerChainAccess(indexer),
    stateDir: values.state,
  });
  console.log(
    JSON.stringify({
      event: 'ready',
      peerId: cosigner.peerId,
      memberKey: bytesToHex(cosigner.memberKey),
      vaults: vaults.map((v) => v.address),
    }),
  );
  const shutdown = () => {
    cosigner.stop().then(
      () => {
        indexer.close();
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} else {
  fail(USAGE);
}
