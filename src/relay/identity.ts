import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';

/**
 * A relay's peer id must survive restarts: browsers keep its multiaddr (with /p2p/<id>) in their
 * settings. The key is an Ed25519 private key in libp2p's protobuf encoding, file mode 0600.
 */
export async function loadOrCreateIdentity(path: string): Promise<PrivateKey> {
  try {
    return privateKeyFromProtobuf(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = await generateKeyPair('Ed25519');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' });
  return key;
}
