/**
 * The Petal relays each network starts with: the one list in the repository, offered by
 * Settings → Relays → "Use default relays". A relay only forwards signed, encrypted messages,
 * so a listed relay is trusted for availability, not for secrets.
 *
 * Empty where no public relay is known to run. Add one only after running it (or checking it
 * answers `GET /health`) — docs/RELAYS.md says how. Regtest is a local devnet: its relay is the
 * one you start yourself (`npm run relay`), so it never has a default.
 */
import type { NetworkName } from '../chain/index.ts';

export const DEFAULT_RELAYS: Readonly<Record<NetworkName, readonly string[]>> = {
  mainnet: [],
  testnet: [],
  regtest: [],
};
