/**
 * The window end to end in Debian's Chromium: the built renderer, the real preload code over the
 * loopback test bridge, the real app and accounts services, and the sandbox provider. Link by
 * pasting a code, by loopback redirect, a reopened window, several profiles, code rejected,
 * provider down then Retry, needs relink, unlink. A screenshot of each state goes to
 * test-output/app/; axe-core checks each state; nothing secret reaches the page or the wire.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { startSandbox, type Sandbox } from '../sandbox/provider.js';
import { revokeAtProvider, sandboxAppService, storedRecord, waitFor } from '../support/fixtures.js';
import { approve } from '../support/login.js';
import { openWindow, type AppWindow } from '../support/window.js';

let sandbox: Sandbox;
let sandboxData: string;
let home: string;
let win: AppWindow;
let page: Page;
let opened: string[] = [];
let copied: string[] = [];
const secrets = new Map<string, string>();

const shot = (name: string) => win.shot(name);
const expectAccessible = (state: string) => win.expectAccessible(state);
const card = (heading: string | RegExp) => win.card(heading);

async function addAccount(profile: string) {
  await page.getByRole('button', { name: 'Add account' }).click();
  await page.getByLabel('Profile name').fill(profile);
  await page.getByRole('button', { name: 'Link', exact: true }).click();
}

async function keepSecretsOf(profile: string) {
  const record = await storedRecord(home, profile);
  secrets.set(`${profile} access token`, record.accessToken);
  if (record.refreshToken) secrets.set(`${profile} refresh token`, record.refreshToken);
}

beforeAll(async () => {
  sandboxData = await mkdtemp(join(tmpdir(), 'authtray-e2e-sandbox-'));
  home = await mkdtemp(join(tmpdir(), 'authtray-e2e-home-'));
  sandbox = await startSandbox({ dataDir: sandboxData });
  const desktop = sandboxAppService(new Accounts({ home, store: 'plaintext' }), sandbox.issuer);
  opened = desktop.opened;
  copied = desktop.copied;
  win = await openWindow(desktop.service);
  page = win.page;
}, 120_000);

afterAll(async () => {
  await win?.close();
  await sandbox?.close();
  for (const dir of [sandboxData, home]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the window in Chromium', { timeout: 60_000 }, () => {
  it('first run: the link form with the plain-text warning; the page has no Node and obeys its CSP', async () => {
    await page.getByRole('heading', { name: 'Link an account' }).waitFor();
    await expect(page.getByRole('note', { name: 'Plain-text storage' }).textContent()).resolves.toContain(join(home, 'credentials'));
    expect(await page.getByLabel('Provider').inputValue()).toBe('sandbox');
    // SECURITY #1: nothing of Node in the page.
    expect(await page.evaluate('[typeof require, typeof process, typeof module]')).toEqual(['undefined', 'undefined', 'undefined']);
    // SECURITY #6: an injected inline script is refused by the CSP.
    const violated = await page.evaluate<string>(`new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      setTimeout(() => resolve('none'), 2000);
    })`);
    expect(violated).toBe('script-src-elem');
    expect(await page.evaluate('window.inlineRan')).toBeUndefined();
    // The policy comes as a header from the app:// handler, with what a meta tag cannot say: a <base> is refused too.
    const baseViolated = await page.evaluate<string>(`new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
      const base = document.createElement('base');
      base.href = 'https://evil.example/';
      document.head.append(base);
      setTimeout(() => { base.remove(); resolve('none'); }, 2000);
    })`);
    expect(baseViolated).toBe('base-uri');
    await page.evaluate(`document.querySelectorAll('base').forEach((b) => b.remove())`);
    await shot('01-not-linked');
    await expectAccessible('not linked');
  });

  it('links by pasting a code, starting from the keyboard', async () => {
    // Tab order: provider, client id, Link; Enter on Link starts.
    const focused = async () => page.evaluate<string>("document.activeElement.labels?.[0]?.textContent ?? document.activeElement.textContent");
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Provider');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Client id');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Link');
    await page.keyboard.press('Enter');
    const address = page.getByLabel('Authorization address');
    await address.waitFor();
    await expect(page.getByText('Waiting for your browser to come back…').isVisible()).resolves.toBe(true);
    const url = await address.inputValue();
    await shot('02-linking');
    await expectAccessible('linking');

    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Address copied.').waitFor();
    await page.getByRole('button', { name: 'Open in browser' }).click();
    await waitFor(() => opened.length === 1, 'the system browser to be asked');
    expect(opened).toEqual([url]);
    expect(copied).toEqual([url]);

    // The user approves in the browser but the redirect never reaches authtray: they paste the code.
    const { redirectUrl } = await approve(url, { login: 'alice' });
    await page.getByLabel('Code or address from the browser').fill(new URL(redirectUrl).searchParams.get('code')!);
    await page.getByRole('button', { name: 'Finish' }).click();
    const alice = card('Alice Example');
    await alice.getByText('Linked', { exact: true }).waitFor();
    await expect(alice.getByText('alice@example.test').isVisible()).resolves.toBe(true);
    await expect(alice.locator('dd', { hasText: 'Sandbox (local test provider)' }).isVisible()).resolves.toBe(true);
    await expect(alice.getByText(/^Renews itself \(refresh token\)/).isVisible()).resolves.toBe(true);
    await expect(alice.getByRole('note', { name: 'Plain-text storage' }).isVisible()).resolves.toBe(true);
    await keepSecretsOf('default');
    await shot('03-linked');
    await expectAccessible('linked');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('03-linked-dark');
    await expectAccessible('linked, dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('a link in progress survives the window being reopened', async () => {
    await addAccount('work');
    const before = await page.getByLabel('Authorization address').inputValue();
    await page.reload();
    const address = page.getByLabel('Authorization address');
    await address.waitFor();
    expect(await address.inputValue()).toBe(before);
    await expect(page.getByText('Waiting for your browser to come back…').isVisible()).resolves.toBe(true);
  });

  it('links by loopback redirect: the browser comes back and the window updates by itself', async () => {
    await page.getByRole('button', { name: 'Open in browser' }).click();
    await waitFor(() => opened.length === 2, 'the system browser to be asked');
    const approval = await approve(opened[1]!, { login: 'bob', follow: true });
    expect(approval.response!.status).toBe(200);
    const bob = card('Bob Example');
    await bob.getByText('Linked', { exact: true }).waitFor();
    await waitFor(async () => (await page.getByRole('article').count()) === 2, 'both accounts');
    await keepSecretsOf('work');
    await shot('04-several-accounts');
    await expectAccessible('several accounts');
  });

  it('code rejected: says so, and Start again brings the form back', async () => {
    await addAccount('spare');
    await page.getByLabel('Code or address from the browser').fill('not-a-real-code-123');
    await page.getByRole('button', { name: 'Finish' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The code was not accepted' });
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/rejected the authorization code \(invalid_grant\)/);
    await shot('05-code-rejected');
    await expectAccessible('code rejected');
    await page.getByRole('button', { name: 'Start again' }).click();
    const form = page.getByRole('form', { name: 'Link spare' });
    await form.waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();
    await waitFor(async () => (await page.getByRole('article').count()) === 2, 'the cancelled link to go');
  });

  it('provider down: says so with Retry; once it is back, Retry starts the link', async () => {
    const port = sandbox.port;
    await sandbox.close();
    try {
      await addAccount('later');
      const alert = page.getByRole('alert').filter({ hasText: 'The provider could not be reached' });
      await alert.waitFor();
      await shot('06-provider-unreachable');
      await expectAccessible('provider unreachable');
    } finally {
      sandbox = await startSandbox({ port, dataDir: sandboxData });
    }
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByLabel('Authorization address').waitFor();
    await waitFor(async () => (await page.getByRole('article').count()) === 3, 'the link in progress');
    await card('New account: later').getByRole('button', { name: 'Cancel' }).click();
    await waitFor(async () => (await page.getByRole('article').count()) === 2, 'the cancelled link to go');
  });

  it('needs relink: shown after the grant was revoked elsewhere; Link again relinks', async () => {
    const record = await storedRecord(home, 'work');
    await revokeAtProvider(sandbox.issuer, record.refreshToken!);
    // Another authtray process (a script's `authtray token`) finds the grant gone after expiry.
    const later = new Accounts({ home, store: 'plaintext', deps: { now: () => record.expiresAt! + 60_000 } });
    await expect(later.accessToken('work')).rejects.toMatchObject({ code: 'NEEDS_RELINK' });
    await page.reload();
    const bob = card('Bob Example');
    await bob.getByText('Needs relink').waitFor();
    await shot('07-needs-relink');
    await expectAccessible('needs relink');
    await bob.getByRole('button', { name: 'Link again' }).click();
    await bob.getByLabel('Authorization address').waitFor();
    await bob.getByRole('button', { name: 'Open in browser' }).click();
    await waitFor(() => opened.length === 3, 'the system browser to be asked');
    await approve(opened[2]!, { login: 'bob', follow: true });
    await bob.getByText('Linked', { exact: true }).waitFor();
    await keepSecretsOf('work');
  });

  it('unlinks after a confirmation; the grant is revoked at the provider', async () => {
    const alice = card('Alice Example');
    await alice.getByRole('button', { name: 'Unlink…' }).click();
    await expect(alice.getByRole('group').textContent()).resolves.toMatch(/Unlink Alice Example\? authtray revokes its access at the sandbox/);
    await shot('08-unlink-confirm');
    await expectAccessible('unlink confirmation');
    await alice.getByRole('button', { name: 'Unlink', exact: true }).click();
    await page.getByText(/Unlinked Alice Example: its access was revoked/).waitFor();
    await waitFor(async () => (await page.getByRole('article').count()) === 1, 'the unlinked account to go');
    expect((await sandbox.introspect(secrets.get('default refresh token')!)).active).toBe(false);
    await shot('09-unlinked');
    await expectAccessible('unlinked');
  });

  it('no token or secret reached the page or crossed the bridge (SECURITY #10)', async () => {
    expect(secrets.size).toBeGreaterThanOrEqual(4);
    const html = await page.content();
    const wire = win.bridge.wire.join('\n');
    expect(wire).toContain('Bob Example');
    for (const [name, value] of secrets) {
      expect(html.includes(value), `${name} in the page`).toBe(false);
      expect(wire.includes(value), `${name} on the wire`).toBe(false);
    }
  });
});
