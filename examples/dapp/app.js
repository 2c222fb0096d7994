// The example dApp: everything goes through the provider Petal announces (EIP-6963 style).
const $ = (id) => document.getElementById(id);

/** Finds Petal among the wallets that announce themselves; falls back to window.lotus. */
function findPetal() {
  return new Promise((resolve) => {
    const found = [];
    window.addEventListener('eip6963:announceProvider', (event) => found.push(event.detail));
    window.dispatchEvent(new Event('eip6963:requestProvider'));
    setTimeout(() => {
      const petal = found.find((d) => d.info.rdns === 'org.petal-wallet');
      resolve(petal ? { info: petal.info, provider: petal.provider } : { provider: window.lotus });
    }, 50);
  });
}

function show(id, value) {
  $(id).textContent = typeof value === 'string' ? value : JSON.stringify(value);
}

/** Runs a provider call; a failure shows its EIP-1193 code and message. */
async function run(id, call) {
  show('error', '');
  try {
    const result = await call();
    if (id) show(id, result);
    return result;
  } catch (err) {
    show('error', `${err.code}: ${err.message}`);
    return undefined;
  }
}

const { info, provider: lotus } = await findPetal();
show('wallet', info ? `${info.name} (${info.rdns})` : 'window.lotus');
show('network', (await lotus.request({ method: 'lotus_getNetwork' })).network);
lotus.on('accountsChanged', (accounts) => show('account', accounts[0] ?? '(not connected)'));
lotus.on('sessionUpdate', (session) =>
  show('vault-phase', `${session.phase} (attempt ${session.attempt})`),
);

$('connect').onclick = () =>
  run(undefined, async () => {
    const [account] = await lotus.request({ method: 'lotus_requestAccounts' });
    show('account', account);
  });
$('disconnect').onclick = () =>
  run(undefined, async () => {
    await lotus.request({ method: 'wallet_revokePermissions', params: [{ lotus_accounts: {} }] });
    show('account', '(not connected)');
  });
$('balance').onclick = () =>
  run(undefined, async () =>
    show('balance-out', (await lotus.request({ method: 'lotus_getBalance' })).total),
  );
$('sign').onclick = () =>
  run(
    'signature',
    async () =>
      (
        await lotus.request({
          method: 'lotus_signMessage',
          params: { message: $('message').value },
        })
      ).signature,
  );
$('send').onclick = () =>
  run(
    'send-out',
    async () =>
      (
        await lotus.request({
          method: 'lotus_sendTransfer',
          params: { to: $('to').value.trim(), sats: $('sats').value.trim() },
        })
      ).txid,
  );
$('vaults').onclick = () =>
  run(undefined, async () => {
    const vaults = await lotus.request({ method: 'lotus_getVaults' });
    $('vault').replaceChildren(
      ...vaults.map((v) => new Option(`${v.label || 'Vault'} · ${v.members} members`, v.id)),
    );
  });
$('vault-send').onclick = () =>
  run('vault-out', async () => {
    show('vault-out', 'waiting for every member…');
    const { txid } = await lotus.request({
      method: 'lotus_requestVaultSpend',
      params: {
        vaultId: $('vault').value,
        to: $('vault-to').value.trim(),
        sats: $('vault-sats').value.trim(),
      },
    });
    return txid;
  });
document.body.dataset.ready = 'true';
