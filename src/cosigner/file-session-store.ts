/**
 * The cosigner's durable session state: one JSON file per session in a directory, replaced
 * atomically (write, fsync, rename) so a crash leaves the old or the new version, never half of
 * one. Nonce markers live in the same file; every commit resolves only once it is on disk, which
 * is what lets the protocol promise never to sign twice with one nonce. Operations run one at a
 * time in call order, so a commit the caller does not await still lands before the next.
 */
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  type NonceMarker,
  type SessionStore,
  type SessionWrite,
  type StoredSession,
  applyWrite,
  isEmptyWrite,
} from '../core/p2p/session-store.ts';

interface SessionFile {
  session?: Omit<StoredSession, 'envelopes'> & { envelopes: string[] };
  markers: NonceMarker[];
}

const ID = /^[0-9a-f]{64}$/;

export class FileSessionStore implements SessionStore {
  readonly #dir: string;
  #queue: Promise<unknown> = Promise.resolve();

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

  /** Runs store operations one at a time, in call order. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #decode(file: SessionFile): StoredSession | undefined {
    const { session } = file;
    return session && { ...session, envelopes: session.envelopes.map(hexToBytes) };
  }

  async get(sessionId: string): Promise<StoredSession | undefined> {
    this.#path(sessionId);
    return this.#serial(async () => this.#decode(await this.#read(sessionId)));
  }

  async list(): Promise<StoredSession[]> {
    return this.#serial(async () => {
      let names: string[];
      try {
        names = await readdir(this.#dir);
      } catch {
        return [];
      }
      const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
      const files = await Promise.all(ids.filter((id) => ID.test(id)).map((id) => this.#read(id)));
      return files.map((f) => this.#decode(f)).filter((s): s is StoredSession => s !== undefined);
    });
  }

  async commit(write: SessionWrite): Promise<void> {
    this.#path(write.sessionId);
    return this.#serial(async () => {
      if (isEmptyWrite(write)) return;
      const file = await this.#read(write.sessionId);
      const session = applyWrite(this.#decode(file), write);
      if (session) file.session = { ...session, envelopes: session.envelopes.map(bytesToHex) };
      for (const marker of write.markers ?? []) file.markers.push({ ...marker });
      await this.#write(write.sessionId, file);
    });
  }

  async delete(sessionId: string): Promise<void> {
    const path = this.#path(sessionId);
    return this.#serial(() => rm(path, { force: true }));
  }

  async nonceMarkers(sessionId: string): Promise<NonceMarker[]> {
    this.#path(sessionId);
    return this.#serial(async () => (await this.#read(sessionId)).markers);
  }
}
