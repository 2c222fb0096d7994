/**
 * The one error a vault's construction and descriptors throw (re-exported by vault.ts). It lives
 * apart so vault.ts and vault-tree.ts can both throw it without importing each other.
 */
export class VaultError extends Error {
  override name = 'VaultError';
}
