// The app's settings in a real electron-store file (the stand-in electron module under it):
// defaults, changes that survive a restart, the window's place, the link form's last choice, a
// migration from the previous version's file, and requests the schema refuses.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppSettings, settingsStoreOptions, type AppSettingsData } from '../../main/settings/app-settings.js';

vi.mock('electron', async () => await import('../support/electron-stub/electron.js'));
const { default: ElectronStore } = await import('electron-store');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authtray-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Opens the settings as the app does at start: a new store object over the same file. */
const open = (version = '0.1.0') => new AppSettings(new ElectronStore<AppSettingsData>(settingsStoreOptions(dir, version)));

describe('app settings (electron-store)', () => {
  it('starts from the defaults; every change survives a restart', async () => {
    const first = open();
    expect(first.view()).toEqual({ notifications: true, keepAlive: true, startHidden: true, linkForm: {} });
    expect(first.window).toEqual({ width: 480, height: 680 });
    expect(first.path).toBe(join(dir, 'settings.json'));
    const changes: unknown[] = [];
    first.onChange((view) => changes.push(view));
    first.update({ notifications: false, keepAlive: false });
    first.update({ startHidden: false });
    first.saveWindow({ width: 640.4, height: 720, x: 33, y: 44 });
    first.rememberLinkForm({ provider: 'oidc', clientId: ' my-client ', issuer: 'https://id.example.com' });
    expect(changes).toHaveLength(2);

    const again = open();
    expect(again.view()).toEqual({ notifications: false, keepAlive: false, startHidden: false, linkForm: { provider: 'oidc', clientId: 'my-client', issuer: 'https://id.example.com' } });
    expect(again.window).toEqual({ width: 640, height: 720, x: 33, y: 44 });
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ notifications: false, window: { width: 640 } });
  });

  it('takes only what the Settings view may change, checked', () => {
    const settings = open();
    expect(() => settings.update({ notifications: 'yes' } as never)).toThrow();
    expect(() => settings.update({ clientSecret: 's3cret' } as never)).toThrow();
    settings.rememberLinkForm({ provider: 'nope', clientId: 'x' });
    expect(settings.view()).toEqual({ notifications: true, keepAlive: true, startHidden: true, linkForm: {} });
  });

  it('migrates the file 0.1.x wrote: its windowSize becomes window', async () => {
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ notifications: false, windowSize: { width: 700.2, height: 800 }, __internal__: { migrations: { version: '0.1.0' } } }));
    const settings = open('0.2.0');
    expect(settings.window).toEqual({ width: 700, height: 800 });
    expect(settings.notifications).toBe(false);
    const file = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'));
    expect(file.windowSize).toBeUndefined();
    expect(file.__internal__.migrations.version).toBe('0.2.0');
  });

  it('keeps consent decisions across a restart, out of the Settings view, and refuses malformed ones', async () => {
    const first = open();
    expect(first.consentDecisions.load()).toEqual([]);
    const decision = { program: '/usr/bin/rclone', verified: true, profile: 'work', decidedAt: '2026-12-02T18:00:00.000Z' };
    first.consentDecisions.save([decision]);
    expect(open().consentDecisions.load()).toEqual([decision]);
    expect(open().view()).not.toHaveProperty('consent');
    expect(() => first.consentDecisions.save([{ ...decision, profile: '../etc' }])).toThrow();
    expect(() => first.consentDecisions.save([{ ...decision, token: 'x' } as never])).toThrow();
    expect(open().consentDecisions.load()).toEqual([decision]);
  });
});
