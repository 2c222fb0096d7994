import { useEffect, useRef, useState } from 'preact/hooks';
import type { WalletView } from '../../core/wallet/wallet-service.ts';
import { useAction, useRpc } from '../state.ts';
import { notify } from './Toast.tsx';
import '../history.css';

const NETWORKS = [
  { name: 'mainnet', label: 'Mainnet' },
  { name: 'testnet', label: 'Testnet' },
  { name: 'regtest', label: 'Regtest (devnet)' },
] as const;

/**
 * The header's network badge; a click opens a menu to switch. Switching resets the Chronik URL to
 * that network's default (the wallet service's rule) and says so.
 */
export function NetworkMenu({ view }: { view: WalletView }) {
  const rpc = useRpc();
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const current = view.settings.network;
  const change = useAction(async (network: (typeof NETWORKS)[number]['name']) => {
    setOpen(false);
    if (network === current) return;
    await rpc.request('petal_walletSettings', { network });
    notify(`Switched to ${NETWORKS.find((n) => n.name === network)?.label ?? network}`);
  });
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (
        e instanceof KeyboardEvent ? e.key === 'Escape' : !root.current?.contains(e.target as Node)
      )
        setOpen(false);
    };
    addEventListener('pointerdown', close);
    addEventListener('keydown', close);
    return () => {
      removeEventListener('pointerdown', close);
      removeEventListener('keydown', close);
    };
  }, [open]);
  return (
    <div class="net-menu" ref={root}>
      <button
        type="button"
        class={`badge net ${current}`}
        id="network-name"
        aria-haspopup="menu"
        aria-expanded={open}
        title="Switch network"
        disabled={change.busy}
        onClick={() => setOpen(!open)}
      >
        {current} ▾
      </button>
      {open && (
        <ul role="menu" id="network-menu" aria-label="Network">
          {NETWORKS.map((n) => (
            <li key={n.name} role="none">
              <button
                type="button"
                role="menuitemradio"
                aria-checked={n.name === current}
                id={`network-${n.name}`}
                onClick={() => void change.act(n.name)}
              >
                {n.label}
              </button>
            </li>
          ))}
        </ul>
      )}
      {change.error && (
        <span class="error small" role="alert">
          {change.error}
        </span>
      )}
    </div>
  );
}
