// @vitest-environment happy-dom
// The window as a whole: first run, several profiles and "Add account", status events, the tray's
// requests, starting again, relinking, a store that cannot be read. Main is played by a small
// scripted stand-in with the preload's API (the real one runs in the browser tests).
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppInfo, AppSettingsView, AuthtrayApi, LinkRequest, ProfileView, Result, UiCommand } from '../../preload/api.js';
import { App, suggestProfile } from '../../renderer/src/App.js';
import { commandBuffer } from '../../renderer/src/commands.js';
import { bob, FROM_SOURCE, linked, linking, needsRelink, notLinked, PLAIN } from '../support/views.js';

afterEach(cleanup);

class ScriptedMain {
  profiles: ProfileView[];
  info: AppInfo;
  readonly calls: string[] = [];
  /** Answers for the next calls, by method; otherwise a success. */
  readonly next: Partial<Record<keyof AuthtrayApi, Result<unknown>[]>> = {};
  #status = new Set<(p: ProfileView[]) => void>();
  #commands = new Set<(c: UiCommand) => void>();

  constructor(profiles: ProfileView[], info: AppInfo = PLAIN) {
    this.profiles = profiles;
    this.info = info;
  }

  settings: AppSettingsView = { notifications: true, keepAlive: true, startHidden: true, linkForm: {} };

  #answer<T>(method: keyof AuthtrayApi, call: string, value: T): Promise<Result<T>> {
    this.calls.push(call);
    return Promise.resolve((this.next[method]?.shift() as Result<T> | undefined) ?? { ok: true, value });
  }

  readonly api: AuthtrayApi = {
    appInfo: (options) => this.#answer('appInfo', options ? `appInfo:${JSON.stringify(options)}` : 'appInfo', this.info),
    profiles: () => this.#answer('profiles', 'profiles', this.profiles),
    startLink: (r: LinkRequest) => {
      const view = { ...notLinked, profile: r.profile, provider: r.provider ?? 'dropbox', pending: { ...linking.pending!, profile: r.profile } };
      if (!this.next.startLink?.length) this.#change([...this.profiles.filter((p) => p.profile !== r.profile), view]);
      return this.#answer('startLink', `startLink:${JSON.stringify(r)}`, view.pending);
    },
    finishLink: (r) => {
      if (!this.next.finishLink?.length) this.#change(this.profiles.map((p) => (p.profile === r.profile ? { ...linked, profile: r.profile } : p)));
      return this.#answer('finishLink', `finish:${r.input}`, null);
    },
    cancelLink: (p) => {
      this.#change(this.profiles.filter((v) => v.profile !== p || v.account));
      return this.#answer('cancelLink', `cancel:${p}`, null);
    },
    openLink: (p) => this.#answer('openLink', `open:${p}`, null),
    copyLink: (p) => this.#answer('copyLink', `copy:${p}`, null),
    unlink: (p) => {
      this.#change(this.profiles.filter((v) => v.profile !== p));
      return this.#answer('unlink', `unlink:${p}`, { revoked: false, revocation: 'unreachable', warning: "The provider could not be asked to revoke the grant (Could not reach 127.0.0.1:9); the local credentials were deleted; remove access in the provider's account settings." });
    },
    settings: () => this.#answer('settings', 'settings', this.settings),
    updateSettings: (update) => {
      this.settings = { ...this.settings, ...update };
      return this.#answer('updateSettings', `settings:${JSON.stringify(update)}`, this.settings);
    },
    onStatusChanged: (listener) => {
      this.#status.add(listener);
      return () => this.#status.delete(listener);
    },
    onCommand: (listener) => {
      this.#commands.add(listener);
      return () => this.#commands.delete(listener);
    },
    // No agent asks here (the browser tests run consent for real).
    consent: () => Promise.resolve({ ok: true, value: { questions: [], decisions: [] } }),
    answerConsent: () => Promise.resolve({ ok: true, value: { questions: [], decisions: [] } }),
    revokeConsent: () => Promise.resolve({ ok: true, value: { questions: [], decisions: [] } }),
    onConsentChanged: () => () => {},
  };

  /** As the real main does: a command changes the profiles, and every profile then arrives on status:changed, a moment after its answer. */
  #change(profiles: ProfileView[]) {
    this.profiles = profiles;
    setTimeout(() => this.emit(this.profiles), 5);
  }

  emit(profiles: ProfileView[]) {
    this.profiles = profiles;
    act(() => this.#status.forEach((l) => l(profiles)));
  }

  command(command: UiCommand) {
    act(() => this.#commands.forEach((l) => l(command)));
  }

  get listeners() {
    return this.#status.size;
  }
}

async function show(main: ScriptedMain) {
  const commands = commandBuffer(main.api);
  const view = render(<App api={main.api} commands={commands} />);
  await screen.findByRole('heading', { level: 1 });
  await act(async () => {});
  return { user: userEvent.setup(), ...view };
}

describe('App', () => {
  it('first run: the link form for the default profile, with the plain-text warning', async () => {
    const main = new ScriptedMain([]);
    const { user } = await show(main);
    expect(screen.getByRole('heading', { name: 'Link an account' })).toBeTruthy();
    expect(screen.queryByLabelText('Profile name')).toBeNull();
    expect(screen.getByRole('note', { name: 'Plain-text storage' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    await user.type(screen.getByLabelText('App key'), 'key');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    expect(main.calls).toContain('startLink:{"profile":"default","provider":"dropbox","clientId":"key"}');
    expect(await screen.findByRole('heading', { name: 'Approve authtray in your browser' })).toBeTruthy();
  });

  it('several profiles, each a card; "Add account" asks for a name and can be cancelled', async () => {
    const main = new ScriptedMain([linked, bob]);
    const { user } = await show(main);
    const cards = screen.getAllByRole('article');
    expect(cards.map((c) => within(c).getByRole('heading', { level: 2 }).textContent)).toEqual(['Alice Example', 'Bob Example']);
    expect(screen.queryByRole('heading', { name: 'Link an account' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Add account' }));
    expect((screen.getByLabelText('Profile name') as HTMLInputElement).value).toBe('account-2');
    expect(document.activeElement).toBe(screen.getByLabelText('Profile name'));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('button', { name: 'Add account' })).toBeTruthy();
  });

  it('follows status events from main, and unsubscribes when closed', async () => {
    const main = new ScriptedMain([linking]);
    const view = await show(main);
    expect(screen.getByText('Linking')).toBeTruthy();
    main.emit([linked]);
    expect(await screen.findByText('Linked')).toBeTruthy();
    expect(screen.queryByText('Linking')).toBeNull();
    view.unmount();
    expect(main.listeners).toBe(0);
  });

  it('the tray asks: "Link account…" opens the form, "Unlink…" the confirmation', async () => {
    const main = new ScriptedMain([linked, bob], FROM_SOURCE);
    await show(main);
    main.command({ command: 'link' });
    expect(await screen.findByLabelText('Profile name')).toBeTruthy();
    main.command({ command: 'unlink', profile: 'work' });
    const confirm = await screen.findByRole('group');
    expect(confirm.textContent).toMatch(/Unlink Bob Example\?/);
  });

  it('code rejected on a new profile → Start again cancels and reopens the form as it was filled', async () => {
    const main = new ScriptedMain([], FROM_SOURCE);
    const { user } = await show(main);
    await user.selectOptions(screen.getByLabelText('Provider'), 'oidc');
    await user.type(screen.getByLabelText('Issuer URL'), 'https://idp.example');
    await user.type(screen.getByLabelText('Client id'), 'cid');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    main.next.finishLink = [{ ok: false, error: { code: 'INVALID_TOKEN', message: 'The provider rejected the authorization code (invalid_grant).' } }];
    await user.type(await screen.findByLabelText('Code or address from the browser'), 'bad');
    await user.click(screen.getByRole('button', { name: 'Finish' }));
    await user.click(await screen.findByRole('button', { name: 'Start again' }));
    expect(main.calls).toContain('cancel:default');
    expect((await screen.findByLabelText('Issuer URL') as HTMLInputElement).value).toBe('https://idp.example');
    expect((screen.getByLabelText('Client id') as HTMLInputElement).value).toBe('cid');
  });

  it('needs relink → Link again uses the saved settings, or asks for the secret first', async () => {
    const main = new ScriptedMain([needsRelink, { ...bob, needsRelink: true }]);
    const { user } = await show(main);
    const [alice, bobCard] = screen.getAllByRole('article');
    await user.click(within(alice!).getByRole('button', { name: 'Link again' }));
    expect(main.calls).toContain('startLink:{"profile":"default"}');
    await user.click(within(bobCard!).getByRole('button', { name: 'Link again' }));
    expect(await screen.findByRole('heading', { name: 'Link work again' })).toBeTruthy();
    expect(screen.getByLabelText('Client secret')).toBeTruthy();
  });

  it('the profiles cannot be read: the error, and Retry reads again', async () => {
    const main = new ScriptedMain([linked]);
    main.next.profiles = [{ ok: false, error: { code: 'STORE_ERROR', message: 'The config file is damaged. Fix or remove it, then link again.' } }];
    const { user } = await show(main);
    expect(screen.getByRole('alert').textContent).toMatch(/config file is damaged/);
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('heading', { name: 'Alice Example' })).toBeTruthy();
    // Retry asks main to probe the keyring afresh; the first read used its last answer.
    expect(main.calls.filter((c) => c.startsWith('appInfo'))).toEqual(['appInfo', 'appInfo:{"retry":true}']);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('after unlinking: a notice, with the revocation warning when there is one', async () => {
    const main = new ScriptedMain([linked]);
    const { user } = await show(main);
    await user.click(screen.getByRole('button', { name: 'Unlink…' }));
    await user.click(screen.getByRole('button', { name: 'Unlink' }));
    const notice = await screen.findByText(/Unlinked Alice Example\. The provider could not be asked to revoke the grant/);
    expect(notice).toBeTruthy();
    expect(await screen.findByRole('heading', { name: 'Link an account' })).toBeTruthy();
  });

  it('commands answer only their own result: after start, finish, cancel and unlink the profiles come from status:changed alone', async () => {
    const main = new ScriptedMain([linked], FROM_SOURCE);
    const { user } = await show(main);
    await user.click(screen.getByRole('button', { name: 'Add account' }));
    await user.clear(screen.getByLabelText('Profile name'));
    await user.type(screen.getByLabelText('Profile name'), 'work');
    await user.click(screen.getByRole('button', { name: 'Link' }));
    await user.type(await screen.findByLabelText('Code or address from the browser'), 'code');
    await user.click(screen.getByRole('button', { name: 'Finish' }));
    await waitFor(() => expect(screen.getAllByText('Linked')).toHaveLength(2));
    await user.click(within(screen.getAllByRole('article')[1]!).getByRole('button', { name: 'Unlink…' }));
    await user.click(screen.getByRole('button', { name: 'Unlink' }));
    await screen.findByText(/Unlinked Alice Example\./);
    await waitFor(() => expect(screen.getAllByRole('article')).toHaveLength(1));
    expect(main.calls.filter((c) => c.startsWith('startLink') || c.startsWith('finish') || c.startsWith('unlink'))).toHaveLength(3);
    expect(main.calls.filter((c) => c === 'profiles' || c === 'appInfo')).toEqual(['appInfo', 'profiles']);
  });

  it('first run, link started then cancelled: the card while linking, the form again after, with no second read', async () => {
    const main = new ScriptedMain([], FROM_SOURCE);
    const { user } = await show(main);
    await user.click(screen.getByRole('button', { name: 'Link' }));
    expect(await screen.findByRole('heading', { name: 'Approve authtray in your browser' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(await screen.findByRole('heading', { name: 'Link an account' })).toBeTruthy();
    expect(main.calls.filter((c) => c === 'profiles' || c === 'appInfo')).toEqual(['appInfo', 'profiles']);
  });

  it('suggests a free profile name', () => {
    expect(suggestProfile([])).toBe('default');
    expect(suggestProfile([linked])).toBe('account-2');
    expect(suggestProfile([linked, { ...linked, profile: 'account-2' }])).toBe('account-3');
  });
});
