/**
 * The cosigner's durable session state: one JSON file per session in a directory, replaced
 * atomically (write, fsync, rename) so a crash leaves the old or the new version, never half of
 * one. Nonce markers live in the same file; `addNonceMarker` resolves only once they are on disk,
 * which is what lets the protocol promise never to sign twice with one nonce.
 */
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type {
  NonceMarker,
  SessionStatus,
  SessionStore,
  StoredSession,
} from '../core/p2p/session-store.ts';

interface SessionFile {
  session?: Omit<StoredSession, 'envelopes'> & { envelopes: string[] };
  markers: NonceMarker[];
}

const ID = /^[0-9a-f]{64}$/;

export class FileSessionStore implements SessionStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(sessionId: string): string {
    if (!ID.test(sessionId)) throw new TypeError('session id must be 64 hex characters');
    return join(this.#dir, `${sessionId}.json`);
  }

  async #read(sessionId: string): Promise<SessionFile> {
    try {
      return JSON.parse(await readFile(this.#path(sessionId), 'utf8')) as SessionFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { markers: [] };
      throw err;
    }
  }

  async #write(sessionId: string, file: SessionFile): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const target = this.#path(sessionId);
    const temp = `${target}.${process.pid}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(file));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  }

  async get(sessionId: string): Promise<StoredSession | undefined> {
    const { session } = await this.#read(sessionId);
    return session && { ...session, envelopes: session.envelopes.map(hexToBytes) };
  }

  async list(): Promise<StoredSession[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return [];
    }
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    const sessions = await Promise.all(ids.filter((id) => ID.test(id)).map((id) => this.get(id)));
    return sessions.filter((s): s is StoredSession => s !== undefined);
  }

  async put(record: StoredSession): Promise<void> {
    const file = await this.#read(record.sessionId);
    file.session = { ...record, envelopes: record.envelopes.map(bytesToHex) };
    await this.#write(record.sessionId, file);
  }

  async append(sessionId: string, envelopes: Uint8Array[], nextSequence: number): Promise<void> {
    const file = await this.#read(sessionId);
    if (!file.session) return;
    file.session.envelopes.push(...envelopes.map(bytesToHex));
    file.session.nextSequence = Math.max(file.session.nextSequence, nextSequence);
    await this.#write(sessionId, file);
  }

  async finish(sessionId: string, status: SessionStatus, txid?: string): Promise<void> {
    const file = await this.#read(sessionId);
    if (!file.session) return;
    file.session.status = status;
    file.session.envelopes = [];
    if (txid) file.session.txid = txid;
    await this.#write(sessionId, file);
  }

  async delete(sessionId: string): Promise<void> {
    await rm(this.#path(sessionId), { force: true });
  }

  async addNonceMarker(marker: NonceMarker): Promise<void> {
    const file = await this.#read(marker.sessionId);
    file.markers.push({ ...marker });
    await this.#write(marker.sessionId, file);
  }

  async nonceMarkers(sessionId: string): Promise<NonceMarker[]> {
    return (await this.#read(sessionId)).markers;
  }
}
