import * as v from 'valibot';
import type { Target } from './envelope.ts';
import { type NetworkMethodResults, networkMethodSpecs } from './network-methods.ts';
import { IceServerList } from '../network/ice-servers.ts';
import { type SigningMethodResults, signingMethodSpecs } from './signing-methods.ts';
import { type ContactMethodResults, contactMethodSpecs } from './contact-methods.ts';
import { type FormationMethodResults, formationMethodSpecs } from './formation-methods.ts';
import { type RunnerMethodResults, runnerMethodSpecs } from './runner-methods.ts';
import { type DappMethodResults, dappMethodSpecs } from '../provider/dapp-methods.ts';
import type {
  SendPreview,
  TransactionView,
  WalletSettings,
  WalletView,
} from '../wallet/wallet-service.ts';
import type { Label } from '../wallet/labels.ts';
import { ExplorerUrl } from '../wallet/explorer-url.ts';

// Wallet params are checked here at the boundary; the wallet service checks its own rules again.
// (Schemas live here rather than being imported from the wallet so the popup and content
// bundles never pull in the wallet's code.)
const Password = v.pipe(v.string(), v.minLength(1), v.maxLength(1024));
const NewPassword = v.pipe(
  v.string(),
  v.minLength(8, 'Use at least 8 characters'),
  v.maxLength(1024),
);
const Mnemonic = v.pipe(v.string(), v.minLength(1), v.maxLength(1024));
const Empty = v.optional(v.strictObject({}));
const NetworkName = v.picklist(['mainnet', 'testnet', 'regtest']);
const Txid = v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/, 'Not a transaction id'));

/**
 * The range a replay-protection activation time (unix seconds) must fall in: 2020-01-01 to
 * 2100-01-01 UTC. Anything else is a typo (or milliseconds), not a lotusd release.
 */
export const REPLAY_ACTIVATION_RANGE = { min: 1_577_836_800, max: 4_102_444_800 } as const;

/**
 * The catalogue of methods one context can ask of another. Each entry names the context that
 * answers it and the schema its params must satisfy on arrival; both sides import this file, so
 * sender and receiver can never drift apart. Later features add entries here.
 */
export const methodSpecs = {
  /** Liveness check a page, the popup or a test can send; answered by the background. */
  lotus_ping: {
    target: 'background',
    params: v.optional(v.strictObject({ echo: v.optional(v.pipe(v.string(), v.maxLength(1024))) })),
  },
  /**
   * Asks the background to make sure the offscreen document (the P2P node's host) is running and
   * answering; the reply is the offscreen document's own ping.
   */
  petal_offscreenStatus: {
    target: 'background',
    params: v.optional(v.strictObject({})),
  },
  /** Background → offscreen liveness check: proves the offscreen document is up and routed. */
  petal_offscreenPing: {
    target: 'offscreen',
    params: v.optional(v.strictObject({ echo: v.optional(v.pipe(v.string(), v.maxLength(1024))) })),
  },
  ...networkMethodSpecs,
  ...signingMethodSpecs,
  ...contactMethodSpecs,
  ...formationMethodSpecs,
  ...runnerMethodSpecs,
  ...dappMethodSpecs,

  // ——— wallet (extension pages only; the background refuses page callers) ———
  /** The current `WalletView` (the popup also receives it pushed over its state port). */
  petal_walletState: { target: 'background', params: Empty },
  /** Creation step 1: a fresh phrase to show once, and which words to confirm. */
  petal_walletNewMnemonic: {
    target: 'background',
    params: v.strictObject({ words: v.picklist([12, 24]) }),
  },
  /** Creation step 2: the confirmed words (in the order asked) and the new password. */
  petal_walletCreate: {
    target: 'background',
    params: v.strictObject({
      password: NewPassword,
      words: v.pipe(v.array(v.pipe(v.string(), v.maxLength(32))), v.maxLength(24)),
    }),
  },
  petal_walletImport: {
    target: 'background',
    params: v.strictObject({
      password: NewPassword,
      mnemonic: Mnemonic,
      passphrase: v.optional(v.pipe(v.string(), v.maxLength(256))),
      /** Restore over an existing wallet (forgotten password, damaged record). */
      replace: v.optional(v.boolean()),
    }),
  },
  petal_walletUnlock: { target: 'background', params: v.strictObject({ password: Password }) },
  petal_walletLock: { target: 'background', params: Empty },
  petal_walletChangePassword: {
    target: 'background',
    params: v.strictObject({ oldPassword: Password, newPassword: NewPassword }),
  },
  /** The recovery phrase, after the password; shown once on the settings screen. */
  petal_walletRevealMnemonic: {
    target: 'background',
    params: v.strictObject({ password: Password }),
  },
  petal_walletExportBackup: {
    target: 'background',
    params: v.strictObject({ password: Password }),
  },
  petal_walletImportBackup: {
    target: 'background',
    params: v.strictObject({
      backup: v.pipe(v.string(), v.maxLength(900_000)),
      password: Password,
      replace: v.optional(v.boolean()),
    }),
  },
  /**
   * Reads settings, or changes the given ones (network, Chronik URL, auto-lock, relays, one
   * network's replay-protection activation time: a time sets it, null returns to lotusd's).
   */
  petal_walletSettings: {
    target: 'background',
    params: v.optional(
      v.strictObject({
        network: v.optional(NetworkName),
        chronikUrl: v.optional(v.pipe(v.string(), v.maxLength(512))),
        autoLockMinutes: v.optional(
          v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1440)),
        ),
        relays: v.optional(
          v.pipe(
            v.array(v.pipe(v.string(), v.minLength(4), v.maxLength(512), v.startsWith('/'))),
            v.maxLength(8),
          ),
        ),
        /** The user's STUN/TURN servers (validated: stun:/turn: URLs, TURN with credentials). */
        iceServers: v.optional(IceServerList),
        replayActivation: v.optional(
          v.strictObject({
            network: NetworkName,
            time: v.nullable(
              v.pipe(
                v.number(),
                v.integer(),
                v.minValue(REPLAY_ACTIVATION_RANGE.min),
                v.maxValue(REPLAY_ACTIVATION_RANGE.max),
              ),
            ),
          }),
        ),
        /** One network's explorer URL template: https, with `{txid}`; '' = none; null = default. */
        explorerUrl: v.optional(
          v.strictObject({
            network: NetworkName,
            url: v.nullable(ExplorerUrl),
          }),
        ),
      }),
    ),
  },
  /** One transaction of the account in full: inputs, outputs, fee, explorer link, labels. */
  petal_walletTransaction: { target: 'background', params: v.strictObject({ txid: Txid }) },
  /** Every transaction and address label. */
  petal_walletLabels: { target: 'background', params: Empty },
  /** Sets one label; an empty label removes it. */
  petal_walletSetLabel: {
    target: 'background',
    params: v.strictObject({
      type: v.picklist(['tx', 'addr']),
      ref: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
      label: v.pipe(v.string(), v.maxLength(255, 'A label is at most 255 characters')),
    }),
  },
  /** The labels as a BIP-329 JSON-lines file. */
  petal_walletExportLabels: { target: 'background', params: Empty },
  /** Merges a BIP-329 JSON-lines file into the labels. */
  petal_walletImportLabels: {
    target: 'background',
    params: v.strictObject({ text: v.pipe(v.string(), v.maxLength(2_000_000)) }),
  },
  /** The receive address; `fresh` hands out a new one. */
  petal_walletReceive: {
    target: 'background',
    params: v.optional(v.strictObject({ fresh: v.optional(v.boolean()) })),
  },
  /** Validates and prices a send (XPI amount as typed, or `max`); returns what to confirm. */
  petal_walletPrepareSend: {
    target: 'background',
    params: v.strictObject({
      to: v.pipe(v.string(), v.maxLength(128)),
      amount: v.optional(v.pipe(v.string(), v.maxLength(32))),
      max: v.optional(v.boolean()),
    }),
  },
  /** Signs, verifies locally and broadcasts a prepared send. */
  petal_walletConfirmSend: {
    target: 'background',
    params: v.strictObject({ id: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)) }),
  },
  petal_walletRefresh: { target: 'background', params: Empty },
} as const satisfies Record<string, { target: Target; params: v.GenericSchema }>;

export type MethodName = keyof typeof methodSpecs;
export type MethodParams<M extends MethodName> = v.InferOutput<(typeof methodSpecs)[M]['params']>;

export interface PingResult {
  pong: true;
  echo?: string;
  /** Which context answered, so a test can tell a forwarded answer from a local one. */
  answeredBy: Target;
  /** The caller's origin as the browser reported it (never as the caller claimed it). */
  origin: string;
  version: string;
}

/** Result types, kept beside the schemas so both ends agree on them. */
export interface MethodResults
  extends
    NetworkMethodResults,
    SigningMethodResults,
    ContactMethodResults,
    FormationMethodResults,
    RunnerMethodResults,
    DappMethodResults {
  lotus_ping: PingResult;
  petal_offscreenPing: PingResult;
  petal_offscreenStatus: PingResult;
  petal_walletState: WalletView;
  petal_walletNewMnemonic: { mnemonic: string; confirm: number[] };
  petal_walletCreate: WalletView;
  petal_walletImport: WalletView;
  petal_walletUnlock: WalletView;
  petal_walletLock: WalletView;
  petal_walletChangePassword: WalletView;
  petal_walletRevealMnemonic: { mnemonic: string };
  petal_walletExportBackup: { backup: string; filename: string };
  petal_walletImportBackup: WalletView;
  petal_walletSettings: WalletSettings;
  petal_walletTransaction: TransactionView;
  petal_walletLabels: { labels: Label[] };
  petal_walletSetLabel: { labels: Label[] };
  petal_walletExportLabels: { text: string; filename: string };
  petal_walletImportLabels: { imported: number; skipped: number };
  petal_walletReceive: { address: string };
  petal_walletPrepareSend: SendPreview;
  petal_walletConfirmSend: { txid: string };
  petal_walletRefresh: WalletView;
}

/** Name of the runtime port over which the background pushes `WalletView` snapshots. */
export const WALLET_VIEW_PORT = 'petal/wallet-view';

/** Name of the runtime port each page's content script opens for provider requests and events. */
export const PAGE_PORT = 'petal/page';

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methodSpecs, name);
}
