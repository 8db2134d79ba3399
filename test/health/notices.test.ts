// Which notification each change of the profiles brings, and that none repeats.
import { describe, expect, it } from 'vitest';
import { Notifier, type Notice } from '../../main/health/notices.js';
import type { ProfileView } from '../../preload/api.js';
import { bob, keyringLocked, linked, needsRelink } from '../support/views.js';

function notifier(enabled = true) {
  const told: Notice[] = [];
  return { n: new Notifier({ show: (notice) => void told.push(notice), enabled: () => enabled }), told };
}

const bobLocked: ProfileView = { ...bob, linked: false, health: 'keyring-locked', error: { code: 'KEYRING_ACCESS', message: 'locked' } };

describe('notifications', () => {
  it('a link that starts to need the person is told once, in the provider’s and the account’s words', () => {
    const { n, told } = notifier();
    n.update([linked, bob]);
    n.update([needsRelink, bob]);
    n.update([needsRelink, bob]);
    n.update([needsRelink, { ...bob, health: 'provider-unreachable' }]);
    expect(told).toEqual([
      { title: 'Dropbox — alice@example.test needs to be linked again', body: 'The provider no longer accepts this link. Open authtray and choose Link again.', profile: 'default' },
    ]);
    // Linked again, then refused again: a new state change, told again.
    n.update([linked, bob]);
    n.update([needsRelink, bob]);
    expect(told).toHaveLength(2);
  });

  it('the keyring locked at start: one notice for every profile it holds, again only after it was unlocked', () => {
    const { n, told } = notifier();
    n.update([keyringLocked, bobLocked]);
    expect(told).toEqual([
      { title: 'Your keyring is locked', body: 'authtray cannot read the credentials of Dropbox — alice@example.test. Unlock your keyring, then choose Retry in authtray.', profile: 'default' },
    ]);
    n.update([keyringLocked, bobLocked]);
    n.update([linked, bob]);
    n.update([linked, bobLocked]);
    expect(told.map((t) => t.profile)).toEqual(['default', 'work']);
  });

  it('a link finished in the browser is told only while the window is hidden; nothing at all when turned off', () => {
    const { n, told } = notifier();
    n.linked(linked, true);
    n.linked(linked, false);
    expect(told.map((t) => t.title)).toEqual(['Dropbox — alice@example.test is linked']);
    const off = notifier(false);
    off.n.update([needsRelink]);
    off.n.linked(linked, false);
    expect(off.told).toEqual([]);
  });
});
