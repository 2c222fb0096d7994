/**
 * Everything the network sees of a vault is derived from its id with HKDF-SHA256, so only the
 * members (who hold the descriptor) know where to listen or how to read:
 *
 *   topic      "petal/1/" + hex(HKDF(id, "topic")[0..16])     GossipSub topic of the vault
 *   frame key  HKDF(id, "frames")                              XChaCha20-Poly1305 for every frame
 *   tag        HKDF(id, "tag")[0..8]                            routes a direct frame to its vault
 *   record key HKDF(id, "records")                             XChaCha20-Poly1305 for DHT records
 *   record id  "m/" + hex(HKDF(id, "record-id" ‖ u16 index)[0..16]): member `index`'s mailbox
 *
 * The vault id is TH("Petal/vault", network ‖ policy ‖ sorted member keys): an outsider needs the
 * full member key set to find or read anything, and nothing public carries that set.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const SALT = utf8ToBytes('Petal/vault-key/v1');

export interface VaultKeys {
  topic: string;
  tag: Uint8Array;
  frameKey: Uint8Array;
  recordKey: Uint8Array;
  recordId(memberIndex: number): string;
}

function derive(vaultId: Uint8Array, info: Uint8Array, length = 32): Uint8Array {
  return hkdf(sha256, vaultId, SALT, info, length);
}

export function deriveVaultKeys(vaultId: Uint8Array): VaultKeys {
  if (vaultId.length !== 32) throw new TypeError('vault id must be 32 bytes');
  const recordIds = new Map<number, string>();
  return {
    topic: `petal/1/${bytesToHex(derive(vaultId, utf8ToBytes('topic'), 16))}`,
    tag: derive(vaultId, utf8ToBytes('tag'), 8),
    frameKey: derive(vaultId, utf8ToBytes('frames')),
    recordKey: derive(vaultId, utf8ToBytes('records')),
    recordId(memberIndex: number): string {
      let id = recordIds.get(memberIndex);
      if (!id) {
        const info = concatBytes(
          utf8ToBytes('record-id'),
          Uint8Array.of(memberIndex >>> 8, memberIndex & 0xff),
        );
        id = `m/${bytesToHex(derive(vaultId, info, 16))}`;
        recordIds.set(memberIndex, id);
      }
      return id;
    },
  };
}
