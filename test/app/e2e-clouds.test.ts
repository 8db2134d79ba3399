/**
 * Google Drive and OneDrive in the window, end to end in Debian's Chromium, from the keyboard: the
 * built renderer, the real preload over the loopback bridge, the real app and accounts services,
 * and the sandbox's emulations of Google and Microsoft (written from their public documentation).
 * Link each, see the drive, refresh (Google keeps its refresh token, Microsoft rotates it), unlink:
 * Google revokes, OneDrive says where to remove access. axe-core checks each state; no token
 * reaches the page or the wire.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { MICROSOFT_REMOVE_ACCESS } from '../../main/auth/providers/facts.js';
import { GOOGLE_CLIENT, ONEDRIVE_CLIENT } from '../sandbox/clouds.js';
import { startSandbox, type Sandbox } from '../sandbox/provider.js';
import { sandboxAppService, storedRecord, waitFor } from '../support/fixtures.js';
import { approve } from '../support/login.js';
import { openWindow, type AppWindow } from '../support/window.js';

let sandbox: Sandbox;
let sandboxData: string;
let home: string;
let win: AppWindow;
let page: Page;
let opened: string[] = [];
const secrets = new Map<string, string>();

const focusedLabel = () => page.evaluate<string>('document.activeElement.labels?.[0]?.textContent ?? document.activeElement.textContent');

/** Tabs to the field labelled `label` (at most 12 presses). */
async function tabTo(label: string) {
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    if ((await focusedLabel()) === label) return;
  }
  throw new Error(`Tab never reached "${label}"`);
}

/** Refreshes `profile` as another authtray process would, after its token ran out; returns the records before and after. */
async function refreshElsewhere(profile: string) {
  const before = await storedRecord(home, profile);
  const later = new Accounts({ home, store: 'plaintext', deps: { now: () => before.expiresAt! + 60_000 } });
  await later.accessToken(profile);
  await later.close();
  return { before, after: await storedRecord(home, profile) };
}

async function keepSecretsOf(profile: string) {
  const record = await storedRecord(home, profile);
  secrets.set(`${profile} access token`, record.accessToken);
  if (record.refreshToken) secrets.set(`${profile} refresh token`, record.refreshToken);
}

beforeAll(async () => {
  sandboxData = await mkdtemp(join(tmpdir(), 'authtray-e2e-clouds-sandbox-'));
  home = await mkdtemp(join(tmpdir(), 'authtray-e2e-clouds-home-'));
  sandbox = await startSandbox({ dataDir: sandboxData });
  const desktop = sandboxAppService(new Accounts({ home, store: 'plaintext' }), sandbox.issuer);
  opened = desktop.opened;
  win = await openWindow(desktop.service);
  page = win.page;
}, 120_000);

afterAll(async () => {
  await win?.close();
  await sandbox?.close();
  for (const dir of [sandboxData, home]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Google Drive and OneDrive in the window', { timeout: 60_000 }, () => {
  it('links Google Drive from the keyboard: provider, client id, the required secret, Enter', async () => {
    await page.getByRole('heading', { name: 'Link an account' }).waitFor();
    await tabTo('Provider');
    await page.keyboard.type('Goo'); // type-ahead in the select
    expect(await page.getByLabel('Provider').inputValue()).toBe('google');
    await tabTo('Client id');
    await expect(page.getByText('The client ID of your Desktop app client in the Google Cloud console.').isVisible()).resolves.toBe(true);
    await page.keyboard.type(GOOGLE_CLIENT.clientId);
    await tabTo('Client secret');
    await page.keyboard.type(GOOGLE_CLIENT.clientSecret);
    await win.expectAccessible('google form');
    await page.keyboard.press('Enter');
    const address = page.getByLabel('Authorization address');
    await address.waitFor();
    const url = new URL(await address.inputValue());
    expect([url.searchParams.get('access_type'), url.searchParams.get('prompt')]).toEqual(['offline', 'consent']);

    await approve(url.href, { login: 'gina', follow: true });
    const gina = win.card('Gina Example');
    await gina.getByText('Linked', { exact: true }).waitFor();
    await expect(gina.locator('dd', { hasText: 'Google Drive' }).isVisible()).resolves.toBe(true);
    await expect(gina.locator('dd', { hasText: /^drive \d+ of Gina Example$/ }).isVisible()).resolves.toBe(true);
    expect(await page.content()).not.toContain(GOOGLE_CLIENT.clientSecret);
    await keepSecretsOf('default');
    await win.shot('clouds-01-google-linked');
    await win.expectAccessible('google linked');
  });

  it('links OneDrive with a tenant, as another account', async () => {
    await page.getByRole('button', { name: 'Add account' }).focus();
    await page.keyboard.press('Enter');
    await page.getByLabel('Profile name').fill('work');
    await tabTo('Provider');
    await page.keyboard.type('OneD');
    expect(await page.getByLabel('Provider').inputValue()).toBe('onedrive');
    await expect(page.getByLabel(/Client secret/).count()).resolves.toBe(0);
    await tabTo('Tenant');
    await page.keyboard.type('organizations');
    await tabTo('Application (client) id');
    await page.keyboard.type(ONEDRIVE_CLIENT.clientId);
    await win.expectAccessible('onedrive form');
    await page.keyboard.press('Enter');
    const address = page.getByLabel('Authorization address');
    await address.waitFor();
    await page.getByRole('button', { name: 'Open in browser' }).click();
    await waitFor(() => opened.length === 1, 'the system browser to be asked');
    await approve(opened[0]!, { login: 'olga', follow: true });
    const olga = win.card('Olga Example');
    await olga.getByText('Linked', { exact: true }).waitFor();
    await expect(olga.locator('dd', { hasText: /^business b![0-9a-f]{32} of Olga Example$/ }).isVisible()).resolves.toBe(true);
    await keepSecretsOf('work');
    await win.shot('clouds-02-onedrive-linked');
    await win.expectAccessible('onedrive linked');
  });

  it('refreshes: Google keeps its refresh token, Microsoft gives a new one, and the window still shows both linked', async () => {
    const google = await refreshElsewhere('default');
    expect(google.after.refreshToken).toBe(google.before.refreshToken);
    const onedrive = await refreshElsewhere('work');
    expect(onedrive.after.refreshToken).not.toBe(onedrive.before.refreshToken);
    await keepSecretsOf('default');
    await keepSecretsOf('work');
    await page.reload();
    for (const name of ['Gina Example', 'Olga Example']) await win.card(name).getByText('Linked', { exact: true }).waitFor();
  });

  it('unlinks OneDrive: the question and the notice say Microsoft offers no revocation and where to remove access', async () => {
    const olga = win.card('Olga Example');
    await olga.getByRole('button', { name: 'Unlink…' }).focus();
    await page.keyboard.press('Enter');
    await expect(olga.getByRole('group').textContent()).resolves.toBe(
      'Unlink Olga Example? authtray deletes the credentials from this computer. OneDrive offers apps no way to revoke their access: authtray says where to remove it.UnlinkKeep linked',
    );
    await win.expectAccessible('onedrive unlink confirmation');
    await page.keyboard.press('Enter'); // the focus is on Unlink
    await page.getByText(`Unlinked Olga Example. ${MICROSOFT_REMOVE_ACCESS}`).waitFor();
    await win.shot('clouds-03-onedrive-unlinked');
    await win.expectAccessible('onedrive unlinked');
  });

  it('unlinks Google Drive: revoked at (the emulated) Google', async () => {
    const gina = win.card('Gina Example');
    await gina.getByRole('button', { name: 'Unlink…' }).focus();
    await page.keyboard.press('Enter');
    await expect(gina.getByRole('group').textContent()).resolves.toMatch(/^Unlink Gina Example\? authtray revokes its access at Google Drive/);
    await page.keyboard.press('Enter');
    await page.getByText('Unlinked Gina Example: its access was revoked and the credentials deleted.').waitFor();
    const revoke = await fetch(`${sandbox.issuer}/google/revoke`, { method: 'POST', body: new URLSearchParams({ token: secrets.get('default refresh token')! }) });
    expect(revoke.status).toBe(400); // already gone
  });

  it('no token reached the page or crossed the bridge', async () => {
    expect(secrets.size).toBeGreaterThanOrEqual(4);
    const html = await page.content();
    const wire = win.bridge.wire.join('\n');
    for (const [name, value] of secrets) {
      expect(html.includes(value), `${name} in the page`).toBe(false);
      expect(wire.includes(value), `${name} on the wire`).toBe(false);
    }
  });
});
