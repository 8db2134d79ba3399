// @vitest-environment happy-dom
// A profile in each state: linked (details, plain-text warning, Unlink with confirmation), needs
// relink, keyring locked, linking; and the error advice for every code.
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiError, AuthtrayApi, ProfileView, Result } from '../../preload/api.js';
import { AccountDetails } from '../../renderer/src/components/AccountDetails.js';
import { adviceFor, ErrorNotice } from '../../renderer/src/components/ErrorNotice.js';
import { ProfileCard } from '../../renderer/src/components/ProfileCard.js';
import { keyringLocked, linked, linkedInKeyring, linking, needsRelink } from '../support/views.js';

afterEach(cleanup);

/** Records calls; `unlink` answers what the test queued. */
function recordingApi(unlinkAnswers: Result<{ revoked: boolean; warning: string | null }>[] = []) {
  const calls: string[] = [];
  const ok = <T,>(value: T) => Promise.resolve({ ok: true as const, value });
  const api = {
    appInfo: () => Promise.reject(new Error('not used')),
    profiles: () => Promise.reject(new Error('not used')),
    startLink: () => Promise.reject(new Error('not used')),
    finishLink: (r: { input: string }) => (calls.push(`finish:${r.input}`), ok(linked)),
    cancelLink: (p: string) => (calls.push(`cancel:${p}`), ok(null)),
    openLink: (p: string) => (calls.push(`open:${p}`), ok(null)),
    copyLink: (p: string) => (calls.push(`copy:${p}`), ok(null)),
    unlink: (p: string) => (calls.push(`unlink:${p}`), Promise.resolve(unlinkAnswers.shift() ?? { ok: true as const, value: { revoked: true, warning: null } })),
    onStatusChanged: () => () => {},
    onCommand: () => () => {},
  } as unknown as AuthtrayApi;
  return { api, calls };
}

function card(view: ProfileView, api = recordingApi()) {
  const events: string[] = [];
  render(
    <ProfileCard
      view={view}
      api={api.api}
      onStartAgain={(v) => void events.push(`startAgain:${v.profile}`)}
      onRelink={(v) => void events.push(`relink:${v.profile}`)}
      onRetry={() => void events.push('retry')}
      onUnlinked={(v, result) => void events.push(`unlinked:${v.profile}:${result.warning}`)}
    />,
  );
  return { events, calls: api.calls, user: userEvent.setup() };
}

const detail = (term: string) => {
  const dt = screen.getAllByRole('term').find((t) => t.textContent === term)!;
  return dt.nextElementSibling!.textContent;
};

describe('linked', () => {
  it('shows name, email, id, provider, store and token', () => {
    card(linkedInKeyring);
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Alice Example');
    expect(screen.getByText('Linked')).toBeTruthy();
    expect(detail('Name')).toBe('Alice Example');
    expect(detail('Email')).toBe('alice@example.test');
    expect(detail('Account id')).toBe('dbid:AAH4f99');
    expect(detail('Provider')).toBe('Dropbox');
    expect(detail('Stored in')).toBe('System keyring: Secret Service (login)');
    expect(detail('Token')).toMatch(/^Renews itself \(refresh token\); current access token valid until /);
    expect(screen.queryByRole('note', { name: 'Plain-text storage' })).toBeNull();
  });

  it('warns clearly when the credentials are in plain text', () => {
    card(linked);
    expect(detail('Stored in')).toBe('Plain-text file: /home/a/.config/authtray/credentials');
    expect(screen.getByRole('note', { name: 'Plain-text storage' }).textContent).toMatch(/Stored in plain text.*Anyone who can read your files can use these credentials/);
  });

  it('an unencrypted shared store is named, with the same warning', () => {
    card({ ...linked, store: { backend: 'redis', location: 'redis://127.0.0.1:6379/0', secure: false } });
    expect(detail('Stored in')).toBe('Redis: redis://127.0.0.1:6379/0');
    expect(screen.getByRole('note', { name: 'Plain-text storage' }).textContent).toMatch(/Anyone who can read that store can use these credentials/);
  });

  it('names Box server-auth and developer-token links and their tokens', () => {
    card({ ...linkedInKeyring, provider: 'box-jwt', token: { kind: 'jwt', expiresAt: null } });
    expect(detail('Provider')).toBe('Box (server auth)');
    expect(detail('Token')).toBe("Renewed with the app's signing key (server auth)");
    cleanup();
    card({ ...linkedInKeyring, provider: 'box-developer-token', token: { kind: 'developer', expiresAt: null } });
    expect(detail('Provider')).toBe('Box (developer token)');
    expect(detail('Token')).toBe('Developer token: lasts 60 minutes, then link again');
  });

  it('Unlink asks first; Keep linked does nothing; Unlink unlinks', async () => {
    const { calls, events, user } = card(linked);
    await user.click(screen.getByRole('button', { name: 'Unlink…' }));
    const confirm = screen.getByRole('group');
    expect(confirm.textContent).toMatch(/Unlink Alice Example\? authtray revokes its access at Dropbox and deletes the credentials/);
    expect(document.activeElement).toBe(within(confirm).getByRole('button', { name: 'Unlink' }));
    await user.click(within(confirm).getByRole('button', { name: 'Keep linked' }));
    expect(calls).toEqual([]);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Unlink…' }));
    await user.click(screen.getByRole('button', { name: 'Unlink…' }));
    await user.click(screen.getByRole('button', { name: 'Unlink' }));
    expect(calls).toEqual(['unlink:default']);
    expect(events).toEqual(['unlinked:default:null']);
  });

  it('an unlink that fails (keyring locked) says so and offers Retry', async () => {
    const locked: ApiError = { code: 'KEYRING_ACCESS', message: 'Your keyring is locked. Unlock it and try again.' };
    const { calls, user } = card(linked, recordingApi([{ ok: false, error: locked }]));
    await user.click(screen.getByRole('button', { name: 'Unlink…' }));
    await user.click(screen.getByRole('button', { name: 'Unlink' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Your keyring is locked/);
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(calls).toEqual(['unlink:default', 'unlink:default']);
  });

  it('the tray can open the confirmation directly', () => {
    render(<AccountDetails view={linked} onUnlink={async () => null} confirmRequested={1} />);
    expect(screen.getByRole('group').textContent).toMatch(/Unlink Alice Example\?/);
  });
});

describe('other states', () => {
  it('needs relink: says why, Link again', async () => {
    const { events, user } = card(needsRelink);
    expect(screen.getByText('Needs relink')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toMatch(/no longer accepts authtray’s access/);
    await user.click(screen.getByRole('button', { name: 'Link again' }));
    expect(events).toEqual(['relink:default']);
  });

  it('keyring locked: unlock it, then Retry', async () => {
    const { events, user } = card(keyringLocked);
    expect(screen.getByText('Keyring locked')).toBeTruthy();
    const alert = screen.getByRole('alert');
    expect(alert.getAttribute('data-code')).toBe('KEYRING_ACCESS');
    expect(alert.textContent).toMatch(/Your keyring is locked.*Unlock your system keyring.*then retry/);
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(events).toEqual(['retry']);
  });

  it('linking: the panel, wired to this profile', async () => {
    const { calls, user } = card(linking);
    expect(screen.getByText('Linking')).toBeTruthy();
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('New account: default');
    await user.click(screen.getByRole('button', { name: 'Open in browser' }));
    await user.type(screen.getByLabelText('Code or address from the browser'), 'abc');
    await user.click(screen.getByRole('button', { name: 'Finish' }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(calls).toEqual(['open:default', 'finish:abc', 'cancel:default']);
  });

  it('credentials missing: Link again', async () => {
    const { events, user } = card({ ...linked, linked: false, token: null });
    expect(screen.getByRole('note').textContent).toMatch(/credentials of this account are missing/);
    await user.click(screen.getByRole('button', { name: 'Link again' }));
    expect(events).toEqual(['relink:default']);
  });
});

describe('ErrorNotice', () => {
  it.each([
    ['CONNECTION_FAILED', 'Retry'],
    ['KEYRING_ACCESS', 'Retry'],
    ['STORE_ERROR', 'Retry'],
    ['NEEDS_RELINK', 'Link again'],
    ['INVALID_TOKEN', 'Start again'],
    ['BAD_STATE', 'Start again'],
    ['NOT_APPROVED', 'Start again'],
    ['PROVIDER_ERROR', 'Start again'],
    ['CANCELLED', 'Start again'],
  ] as const)('%s → %s', async (code, button) => {
    const pressed: string[] = [];
    render(
      <ErrorNotice
        error={{ code, message: `message for ${code}` }}
        onRetry={() => void pressed.push('Retry')}
        onStartAgain={() => void pressed.push('Start again')}
        onRelink={() => void pressed.push('Link again')}
      />,
    );
    expect(screen.getByRole('alert').textContent).toContain(`message for ${code}`);
    await userEvent.setup().click(screen.getByRole('button', { name: button }));
    expect(pressed).toEqual([button]);
    expect(screen.getAllByRole('button')).toHaveLength(1);
  });

  it('anything else: the message and Dismiss', () => {
    expect(adviceFor('INTERNAL').action).toBe('dismiss');
    render(<ErrorNotice error={{ code: 'INTERNAL', message: 'Something unexpected' }} onDismiss={() => {}} />);
    expect(screen.getAllByRole('button').map((b) => b.textContent)).toEqual(['Dismiss']);
  });
});
