import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { encodeAddress, p2pkhScript, regtest } from '../../src/core/chain/index.ts';
import { getPublicKey } from '../../src/core/crypto/index.ts';
import { keySort } from '../../src/core/crypto/musig2.ts';
import type { VaultDetails } from '../../src/core/rpc/index.ts';
import { createJoin, readInvite } from '../../src/core/wallet/vault-invite.ts';
import { callExtension, popupAt, popupUrl } from './harness.ts';
import { twoWalletsOnRelay } from './vault-steps.ts';
import { overflowing, shooter } from './popup-shots.ts';

const PASSWORD = 'vault policy e2e password';

/** Full page (everything the popup scrolls to) and the first 360×600 the user sees. */
const shot = shooter('vault-policy', 'both');

// Alice forms a 2-of-3 vault with a recovery key in her popup: Bob answers in his, Carol's join
// code comes from a third wallet (her key only), Dana holds the recovery key. Both popups state
// the policy in plain words, and a spend says whom it waits for and what happens at the deadline.
describe('a 2-of-3 vault with a recovery key, formed in the popup', () => {
  const world = twoWalletsOnRelay(PASSWORD);
  let a: Page;
  let b: Page;
  let vaultId = '';
  const carol = randomBytes(32);
  const danaKey = bytesToHex(getPublicKey(randomBytes(32)));
  const payee = encodeAddress(p2pkhScript(randomBytes(20)), regtest);

  it('offers k of n and a recovery key, shows the rule before creating, refuses what cannot be', async () => {
    a = await popupAt(world.alice, '/vault-new');
    await a.waitForSelector('#vault-create');
    // A name is counted in bytes, as it travels: 33 two-byte letters do not fit, and it says so.
    await a.fill('#new-vault-label', 'é'.repeat(33));
    expect(await a.textContent('#new-vault-label-hint')).toBe('66 of 64 bytes');
    expect(await a.textContent('#new-vault-form-error')).toMatch(/66 bytes; at most 64 fit/);
    await a.fill('#new-vault-label', 'Household');
    expect(await a.textContent('#new-vault-label-hint')).toBe('9 of 64 bytes');
    await a.fill('#new-vault-members', '3');
    await a.fill('#new-vault-threshold', '2');
    await expect
      .poll(() => a.textContent('#new-vault-policy'))
      .toBe('Who can spend: Any 2 of you, Member 2 and Member 3.');

    await a.check('#new-vault-recovery');
    await a.fill('#new-vault-recovery-key', danaKey.slice(0, 20));
    expect(await a.textContent('#new-vault-form-error')).toMatch(/66 hex digits/);
    expect(await a.isDisabled('#create-invite')).toBe(true);
    await a.fill('#new-vault-recovery-key', danaKey);
    // Four months is past what Lotus can count: the wallet's refusal says what fits.
    await a.fill('#new-vault-wait', '4');
    await a.selectOption('#new-vault-wait-unit', 'months');
    await expect
      .poll(() => a.textContent('#new-vault-policy-error'))
      .toMatch(/Recovery waits 1 to 65,535 blocks \(about 91 days.*not 86400/);
    expect(await a.textContent('#new-vault-wait-hint')).toContain('86,400 blocks');
    await shot(a, '01-refused-wait');
    await a.fill('#new-vault-threshold', '4');
    await expect
      .poll(() => a.textContent('#new-vault-policy-error'))
      .toBe('A vault of 3 members needs 2 to 3 signers, not 4');
    await a.fill('#new-vault-threshold', '2');
    await a.fill('#new-vault-wait', '1');
    await expect
      .poll(() => a.textContent('#new-vault-policy'))
      .toBe(
        'Who can spend: Any 2 of you, Member 2 and Member 3; the recovery key alone after ' +
          '21,600 blocks (about 4 weeks).',
      );
    expect(await a.textContent('#new-vault-wait-hint')).toMatch(
      /^21,600 blocks\. .*at most 65,535 blocks \(about 91 days\)/,
    );
    expect(await overflowing(a)).toEqual([]);
    await shot(a, '02-new-vault-form');
  });

  it('the invite carries the rule to the members; the assembled vault states it on its page', async () => {
    await a.fill('#new-vault-my-name', 'Alice');
    await a.click('#create-invite');
    await a.waitForSelector('#formation-invite');
    const invite = await a.locator('#invite-code').inputValue();
    expect(invite).toMatch(/^petalinvite1/);
    expect(await a.textContent('#invite-policy')).toContain('Any 2 of you, Member 2 and Member 3');
    await shot(a, '03-invite');

    b = await popupAt(world.bob, '/vault-join');
    await b.fill('#join-invite', invite);
    // Carol's wallet cannot reach a relay: this vault is formed the old way, by codes pasted by
    // hand (the one-code fallback), so Bob answers with a join code too.
    await b.click('#join-by-code');
    const bobJoin = await b.locator('#join-code').inputValue();
    expect(await b.textContent('#join-policy')).toBe(
      'Who can spend: Any 2 of Member 1, Member 2 and Member 3; the recovery key alone after ' +
        '21,600 blocks (about 4 weeks).',
    );
    expect(await overflowing(b)).toEqual([]);
    await shot(b, '04-join');

    const carolJoin = createJoin(readInvite(invite, { network: regtest }), carol);
    await a.click('#formation-by-hand summary');
    await a.fill('#join-codes', `${bobJoin}\n${carolJoin}`);
    await a.click('#assemble');
    await a.waitForSelector('#vault-policy');
    expect(await a.textContent('#vault-policy')).toContain('Any 2 of');
    await a.click('#vault-share summary');
    const descriptor = await a.locator('#vault-share-descriptor').inputValue();
    await shot(a, '05-created');

    await b.fill('#join-descriptor', descriptor);
    await b.click('#join-add');
    await b.waitForSelector('#vault-policy');
    vaultId = a.url().split('#/vault/')[1] as string;

    // Members are numbered by key order, as the member list numbers them; each wallet is "you".
    const details = await callExtension<VaultDetails>(a, 'petal_vaultDetails', { id: vaultId });
    const bobView = await callExtension<VaultDetails>(b, 'petal_vaultDetails', { id: vaultId });
    expect(keySort(details.memberKeys.map(hexToBytes)).map(bytesToHex)).toEqual(details.memberKeys);
    const names = (me: number) => {
      const [first, second, third] = [0, 1, 2].map((i) => (i === me ? 'you' : `Member ${i + 1}`));
      return `${first}, ${second} and ${third}`;
    };
    const rule = (me: number) =>
      `Who can spend: Any 2 of ${names(me)}; the recovery key alone after 21,600 blocks ` +
      '(about 4 weeks).';
    expect(await a.textContent('#vault-policy')).toBe(rule(details.me));
    expect(await b.textContent('#vault-policy')).toBe(rule(bobView.me));
    expect(details).toMatchObject({
      policy: 'threshold',
      threshold: 2,
      recovery: { afterBlocks: 21_600, keys: [danaKey], threshold: 1 },
    });
    expect(await a.textContent('#vault-address')).toBe(await b.textContent('#vault-address'));
    // The fingerprint members read to each other is the same in both wallets.
    // The descriptor stays available on the vault page (another wallet, or a backup).
    expect(await a.inputValue('#vault-share-descriptor')).toBe(details.descriptor);
    const fingerprint = await a.textContent('#vault-fingerprint .mono');
    expect(fingerprint).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(await b.textContent('#vault-fingerprint .mono')).toBe(fingerprint);
    expect(await overflowing(a)).toEqual([]);
    await shot(a, '06-vault-page');

    await a.goto(popupUrl(world.alice, '/vaults'));
    await expect
      .poll(() => a.textContent(`[data-vault="${vaultId}"] [data-policy]`))
      .toBe('2 of 3 · recovery');
    await shot(a, '07-vault-list');
  });

  it('a spend says it waits for everyone on the key path, and who signs without whom after 1 hour', async () => {
    const details = await callExtension<VaultDetails>(a, 'petal_vaultDetails', { id: vaultId });
    const bobIndex = (await callExtension<VaultDetails>(b, 'petal_vaultDetails', { id: vaultId }))
      .me;
    const carolIndex = details.memberKeys.indexOf(bytesToHex(getPublicKey(carol)));
    world.devnet.fund(details.address, 40_000_000n);
    world.devnet.mine(1);
    await a.goto(popupUrl(world.alice, `/vault/${vaultId}`));
    await expect.poll(() => a.textContent('#vault-balance'), { timeout: 20_000 }).toBe('40 XPI');
    await a.fill('#vault-to', payee);
    await a.fill('#vault-amount', '12.5');
    await a.click('#vault-propose button[type=submit]');
    await a.waitForSelector('#session-path');
    const sessionId = a.url().split('#/session/')[1] as string;
    const waitingFor = [bobIndex, carolIndex]
      .sort()
      .map((i) => i + 1)
      .join(' and ');
    expect(await a.textContent('#session-path')).toBe(
      `Everyone signs (key path) — waiting for Members ${waitingFor}`,
    );
    expect(await a.textContent('#session-fallback')).toMatch(
      new RegExp(
        // The deadline is an hour on: past midnight it carries its date ("7 Dec 00:56").
        `^If Members ${waitingFor} have not all approved by (\\d{1,2} \\w{3} )?\\d\\d:\\d\\d, ` +
          '2 members who approved ' +
          'sign without the rest \\(1 more approval needed\\)\\.$',
      ),
    );
    expect(await a.textContent('#session-phase')).toBe('Waiting for approvals');
    await shot(a, '08-session-waiting-two');

    await b.goto(popupUrl(world.bob, `/session/${sessionId}`));
    await b.getByRole('button', { name: 'Approve' }).click({ timeout: 30_000 });
    await expect
      .poll(() => a.textContent('#session-path'), { timeout: 30_000 })
      .toBe(`Everyone signs (key path) — waiting for Member ${carolIndex + 1}`);
    const deadline = new Date(Date.now() + 3600_000);
    const hhmm = (d: Date) =>
      `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    expect(await a.textContent('#session-fallback')).toMatch(
      new RegExp(
        `^If Member ${carolIndex + 1} has not approved by (${hhmm(deadline)}|${hhmm(new Date(deadline.getTime() - 60_000))}), ` +
          'the members who approved sign without them\\.$',
      ),
    );
    expect(await overflowing(a)).toEqual([]);
    await shot(a, '09-session-waiting-one');
    await expect
      .poll(() => b.textContent('#session-path'))
      .toBe(`Everyone signs (key path) — waiting for Member ${carolIndex + 1}`);
    await shot(b, '10-session-bob');
    await b.goto(popupUrl(world.bob, '/sessions'));
    await expect
      .poll(() => b.textContent(`[data-session="${sessionId}"] [data-path]`))
      .toBe(`Everyone signs (key path) — waiting for Member ${carolIndex + 1}`);
    expect(await b.textContent(`[data-session="${sessionId}"]`)).toContain('(2 needed)');
    // Bob's card says who proposed: Alice, by her member number and the start of her key (Bob
    // has not named her).
    const aliceKey = details.memberKeys[details.me] as string;
    expect(await b.textContent(`[data-session="${sessionId}"] [data-proposer]`)).toBe(
      `Proposed by Member ${details.me + 1} (${aliceKey.slice(0, 8)}…${aliceKey.slice(-4)})`,
    );
    expect(await overflowing(b)).toEqual([]);
    await shot(b, '11-sessions-list');
  });
});
