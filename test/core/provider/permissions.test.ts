import { describe, expect, it } from 'vitest';
import {
  type PermissionGrant,
  type PermissionStorage,
  PermissionRegistry,
} from '../../../src/core/provider/permissions.ts';

function memoryStorage(): PermissionStorage & { saved: PermissionGrant[] } {
  const store = {
    saved: [] as PermissionGrant[],
    load: async () => structuredClone(store.saved),
    save: async (grants: PermissionGrant[]) => {
      store.saved = structuredClone(grants);
    },
  };
  return store;
}

const site = 'https://dapp.example';
const other = 'https://other.example';

describe('PermissionRegistry', () => {
  it('reveals nothing to a site the user never connected', async () => {
    const registry = new PermissionRegistry(memoryStorage());
    expect(await registry.use(site)).toBe(false);
    expect(await registry.describe(site)).toEqual([]);
  });

  it('spends a "once" grant on first use', async () => {
    const registry = new PermissionRegistry(memoryStorage());
    await registry.grant(site, 'once');
    expect(await registry.has(site)).toBe(true);
    expect(await registry.use(site)).toBe(true);
    expect(await registry.use(site)).toBe(false);
  });

  it('expires a one-hour grant after an hour', async () => {
    let now = 1_000_000;
    const registry = new PermissionRegistry(memoryStorage(), () => now);
    await registry.grant(site, '1h');
    now += 59 * 60 * 1000;
    expect(await registry.use(site)).toBe(true);
    now += 2 * 60 * 1000;
    expect(await registry.use(site)).toBe(false);
    expect(await registry.list()).toEqual([]);
  });

  it('keeps an "always" grant across restarts until revoked', async () => {
    const storage = memoryStorage();
    await new PermissionRegistry(storage).grant(site, 'always');
    const restarted = new PermissionRegistry(storage);
    expect(await restarted.use(site)).toBe(true);
    expect(await restarted.use(site)).toBe(true);
    await restarted.revoke(site);
    expect(await new PermissionRegistry(storage).use(site)).toBe(false);
  });

  it("never shows one origin another origin's permissions", async () => {
    const registry = new PermissionRegistry(memoryStorage(), () => 5);
    await registry.grant(site, 'always');
    await registry.grant(other, '1h');
    expect(await registry.describe(site)).toEqual([
      { invoker: site, parentCapability: 'lotus_accounts', caveats: [], date: 5 },
    ]);
    expect((await registry.describe(other)).map((p) => p.invoker)).toEqual([other]);
    expect(await registry.describe('https://nobody.example')).toEqual([]);
  });

  it('replaces an existing grant for the same origin rather than stacking them', async () => {
    const registry = new PermissionRegistry(memoryStorage());
    await registry.grant(site, 'once');
    await registry.grant(site, 'always');
    expect((await registry.list()).map((g) => g.duration)).toEqual(['always']);
  });
});
