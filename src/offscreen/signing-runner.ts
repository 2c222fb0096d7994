/**
 * Runs the signing protocol where the network is: in the context that holds the libp2p node
 * (offscreen document on Chromium, background page on Firefox), so a frame goes from the peer to
 * the protocol and back with no runtime hop (issue #19; docs/PROTOCOL.md §7.3). The background
 * hands over the member key when the wallet unlocks and takes it back when it locks; it keeps the
 * wallet, approvals and the UI, and learns every session change from `petal_runnerEvent`.
 */
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { ChronikIndexer } from '../core/chain/chronik.ts';
import { NETWORKS, type NetworkName, type NetworkParams } from '../core/chain/network.ts';
import { ReplaySwitch, type ReplaySideMemory } from '../core/chain/replay-side.ts';
import { parseUnsignedSpend } from '../core/chain/unsigned-spend.ts';
import { indexerChainAccess } from '../core/p2p/indexer-chain.ts';
import type { SessionView } from '../core/p2p/session.ts';
import type { SessionStore } from '../core/p2p/session-store.ts';
import { SigningService } from '../core/p2p/signing-service.ts';
import {
  type MethodParams,
  type MethodResults,
  RpcError,
  RpcErrorCode,
  type StampedView,
  viewToWire,
} from '../core/rpc/index.ts';
import { getPublicKey } from '../core/crypto/schnorr.ts';
import { decodeVaultDescriptor, memberIndex } from '../core/wallet/vault.ts';
import type { NetworkHost } from './network-host.ts';

export type RunnerEvent = MethodParams<'petal_runnerEvent'>;
type StartParams = MethodParams<'petal_runnerStart'>;
type ReplayParams = MethodParams<'petal_runnerReplay'>;

/** Asked for a session step while no protocol runs here (locked, or this document restarted). */
export class SigningNotRunningError extends RpcError {
  constructor() {
    super(RpcErrorCode.internal, 'The signing protocol is not running here', {
      name: 'SigningNotRunningError',
    });
  }
}

/** Tells the switch's owner (the background's wallet) each thing the network taught it. */
class ReportingSwitch extends ReplaySwitch {
  #activation: number | undefined;
  readonly #reportLearned: (network: NetworkName, active: boolean, at: number) => void;

  constructor(report: (network: NetworkName, active: boolean, at: number) => void) {
    super({ activationTime: () => this.#activation });
    this.#reportLearned = report;
  }

  /** Adopts the background's belief: the user's activation time and what was learned. */
  adopt(network: NetworkName, activationTime: number | undefined, learned: ReplaySideMemory) {
    this.#activation = activationTime;
    this.forget(network);
    this.restore({ [network]: learned });
  }

  override learn(network: NetworkParams, active: boolean, medianTimePast: number): void {
    super.learn(network, active, medianTimePast);
    this.#reportLearned(network.name, active, medianTimePast);
  }
}

interface Running {
  keyHex: string;
  network: NetworkName;
  chronikUrl: string;
  /** The node's peer id when this protocol started (the runner stops when the node does). */
  peerId: string;
  service: SigningService;
  indexer: ChronikIndexer;
  secretKey: Uint8Array;
  vaults: Set<string>;
  replay: ReportingSwitch;
}

export class SigningRunner {
  readonly #network: NetworkHost;
  readonly #report: (event: RunnerEvent) => void;
  readonly #openStore: () => SessionStore;
  #running: Running | undefined;
  /** One per start: the background drops what it knew of an earlier protocol instance. */
  #epoch = bytesToHex(randomBytes(32));
  #seq = 0;
  /** Start and stop run one at a time (a lock during a start must not leave a protocol up). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    network: NetworkHost,
    report: (event: RunnerEvent) => void,
    openStore: () => SessionStore,
  ) {
    this.#network = network;
    this.#report = report;
    this.#openStore = openStore;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  start(p: StartParams): Promise<MethodResults['petal_runnerStart']> {
    return this.#serial(async () => {
      const current = this.#running;
      if (
        !current ||
        current.keyHex !== p.secretKey ||
        current.network !== p.network ||
        current.chronikUrl !== p.chronikUrl
      ) {
        await this.#stopNow();
        this.#running = this.#create(p);
      }
      const running = this.#running as Running;
      for (const descriptor of p.vaults) await this.#addVault(running, descriptor);
      return {
        peerId: running.peerId,
        epoch: this.#epoch,
        seq: this.#seq,
        sessions: running.service.sessions().map(viewToWire),
      };
    });
  }

  #create(p: StartParams): Running {
    const transport = this.#network.localTransport();
    const indexer = new ChronikIndexer({ url: p.chronikUrl });
    const replay = new ReportingSwitch((network, active, medianTime) =>
      this.#emit({ kind: 'learned', learned: { network, active, medianTime } }),
    );
    replay.adopt(p.network, p.replay.activationTime, p.replay.learned);
    const service = new SigningService({
      transport,
      store: this.#openStore(),
      chain: indexerChainAccess(indexer),
      replaySwitch: replay,
    });
    service.start();
    const report = (kind: 'proposal' | 'update') => (view: SessionView) =>
      this.#emit({ kind, view: viewToWire(view) });
    service.on('proposal', report('proposal'));
    service.on('update', report('update'));
    service.on('completed', report('update'));
    service.on('ended', report('update'));
    service.on('warning', ({ message }) => console.warn(`[petal] ${message}`));
    service.on('outdated', ({ message, from }) => console.warn(`[petal] ${from}: ${message}`));
    this.#epoch = bytesToHex(randomBytes(32));
    this.#seq = 0;
    return {
      keyHex: p.secretKey,
      network: p.network,
      chronikUrl: p.chronikUrl,
      peerId: transport.peerId,
      service,
      indexer,
      secretKey: hexToBytes(p.secretKey),
      vaults: new Set(),
      replay,
    };
  }

  #emit(event: Omit<RunnerEvent, 'epoch' | 'seq'>): void {
    this.#report({ ...event, epoch: this.#epoch, seq: ++this.#seq });
  }

  #stamp(view: SessionView): StampedView {
    return { epoch: this.#epoch, seq: ++this.#seq, view: viewToWire(view) };
  }

  async #addVault(running: Running, descriptor: string): Promise<void> {
    if (running.vaults.has(descriptor)) return;
    const vault = decodeVaultDescriptor(descriptor, NETWORKS[running.network]);
    if (memberIndex(vault, getPublicKey(running.secretKey)) < 0)
      throw new RpcError(RpcErrorCode.invalidParams, 'This wallet is not a member of that vault');
    await running.service.addVault(vault, running.secretKey);
    running.vaults.add(descriptor);
  }

  #require(): Running {
    if (!this.#running) throw new SigningNotRunningError();
    return this.#running;
  }

  async addVault({ descriptor }: { descriptor: string }): Promise<{ ok: true }> {
    await this.#addVault(this.#require(), descriptor);
    return { ok: true };
  }

  async propose(p: MethodParams<'petal_runnerPropose'>): Promise<StampedView> {
    const { service } = this.#require();
    const view = await service.propose(p.vaultId, parseUnsignedSpend(hexToBytes(p.spend)), {
      ...(p.memo ? { memo: p.memo } : {}),
      ...(p.leafAfterMs !== undefined ? { leafAfterMs: p.leafAfterMs } : {}),
    });
    return this.#stamp(view);
  }

  async approve({ id }: { id: string }): Promise<StampedView> {
    return this.#stamp(await this.#require().service.approve(id));
  }

  async decline({ id, reason }: { id: string; reason?: string }): Promise<StampedView> {
    return this.#stamp(await this.#require().service.decline(id, reason));
  }

  memberPeers({ vaultId }: { vaultId: string }): { peers: (string | null)[] } {
    return {
      peers: this.#require()
        .service.memberPeers(vaultId)
        .map((p) => p ?? null),
    };
  }

  replay(p: ReplayParams): { ok: true } {
    const running = this.#require();
    running.replay.adopt(running.network, p.activationTime, p.learned);
    return { ok: true };
  }

  stop(): Promise<{ ok: true }> {
    return this.#serial(async () => {
      await this.#stopNow();
      return { ok: true };
    });
  }

  async #stopNow(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    // In-memory secret nonces go with the service; the key bytes are overwritten.
    await running.service.stop();
    running.indexer.close();
    running.secretKey.fill(0);
    this.#network.releaseLocal();
  }

  get running(): boolean {
    return this.#running !== undefined;
  }
}
