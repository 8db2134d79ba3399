// Nothing secret reaches the app's log or its settings file: a full link (confidential client:
// client secret, PKCE verifier, code), a refresh, a failure (the grant revoked, found by the
// keep-alive) and an unlink through the running app, then both files are scanned for every secret used.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_PAGE_URL } from '../../main/app/scheme.js';
import { describe, expect, it, vi } from 'vitest';
import { startApp } from '../../main/app/lifecycle.js';
import { openAppLog } from '../../main/log/app-log.js';
import { AppSettings, settingsStoreOptions, type AppSettingsData } from '../../main/settings/app-settings.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import type { Result } from '../../preload/api.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { appStartOptions, fakeElectron } from '../support/electron-fakes.js';
import { storedRecord, useSandbox, waitFor } from '../support/fixtures.js';
import { approve } from '../support/login.js';

vi.mock('electron', async () => await import('../support/electron-stub/electron.js'));
const { default: ElectronStore } = await import('electron-store');

const fx = useSandbox();
const client = SANDBOX_CLIENTS.confidential;

describe('the log and the settings file', () => {
  it('hold no token, code, verifier or client secret after a link, a refresh, a failure and an unlink', async () => {
    const fake = fakeElectron();
    const logDir = join(fx.elsewhere, 'logs');
    const app = (await startApp(
      fake.parts,
      appStartOptions(fx.home, fx.sandbox.issuer, {
        openSettings: () => new AppSettings(new ElectronStore<AppSettingsData>(settingsStoreOptions(fx.elsewhere, '0.1.0'))),
        openLog: () => openAppLog(logDir),
        watch: { idleLifetime: () => 2000, retryDelaysMs: [50] },
      }),
    ))!;
    try {
      fake.windows[0]!.pageReady(APP_PAGE_URL);
      const contents = fake.windows[0]!.webContents;
      const invoke = (channel: string, payload: unknown) => fake.handlers.get(channel)!({ sender: contents, senderFrame: contents.mainFrame }, payload) as Promise<Result<unknown>>;
      const secrets = new Set<string>([client.clientSecret]);

      // Link: the form sends the client secret; the person pastes the redirect URL back.
      const started = (await invoke('link:start', { profile: 'default', provider: 'sandbox', clientId: client.clientId, clientSecret: client.clientSecret })) as Result<{ url: string }>;
      expect(started.ok).toBe(true);
      for (const file of await readdir(join(fx.home, 'pending'))) {
        const verifier = JSON.parse(await readFile(join(fx.home, 'pending', file), 'utf8')).codeVerifier as string;
        secrets.add(verifier);
      }
      const { redirectUrl } = await approve(started.ok ? started.value.url : '');
      secrets.add(new URL(redirectUrl).searchParams.get('code')!);
      expect((await invoke('link:finish', { profile: 'default', input: redirectUrl })).ok).toBe(true);
      const linked = await storedRecord(fx.home, 'default');
      secrets.add(linked.accessToken).add(linked.refreshToken!);
      for (const value of Object.values(linked.data ?? {})) secrets.add(value);

      // Refresh: the access token ran out while the laptop slept; waking renews it.
      const store = new PlaintextCredentialStore(join(fx.home, 'credentials'));
      await store.save('default', { ...linked, expiresAt: Date.now() - 1000 });
      fake.powerMonitor.emit('resume');
      await waitFor(async () => (await storedRecord(fx.home, 'default')).accessToken !== linked.accessToken, 'the refresh after resume');
      const refreshed = await storedRecord(fx.home, 'default');
      secrets.add(refreshed.accessToken).add(refreshed.refreshToken!);

      // Failure: the grant is revoked at the provider; the keep-alive finds it.
      const revoke = await fetch(`${fx.sandbox.issuer}/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshed.refreshToken!, client_id: client.clientId, client_secret: client.clientSecret }),
      });
      expect(revoke.ok).toBe(true);
      await waitFor(() => app.watch.healthOf('default') === 'needs-relink', 'needs relink', 8000);

      // Unlink.
      expect((await invoke('account:unlink', { profile: 'default' })).ok).toBe(true);
      await waitFor(() => fake.trays[0]!.menu[0]!.label === 'No account linked', 'the tray to show no account');
      await new Promise((r) => setTimeout(r, 200)); // the log's writes land

      const log = await readFile(join(logDir, 'main.log'), 'utf8');
      const settingsFile = await readFile(join(fx.elsewhere, 'settings.json'), 'utf8');
      // The log tells the story: start-up, the link, the renewal, the refusal with its code.
      for (const entry of ['start', 'linked', 'status-changed', 'checked', 'refreshed', "to: 'needs-relink'", "code: 'NEEDS_RELINK'"]) expect(log).toContain(entry);
      expect(JSON.parse(settingsFile).linkForm).toEqual({ provider: 'sandbox' });
      expect(secrets.size).toBeGreaterThanOrEqual(7);
      for (const secret of secrets) {
        expect(log.includes(secret), `a secret (${secret.slice(0, 4)}…) in the log`).toBe(false);
        expect(settingsFile.includes(secret), `a secret (${secret.slice(0, 4)}…) in the settings file`).toBe(false);
      }
    } finally {
      app.watch.stop();
    }
  });
});
