// The Electron shell end to end with small fakes of Electron's objects, the real accounts service
// and the sandbox: single instance, window, tray, IPC wiring, start at login.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Accounts } from '../../main/accounts.js';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../main/app/ipc.js';
import { startApp, type StartOptions } from '../../main/app/lifecycle.js';
import { APP_PAGE_URL, WINDOW_CSP } from '../../main/app/scheme.js';
import type { ConsentView, ProfileView, Result } from '../../preload/api.js';
import { approve } from '../support/login.js';
import { appStartOptions, fakeElectron, FakeWebContents, type FakeElectron, type MenuItemConstructorOptions } from '../support/electron-fakes.js';
import { useSandbox, waitFor } from '../support/fixtures.js';

const fx = useSandbox();

const options = (extra: Partial<StartOptions> = {}) => appStartOptions(fx.home, fx.sandbox.issuer, extra);

async function start(fake: FakeElectron, extra: Partial<StartOptions> = {}) {
  const running = await startApp(fake.parts, options(extra));
  const win = fake.windows[0];
  win?.pageReady(APP_PAGE_URL);
  return running;
}

/** Calls an IPC channel the way Electron would, from `contents`' main frame (or the frame given). */
function invoke(fake: FakeElectron, channel: string, payload: unknown, contents = fake.windows[0]!.webContents, frame: { url: string } = contents.mainFrame) {
  return fake.handlers.get(channel)!({ sender: contents, senderFrame: frame }, payload) as Promise<Result<unknown>>;
}

const click = (item: MenuItemConstructorOptions, checked = false) => (item.click as (i: { checked: boolean }) => void)({ checked });

describe('start-up', () => {
  it('a second instance quits at once; the first shows its window when told', async () => {
    const second = fakeElectron({ lock: false });
    expect(await startApp(second.parts, options())).toBeNull();
    expect(second.app.quitCalls).toBe(1);
    expect(second.windows).toHaveLength(0);
    expect(second.trays).toHaveLength(0);

    const first = fakeElectron();
    await start(first);
    const win = first.windows[0]!;
    expect(win.userCloses()).toBe(true); // closing hides
    expect(win.visible).toBe(false);
    first.app.emit('second-instance');
    expect(win.visible).toBe(true);
    expect(first.windows).toHaveLength(1);
  });

  it('creates the hardened window on our page, the tray with a context menu, denies permissions, registers IPC', async () => {
    const fake = fakeElectron();
    await start(fake);
    const win = fake.windows[0]!;
    // Chromium's files beside authtray's (not over config.json), set before the instance lock.
    expect(fake.app.paths).toEqual({ name: 'authtray', userData: join(fx.home, 'electron'), beforeLock: true });
    expect(win.options.webPreferences).toMatchObject({ preload: '/opt/authtray/dist/app/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    // The page from the app's own scheme, made privileged before ready and served from the renderer's folder.
    expect(win.loaded).toBe(APP_PAGE_URL);
    expect(fake.protocol.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true }, beforeReady: true }]);
    const served = await fake.protocol.handlers.get('app')!(new Request('app://authtray/index.html'));
    expect(served.status).toBe(404); // /opt/authtray/dist/renderer does not exist here
    expect(served.headers.get('content-security-policy')).toBe(WINDOW_CSP);
    expect(win.visible).toBe(true);
    expect(fake.trays[0]!.image).toEqual({ path: '/opt/authtray/assets/tray/tray.png' });
    expect(fake.trays[0]!.menu.map((i) => i.label ?? '---')).toEqual(['No account linked', '---', 'Link account…', 'Unlink…', 'Open authtray', 'Settings…', '---', 'Start at login', '---', 'Show log', 'Quit']);
    expect(fake.trays[0]!.tooltip).toBe('authtray: no account linked');
    const answers: boolean[] = [];
    fake.session.requestHandler!({}, 'media', (granted) => answers.push(granted), {});
    expect(answers).toEqual([false]);
    expect([...fake.handlers.keys()].sort()).toEqual([...CHANNELS].sort());
    // Our window and any other web contents stay put and open nothing.
    expect(win.webContents.cancellable('will-navigate', 'https://evil.example/')).toBe(true);
    expect(win.webContents.cancellable('will-frame-navigate', { url: 'https://evil.example/', isMainFrame: false })).toBe(true);
    expect(win.webContents.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    const other = new FakeWebContents();
    fake.app.emit('web-contents-created', {}, other);
    expect(other.cancellable('will-navigate', 'https://evil.example/')).toBe(true);
    expect(other.cancellable('will-frame-navigate', { url: 'https://evil.example/', isMainFrame: false })).toBe(true);
    expect(other.windowOpenHandler!({ url: 'x' })).toEqual({ action: 'deny' });
  });

  it('started at login (--hidden): tray only, no window until asked', async () => {
    const fake = fakeElectron();
    await start(fake, { argv: ['/opt/authtray/authtray', '--hidden'] });
    expect(fake.windows).toHaveLength(0);
    expect(fake.trays).toHaveLength(1);
    click(fake.trays[0]!.item('Open authtray'));
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0]!.visible).toBe(false); // shown once its page is ready, not blank
    fake.windows[0]!.pageReady(APP_PAGE_URL);
    expect(fake.windows[0]!.visible).toBe(true);
  });

  it('macOS: no dock icon, template tray icon path passed through, hidden when the OS started it at login', async () => {
    const fake = fakeElectron();
    fake.app.loginItems.wasOpenedAtLogin = true;
    await start(fake, { platform: 'darwin', paths: { ...options().paths, trayIcon: '/x/trayTemplate.png' } });
    expect(fake.app.dockHidden).toBe(true);
    expect(fake.windows).toHaveLength(0);
    expect(fake.trays[0]!.image).toEqual({ path: '/x/trayTemplate.png' });
  });

  it('Quit really quits: the window closes instead of hiding', async () => {
    const fake = fakeElectron();
    await start(fake);
    click(fake.trays[0]!.item('Quit'));
    expect(fake.app.quitCalls).toBe(1);
    expect(fake.windows[0]!.userCloses()).toBe(false);
  });
});

describe('IPC, events and the tray menu', () => {
  it('our window links through IPC; the window gets status events and the tray menu follows', async () => {
    const fake = fakeElectron();
    await start(fake);
    const win = fake.windows[0]!;
    const started = (await invoke(fake, 'link:start', { profile: 'default', provider: 'sandbox' })) as Result<{ url: string }>;
    expect(started.ok).toBe(true);
    const url = started.ok ? started.value.url : '';
    await waitFor(() => fake.trays[0]!.menu[0]!.label === 'default (linking…)', 'the tray to show the link in progress');

    expect((await invoke(fake, 'link:open', { profile: 'default' })).ok).toBe(true);
    expect(fake.opened).toEqual([url]);
    expect((await invoke(fake, 'link:copy', { profile: 'default' })).ok).toBe(true);
    expect(fake.clipboard).toEqual([url]);

    expect(win.userCloses()).toBe(true); // the person closed the window while approving in the browser
    await approve(url, { follow: true });
    await waitFor(() => fake.trays[0]!.menu[0]!.label === 'Alice Example (sandbox)', 'the tray to show the linked account');
    expect(win.visible).toBe(true); // brought back to show the account
    const events = win.webContents.sent.filter(([channel]) => channel === 'status:changed').map(([, p]) => p as ProfileView[]);
    expect(events.at(-1)![0]).toMatchObject({ profile: 'default', linked: true, account: { name: 'Alice Example' } });
    expect(fake.trays[0]!.tooltip).toBe('authtray: 1 account linked');
    expect(fake.trays[0]!.item('Unlink…').enabled).toBe(true);
  });

  it('refuses a sub-frame and a page that is not ours', async () => {
    const fake = fakeElectron();
    await start(fake);
    const contents = fake.windows[0]!.webContents;
    expect(await invoke(fake, 'profiles:list', null, contents, { url: contents.mainFrame.url })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    contents.mainFrame.url = 'https://evil.example/';
    expect(await invoke(fake, 'profiles:list', null)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await invoke(fake, 'profiles:list', null, new FakeWebContents())).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('"Link account…" shows the window and tells it to open the form, once its page is loaded', async () => {
    const fake = fakeElectron();
    await startApp(fake.parts, options({ argv: ['x', '--hidden'] }));
    click(fake.trays[0]!.item('Link account…'));
    const contents = fake.windows[0]!.webContents;
    expect(contents.sent).toEqual([]); // still loading: held back
    fake.windows[0]!.pageReady(APP_PAGE_URL);
    expect(contents.sent).toEqual([['ui:command', { command: 'link' }]]);
    expect(fake.windows[0]!.visible).toBe(true);
  });

  it('"Start at login" writes the XDG entry and the checkbox then reads it back', async () => {
    const fake = fakeElectron({ isPackaged: true });
    const running = await start(fake, { env: { AUTHTRAY_HOME: fx.home, XDG_CONFIG_HOME: join(fx.home, 'xdg'), APPIMAGE: '/home/a/authtray.AppImage' } });
    expect(fake.trays[0]!.item('Start at login').checked).toBe(false);
    click(fake.trays[0]!.item('Start at login'), true);
    await waitFor(() => fake.trays[0]!.item('Start at login').checked === true, 'the checkbox to follow the OS');
    const entry = await readFile(join(fx.home, 'xdg', 'autostart', 'authtray.desktop'), 'utf8');
    expect(entry).toContain('Exec="/home/a/authtray.AppImage" "--hidden"');
    click(fake.trays[0]!.item('Start at login'), false);
    await waitFor(() => fake.trays[0]!.item('Start at login').checked === false, 'the checkbox to follow the OS');
    expect(await running!.autostart.isEnabled()).toBe(false);
  });

  it('packaged: the sandbox is not offered and its http page is not opened', async () => {
    const fake = fakeElectron({ isPackaged: true });
    await start(fake);
    expect(await invoke(fake, 'app:info', null)).toMatchObject({ ok: true, value: { sandbox: null } });
    expect(await invoke(fake, 'link:start', { profile: 'default', provider: 'sandbox' })).toMatchObject({ ok: false, error: { code: 'USAGE' } });
  });
});

describe('the agent in the app', () => {
  it('serves tokens from the app’s sessions while it runs, asking the person first (window, notification, IPC); stops with it; a headless agent already serving is left to serve', async () => {
    const { askAgent } = await import('../../main/agent/client.js');
    const { linkByPaste } = await import('../support/login.js');
    const { sandboxSettings, storedRecord } = await import('../support/fixtures.js');
    const { realpath } = await import('node:fs/promises');
    const env = { AUTHTRAY_HOME: fx.home, XDG_CONFIG_HOME: join(fx.home, 'xdg'), XDG_RUNTIME_DIR: join(fx.home, 'run') };
    const accounts = new Accounts({ home: fx.home, store: 'plaintext' });
    await linkByPaste(accounts, 'work', sandboxSettings(fx.sandbox.issuer));
    const fake = fakeElectron();
    const running = (await start(fake, { env, accounts, agent: true }))!;
    expect(running.agent).not.toBeNull();
    const win = fake.windows[0]!;
    win.userCloses();
    const reply = askAgent({ op: 'token', profile: 'work', home: fx.home }, { env, home: fx.home });
    // The question: the window comes forward, a notification opens it, the window gets the question.
    await waitFor(() => fake.notifications.length === 1, 'the consent notification');
    expect(win.visible).toBe(true);
    const exe = await realpath(process.execPath);
    expect(fake.notifications[0]!.options).toEqual({ title: 'A program asks for your account', body: `${exe} asks for a token of Sandbox — alice@example.test. Open authtray to allow or deny it.` });
    const sent = win.webContents.sent.filter(([channel]) => channel === 'consent:changed').at(-1)![1] as ConsentView;
    expect(sent.questions).toMatchObject([{ program: exe, verified: true, profile: 'work', account: 'Sandbox — alice@example.test' }]);
    expect(await invoke(fake, 'consent:answer', { id: sent.questions[0]!.id, answer: 'once' })).toEqual({ ok: true, value: { questions: [], decisions: [] } });
    expect(await reply).toMatchObject({ served: true, answer: { ok: true, token: (await storedRecord(fx.home, 'work')).accessToken } });

    const other = fakeElectron();
    expect((await start(other, { env, accounts: new Accounts({ home: fx.home, store: 'plaintext' }), agent: true }))!.agent).toBeNull();

    fake.app.emit('before-quit');
    await running.agent!.close();
    expect(await askAgent({ op: 'status' }, { env, home: fx.home })).toMatchObject({ served: false });
  });
});
