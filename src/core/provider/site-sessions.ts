/**
 * Which vault signing sessions each site started. A session carries addresses, amounts and a
 * memo, and may have been started by the user in the popup, by a co-signer, or by another site:
 * a connected site sees (`lotus_getSession`, `sessionUpdate`) only the sessions it proposed
 * through `lotus_requestVaultSpend`. Kept in storage so a site can still follow its session
 * after a worker restart.
 */
export interface SiteSessionStorage {
  load(): Promise<Record<string, string[]>>;
  save(owners: Record<string, string[]>): Promise<void>;
}

/** Sessions remembered per site; the oldest are forgotten first. */
export const MAX_SESSIONS_PER_SITE = 100;

export function memorySiteSessionStorage(): SiteSessionStorage {
  let stored: Record<string, string[]> = {};
  return {
    load: async () => structuredClone(stored),
    save: async (owners) => void (stored = structuredClone(owners)),
  };
}

export class SiteSessions {
  readonly #storage: SiteSessionStorage;
  #owners: Promise<Record<string, string[]>> | undefined;

  constructor(storage: SiteSessionStorage = memorySiteSessionStorage()) {
    this.#storage = storage;
  }

  /** `origin` proposed session `sessionId`. */
  async add(origin: string, sessionId: string): Promise<void> {
    const owners = await this.#load();
    const mine = (owners[origin] ?? []).filter((id) => id !== sessionId);
    owners[origin] = [...mine, sessionId].slice(-MAX_SESSIONS_PER_SITE);
    await this.#storage.save(owners);
  }

  async owns(origin: string, sessionId: string): Promise<boolean> {
    return (await this.#load())[origin]?.includes(sessionId) ?? false;
  }

  /** The sites that started `sessionId` (normally one). */
  async origins(sessionId: string): Promise<string[]> {
    const owners = await this.#load();
    return Object.keys(owners).filter((origin) => owners[origin]?.includes(sessionId));
  }

  #load(): Promise<Record<string, string[]>> {
    this.#owners ??= this.#storage.load().then((stored) => {
      const owners: Record<string, string[]> = Object.create(null);
      for (const [origin, ids] of Object.entries(stored ?? {}))
        if (Array.isArray(ids)) owners[origin] = ids.filter((id) => typeof id === 'string');
      return owners;
    });
    return this.#owners;
  }
}
