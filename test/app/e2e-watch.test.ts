/**
 * The window end to end in Debian's Chromium for what the app's watch adds: the Settings view by
 * keyboard (saved in a real electron-store file), a provider out of reach, a link that needs
 * relinking, and a notification's click landing on the account. Screenshots in test-output/app/,
 * axe-core on each state.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { LinkWatch } from '../../main/health/watch.js';
import { AppSettings, settingsStoreOptions, type AppSettingsData } from '../../main/settings/app-settings.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { startSandbox, type Sandbox } from '../sandbox/provider.js';
import { revokeAtProvider, sandboxAppService, storedRecord, waitFor } from '../support/fixtures.js';
import { approve } from '../support/login.js';
import { openWindow, type AppWindow } from '../support/window.js';

vi.mock('electron', async () => await import('../support/electron-stub/electron.js'));
const { default: ElectronStore } = await import('electron-store');

let sandbox: Sandbox;
let sandboxData: string;
let home: string;
let win: AppWindow;
let page: Page;
let watch: LinkWatch;
let opened: string[] = [];

beforeAll(async () => {
  sandboxData = await mkdtemp(join(tmpdir(), 'authtray-e2e-sandbox-'));
  home = await mkdtemp(join(tmpdir(), 'authtray-e2e-home-'));
  sandbox = await startSandbox({ dataDir: sandboxData });
  const accounts = new Accounts({ home, store: 'plaintext' });
  watch = new LinkWatch({ accounts, retryDelaysMs: [50] });
  const settings = new AppSettings(new ElectronStore<AppSettingsData>(settingsStoreOptions(join(home, 'electron'), '0.1.0')));
  const desktop = sandboxAppService(accounts, sandbox.issuer, { watch, settings });
  opened = desktop.opened;
  await watch.start();
  win = await openWindow(desktop.service);
  page = win.page;
}, 120_000);

afterAll(async () => {
  watch?.stop();
  await win?.close();
  await sandbox?.close();
  for (const dir of [sandboxData, home]) if (dir) await rm(dir, { recursive: true, force: true });
});

const expire = async () => {
  const store = new PlaintextCredentialStore(join(home, 'credentials'));
  const record = (await store.load('default'))!;
  await store.save('default', { ...record, expiresAt: Date.now() - 1000 });
};

describe('the watch, seen in the window', { timeout: 60_000 }, () => {
  it('Settings by keyboard: open, switch notifications off, saved to the settings file, close', async () => {
    await page.getByRole('heading', { name: 'Link an account' }).waitFor();
    // The last stop of the page's tab order, after the accounts and the form.
    await page.keyboard.press('Shift+Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Settings');
    await page.keyboard.press('Enter');
    const heading = page.getByRole('heading', { name: 'Settings' });
    await heading.waitFor();
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Settings');
    await page.keyboard.press('Tab');
    const notifications = page.getByRole('checkbox', { name: 'Notifications' });
    await expect(page.evaluate("document.activeElement === document.querySelector('input[type=checkbox]')")).resolves.toBe(true);
    await page.keyboard.press('Space');
    await waitFor(async () => !(await notifications.isChecked()), 'the checkbox to follow');
    const file = JSON.parse(await readFile(join(home, 'electron', 'settings.json'), 'utf8'));
    expect(file).toMatchObject({ notifications: false, keepAlive: true, startHidden: true });
    await win.shot('20-settings');
    await win.expectAccessible('settings');
    await page.keyboard.press('Space'); // on again
    await waitFor(async () => notifications.isChecked(), 'the checkbox to follow');
    await page.getByRole('button', { name: 'Done' }).focus();
    await page.keyboard.press('Enter');
    await heading.waitFor({ state: 'detached' });
    // The tray's "Settings…" opens it too.
    win.bridge.send('ui:command', { command: 'settings' });
    await heading.waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
  });

  it('a provider out of reach after retries: said on the card, not an alarm; linked again when it answers', async () => {
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    await page.getByRole('button', { name: 'Open in browser' }).click();
    await waitFor(() => opened.length === 1, 'the system browser to be asked');
    await approve(opened[0]!, { login: 'alice', follow: true });
    const alice = win.card('Alice Example');
    await alice.getByText('Linked', { exact: true }).waitFor();

    await expire();
    const port = sandbox.port;
    await sandbox.close();
    await watch.replan();
    await alice.getByText('Provider unreachable', { exact: true }).waitFor();
    await expect(alice.getByRole('note').first().textContent()).resolves.toContain('Sandbox (local test provider) could not be reached');
    await win.shot('21-provider-unreachable');
    await win.expectAccessible('provider unreachable');
    sandbox = await startSandbox({ port, dataDir: sandboxData });
    await watch.replan();
    await alice.getByText('Linked', { exact: true }).waitFor();
  });

  it('a grant refused: needs relink, and a notification click lands on the account', async () => {
    await revokeAtProvider(sandbox.issuer, (await storedRecord(home, 'default')).refreshToken!);
    await expire();
    await watch.replan();
    const alice = win.card('Alice Example');
    await alice.getByText('Needs relink', { exact: true }).waitFor();
    win.bridge.send('ui:command', { command: 'show', profile: 'default' });
    await waitFor(async () => (await page.evaluate('document.activeElement.textContent')) === 'Alice Example', 'the focus on the account');
    await win.shot('22-needs-relink-from-notification');
    await win.expectAccessible('needs relink');
  });
});
