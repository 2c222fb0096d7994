/**
 * Getting the user's attention without being a nuisance: the toolbar badge counts what waits for
 * a decision (dApp requests and vault sessions this member has not approved), and a desktop
 * notification announces each new vault proposal. Clicking it opens the vault sessions.
 */
import { browser } from '../ext/browser.ts';
import type { SessionView } from '../core/p2p/session.ts';
import type { Roster } from '../core/wallet/roster.ts';
import { proposalNotice } from './proposal-notice.ts';

const SESSIONS_URL = 'popup/index.html#/sessions';

/** `rosterOf`: the vault's members as the user knows them, so the notice names the proposer. */
export function createAttention(rosterOf: (vaultId: string) => Promise<Roster | undefined>) {
  // MV3 (Chromium) has `action`; the Firefox MV2 build has `browserAction`.
  const action =
    browser.action ??
    (browser as unknown as { browserAction?: typeof browser.action }).browserAction;
  const waiting = { requests: 0, sessions: new Set<string>() };

  const render = () => {
    const count = waiting.requests + waiting.sessions.size;
    void action?.setBadgeText({ text: count > 0 ? String(count) : '' });
    void action?.setBadgeBackgroundColor({ color: '#7c3aed' });
  };

  browser.notifications?.onClicked.addListener((id) => {
    if (!id.startsWith('petal-session-')) return;
    void browser.notifications.clear(id);
    void browser.windows.create({
      url: browser.runtime.getURL(SESSIONS_URL),
      type: 'popup',
      width: 380,
      height: 640,
    });
  });

  async function notify(view: SessionView): Promise<void> {
    // Without the roster (the vault stopped meanwhile) the proposer is named by number.
    const roster = (await rosterOf(view.vaultId).catch(() => undefined)) ?? { me: -1 };
    await browser.notifications?.create(`petal-session-${view.id}`, {
      type: 'basic',
      iconUrl: browser.runtime.getURL('icons/icon-128.png'),
      ...proposalNotice(view, roster),
    });
  }

  return {
    requests(count: number) {
      waiting.requests = count;
      render();
    },
    session(kind: 'proposal' | 'update', view: SessionView) {
      const undecided = view.phase === 'awaiting-approvals' && !view.approvedByMe;
      if (undecided) waiting.sessions.add(view.id);
      else waiting.sessions.delete(view.id);
      render();
      // A notification that cannot show (permission withdrawn) must not disturb the session.
      if (kind === 'proposal' && undecided) void notify(view).catch(() => undefined);
    },
  };
}
