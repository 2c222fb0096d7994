/**
 * Site permissions in the EIP-2255 style. A site sees nothing (no accounts, no balance, no
 * vaults) until the user connects it; the grant is per origin (as the browser reported it) and
 * lasts once, one hour, or until revoked.
 */
export const PERMISSION_ACCOUNTS = 'lotus_accounts';
export type PermissionName = typeof PERMISSION_ACCOUNTS;

export type GrantDuration = 'once' | '1h' | 'always';

export interface PermissionGrant {
  origin: string;
  permission: PermissionName;
  duration: GrantDuration;
  grantedAt: number;
  /** ms since epoch; undefined = until revoked. A 'once' grant is consumed by its first use. */
  expiresAt?: number;
}

/** The EIP-2255 description a site receives from wallet_getPermissions. */
export interface Eip2255Permission {
  invoker: string;
  parentCapability: PermissionName;
  caveats: { type: 'expiresAt'; value: number }[];
  date: number;
}

/** Where grants live; the background implements it over IndexedDB. */
export interface PermissionStorage {
  load(): Promise<PermissionGrant[]>;
  save(grants: PermissionGrant[]): Promise<void>;
}

const HOUR_MS = 60 * 60 * 1000;

export class PermissionRegistry {
  readonly #storage: PermissionStorage;
  readonly #now: () => number;
  #grants: PermissionGrant[] | undefined;

  constructor(storage: PermissionStorage, now: () => number = Date.now) {
    this.#storage = storage;
    this.#now = now;
  }

  async grant(origin: string, duration: GrantDuration): Promise<PermissionGrant> {
    const grantedAt = this.#now();
    const grant: PermissionGrant = {
      origin,
      permission: PERMISSION_ACCOUNTS,
      duration,
      grantedAt,
      ...(duration === '1h' ? { expiresAt: grantedAt + HOUR_MS } : {}),
    };
    const others = (await this.#live()).filter((g) => g.origin !== origin);
    await this.#write([...others, grant]);
    return grant;
  }

  /** True if the origin may use the permission now; a 'once' grant is spent by this check. */
  async use(origin: string): Promise<boolean> {
    const grants = await this.#live();
    const grant = grants.find((g) => g.origin === origin);
    if (!grant) return false;
    if (grant.duration === 'once') await this.#write(grants.filter((g) => g !== grant));
    return true;
  }

  /** Like `use` but never consumes: for reads that must not spend a one-time grant. */
  async has(origin: string): Promise<boolean> {
    return (await this.#live()).some((g) => g.origin === origin);
  }

  async revoke(origin: string): Promise<void> {
    await this.#write((await this.#live()).filter((g) => g.origin !== origin));
  }

  /** Every connected site, for the settings screen. */
  async list(): Promise<PermissionGrant[]> {
    return [...(await this.#live())];
  }

  /** What wallet_getPermissions returns to `origin`: only that origin's own grants. */
  async describe(origin: string): Promise<Eip2255Permission[]> {
    return (await this.#live())
      .filter((g) => g.origin === origin)
      .map((g) => ({
        invoker: g.origin,
        parentCapability: g.permission,
        caveats:
          g.expiresAt === undefined ? [] : [{ type: 'expiresAt' as const, value: g.expiresAt }],
        date: g.grantedAt,
      }));
  }

  async #live(): Promise<PermissionGrant[]> {
    this.#grants ??= await this.#storage.load();
    const now = this.#now();
    const live = this.#grants.filter((g) => g.expiresAt === undefined || g.expiresAt > now);
    if (live.length !== this.#grants.length) await this.#write(live);
    return this.#grants;
  }

  async #write(grants: PermissionGrant[]): Promise<void> {
    this.#grants = grants;
    await this.#storage.save(grants);
  }
}
