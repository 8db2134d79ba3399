/**
 * The window over the system keyring, end to end in Debian's Chromium: a private Secret Service
 * (gnome-keyring on a D-Bus session of its own), the real keyring store, the sandbox. Linked into
 * the keyring (no plain-text warning); the keyring locked → "unlock it, then Retry"; unlocked →
 * Retry shows the account again; unlink empties the keyring.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { startSandbox, type Sandbox } from '../sandbox/provider.js';
import { sandboxAppService } from '../support/fixtures.js';
import { startSecretService, type SecretService } from '../support/keyring.js';
import { approve } from '../support/login.js';
import { openWindow, type AppWindow } from '../support/window.js';

const SERVICE = 'authtray-window';
let keyring: SecretService;
let sandbox: Sandbox;
let sandboxData: string;
let home: string;
let win: AppWindow;
let page: Page;

beforeAll(async () => {
  keyring = await startSecretService();
  // The keyring binding talks to the session bus named in this process's environment.
  keyring.useInThisProcess();
  sandboxData = await mkdtemp(join(tmpdir(), 'authtray-e2e-sandbox-'));
  home = await mkdtemp(join(tmpdir(), 'authtray-e2e-home-'));
  sandbox = await startSandbox({ dataDir: sandboxData });
  win = await openWindow(sandboxAppService(new Accounts({ home, store: 'keyring', keyring: { service: SERVICE } }), sandbox.issuer).service);
  page = win.page;
}, 120_000);

afterAll(async () => {
  await win?.close();
  await sandbox?.close();
  await keyring?.close();
  for (const dir of [sandboxData, home]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the window with the system keyring', { timeout: 60_000 }, () => {
  it('links into the keyring: no plain-text warning before or after', async () => {
    await page.getByRole('heading', { name: 'Link an account' }).waitFor();
    expect(await page.getByRole('note', { name: 'Plain-text storage' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    const url = await page.getByLabel('Authorization address').inputValue();
    const { redirectUrl } = await approve(url, { login: 'carol' });
    await page.getByLabel('Code or address from the browser').fill(redirectUrl);
    await page.getByRole('button', { name: 'Finish' }).click();
    const carol = win.card('Carol Example');
    await carol.getByText('Linked', { exact: true }).waitFor();
    await expect(carol.locator('dd', { hasText: 'System keyring' }).textContent()).resolves.toMatch(new RegExp(`^System keyring: .*service "${SERVICE}"$`));
    expect(await page.getByRole('note', { name: 'Plain-text storage' }).count()).toBe(0);
    expect((await keyring.items(SERVICE)).map((i) => i.attributes.username)).toEqual(['default']);
    await win.shot('10-linked-keyring');
    await win.expectAccessible('linked in the keyring');
  });

  it('keyring locked: says so with what to do; unlocked, Retry shows the account again', async () => {
    await keyring.lock();
    try {
      await page.reload();
      const alert = win.card('Carol Example').getByRole('alert');
      await alert.waitFor();
      expect(await alert.getAttribute('data-code')).toBe('KEYRING_ACCESS');
      await expect(alert.textContent()).resolves.toMatch(/Your keyring is locked.*Unlock your system keyring.*then retry/);
      expect(await page.getByRole('alert').count()).toBe(1); // said once, on the account it concerns
      await win.shot('11-keyring-locked');
      await win.expectAccessible('keyring locked');
    } finally {
      await keyring.unlock();
    }
    await win.card('Carol Example').getByRole('button', { name: 'Retry' }).click();
    await win.card('Carol Example').getByText('Linked', { exact: true }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('keyring locked while adding an account: the link is refused with what to do, nothing is written', async () => {
    await keyring.lock();
    try {
      await page.getByRole('button', { name: 'Add account' }).click();
      expect(await page.getByRole('note', { name: 'Plain-text storage' }).count()).toBe(0);
      await page.getByLabel('Profile name').fill('work');
      await page.getByRole('button', { name: 'Link', exact: true }).click();
      const alert = page.getByRole('form').getByRole('alert');
      await alert.waitFor();
      await expect(alert.textContent()).resolves.toMatch(/Your keyring is locked/);
      expect(existsSync(join(home, 'pending', 'work.json'))).toBe(false);
    } finally {
      await keyring.unlock();
    }
    await page.getByRole('form').getByRole('button', { name: 'Retry' }).click();
    await page.getByLabel('Authorization address').waitFor();
    await win.card('New account: work').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Add account' }).waitFor();
    expect((await keyring.items(SERVICE)).map((i) => i.attributes.username)).toEqual(['default']);
  });

  it('unlink deletes the keyring item', async () => {
    const carol = win.card('Carol Example');
    await carol.getByRole('button', { name: 'Unlink…' }).click();
    await carol.getByRole('button', { name: 'Unlink', exact: true }).click();
    await page.getByText(/Unlinked Carol Example/).waitFor();
    expect(await keyring.items(SERVICE)).toEqual([]);
  });
});
