// The app watching over its links, with Electron's objects faked and the real accounts, sandbox,
// settings file and log: a grant revoked at the provider while the app runs becomes "needs relink"
// with one notification and the attention icon, found by the keep-alive (no program asked for a
// token); a click on the notification opens the window on the account; none when turned off.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_PAGE_URL } from '../../main/app/scheme.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp, type StartOptions } from '../../main/app/lifecycle.js';
import { AppSettings, memorySettings } from '../../main/settings/app-settings.js';
import type { Result } from '../../preload/api.js';
import { appStartOptions, fakeElectron, type FakeElectron } from '../support/electron-fakes.js';
import { revokeAtProvider, storedRecord, useSandbox, waitFor } from '../support/fixtures.js';
import { approve } from '../support/login.js';

const fx = useSandbox();
const ICONS = { trayIcon: '/opt/authtray/assets/tray/tray.png', trayAttentionIcon: '/opt/authtray/assets/tray/trayAttention.png' };
const running: RunningApp[] = [];
afterEach(() => {
  for (const app of running.splice(0)) app.watch.stop();
});

async function start(fake: FakeElectron, extra: Partial<StartOptions> = {}) {
  const app = await startApp(
    fake.parts,
    // A rule of 1.6 s for the sandbox: the keep-alive renews 1.2 s after each issue.
    appStartOptions(fx.home, fx.sandbox.issuer, { watch: { idleLifetime: () => 1600, retryDelaysMs: [50] }, ...extra }),
  );
  running.push(app!);
  fake.windows[0]?.pageReady(APP_PAGE_URL);
  return app!;
}

const invoke = (fake: FakeElectron, channel: string, payload: unknown) => {
  const contents = fake.windows[0]!.webContents;
  return fake.handlers.get(channel)!({ sender: contents, senderFrame: contents.mainFrame }, payload) as Promise<Result<unknown>>;
};

/** Links `default` from the window while it is hidden: the person approves in the browser. */
async function linkWhileHidden(fake: FakeElectron) {
  const started = (await invoke(fake, 'link:start', { profile: 'default', provider: 'sandbox' })) as Result<{ url: string }>;
  if (!started.ok) throw new Error(started.error.message);
  fake.windows[0]!.userCloses();
  await approve(started.value.url, { follow: true });
  await waitFor(() => fake.trays[0]!.menu[0]!.label === 'Alice Example (sandbox)', 'the tray to show the linked account');
}

describe('the app watches over its links', () => {
  it('a grant revoked at the provider while the app runs: needs relink, one notification, the attention icon; a click opens the window on it', async () => {
    const fake = fakeElectron();
    await start(fake);
    const tray = fake.trays[0]!;
    expect(tray.image).toEqual({ path: ICONS.trayIcon });
    await linkWhileHidden(fake);
    // Finished in the browser with the window hidden: told once, and the window comes forward.
    expect(fake.notifications.map((n) => n.options.title)).toEqual(['Sandbox — alice@example.test is linked']);
    expect(fake.windows[0]!.visible).toBe(true);

    await revokeAtProvider(fx.sandbox.issuer, (await storedRecord(fx.home, 'default')).refreshToken!);
    fx.sandbox.stats.reset();
    await waitFor(() => tray.image !== null && (tray.image as { path: string }).path === ICONS.trayAttentionIcon, 'the attention icon', 8000);
    expect(fx.sandbox.stats.byGrant).toEqual({ refresh_token: 1 }); // the keep-alive's one renewal, refused
    expect(fx.sandbox.stats.tokenErrors).toEqual({ invalid_grant: 1 });
    expect(tray.menu[0]!.label).toBe('⚠ Alice Example (needs relink)');
    expect(tray.tooltip).toBe('authtray: 1 account needs your attention');
    const titles = fake.notifications.map((n) => n.options.title);
    expect(titles).toEqual(['Sandbox — alice@example.test is linked', 'Sandbox — alice@example.test needs to be linked again']);
    expect(fake.notifications[1]!.options.body).toBe('The provider no longer accepts this link. Open authtray and choose Link again.');

    // Waking from sleep checks again: the same state is not told twice.
    fake.powerMonitor.emit('resume');
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.notifications).toHaveLength(2);

    fake.windows[0]!.userCloses();
    fake.notifications[1]!.click();
    expect(fake.windows[0]!.visible).toBe(true);
    expect(fake.windows[0]!.webContents.sent.at(-1)).toEqual(['ui:command', { command: 'show', profile: 'default' }]);
    // The marked menu item does the same.
    (tray.menu[0]!.click as () => void)();
    expect(fake.windows[0]!.webContents.sent.at(-1)).toEqual(['ui:command', { command: 'show', profile: 'default' }]);
  });

  it('notifications off: the same changes, no notification; the state still shows', async () => {
    const fake = fakeElectron();
    const settings = new AppSettings(memorySettings());
    settings.update({ notifications: false });
    await start(fake, { openSettings: () => settings });
    await linkWhileHidden(fake);
    await revokeAtProvider(fx.sandbox.issuer, (await storedRecord(fx.home, 'default')).refreshToken!);
    await waitFor(() => fake.trays[0]!.menu[0]!.label === '⚠ Alice Example (needs relink)', 'needs relink in the menu', 8000);
    expect(fake.notifications).toEqual([]);
  });

  it('keep-alive off: no renewal while the app runs', async () => {
    const fake = fakeElectron();
    const settings = new AppSettings(memorySettings());
    settings.update({ keepAlive: false });
    const app = await start(fake, { openSettings: () => settings });
    await linkWhileHidden(fake);
    fx.sandbox.stats.reset();
    await new Promise((r) => setTimeout(r, 1800));
    expect(fx.sandbox.stats.tokenRequests).toBe(0);
    expect(app.watch.planned().size).toBe(0);
    expect(app.watch.healthOf('default')).toBe('linked');
  });
});

describe('Show log', () => {
  it('opens the log file, which holds the start-up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'authtray-logs-'));
    try {
      const { openAppLog } = await import('../../main/log/app-log.js');
      const fake = fakeElectron();
      await start(fake, { openLog: () => openAppLog(dir) });
      (fake.trays[0]!.item('Show log').click as () => void)();
      expect(fake.openedPaths).toEqual([join(dir, 'main.log')]);
      await waitFor(async () => (await readFile(join(dir, 'main.log'), 'utf8').catch(() => '')).includes('start'), 'the start-up in the log');
      expect(await readFile(join(dir, 'main.log'), 'utf8')).toMatch(/\[info\]\s+start \{ version: '0\.1\.0', platform: 'linux'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the app’s settings at start', () => {
  it('the window opens where it was left and remembers where it is closed; start-hidden off shows it at login', async () => {
    const settings = new AppSettings(memorySettings());
    settings.saveWindow({ width: 600, height: 700, x: 5, y: 6 });
    settings.update({ startHidden: false });
    const fake = fakeElectron();
    await start(fake, { openSettings: () => settings, argv: ['/opt/authtray/authtray', '--hidden'] });
    const win = fake.windows[0]!;
    expect(win.visible).toBe(true); // started at login, but the person wants the window
    expect(win.options).toMatchObject({ width: 600, height: 700, x: 5, y: 6 });
    win.bounds = { x: 50, y: 60, width: 520, height: 640 };
    win.userCloses();
    expect(settings.window).toEqual({ x: 50, y: 60, width: 520, height: 640 });
  });
});
