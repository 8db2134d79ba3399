// Google Drive and OneDrive profiles through the library, against the sandbox's emulations of
// Google and Microsoft (test/sandbox/clouds.ts: written from their public documentation).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { idleRefreshLifetime } from '../main/auth/providers/index.js';
// The library's entry point, as a program using authtray imports it.
import { Accounts, googleScopes, MICROSOFT_REMOVE_ACCESS, onedriveScopes, type ProfileSettings } from '../main/index.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { GOOGLE_CLIENT, googleSandboxSettings, onedriveSandboxSettings, SANDBOX_TENANT_ID } from './sandbox/clouds.js';
import { expectCode, useSandbox } from './support/fixtures.js';
import { approve } from './support/login.js';

const fx = useSandbox();
let clock: number;
const warnings: string[] = [];
const accounts = () => new Accounts({ home: fx.home, store: 'plaintext', deps: { now: () => clock }, warn: (m) => warnings.push(m) });
const store = () => new PlaintextCredentialStore(join(fx.home, 'credentials'));

beforeEach(() => {
  clock = Date.now();
  warnings.length = 0;
});

async function link(a: Accounts, profile: string, settings: ProfileSettings, login: string, clientSecret?: string) {
  const started = await a.startLink(profile, settings, { clientSecret });
  expect(started.mode).toBe('loopback');
  const { response } = await approve(started.url, { login, follow: true });
  expect(response?.status).toBe(200);
  return { started, status: await started.redirected! };
}

describe('google (the sandbox emulation of Google)', () => {
  const settings = () => googleSandboxSettings(fx.sandbox.issuer) as ProfileSettings;

  it('asks for access_type=offline, prompt=consent and drive.file with PKCE, keeps the secret only in the record, refreshes without rotation and revokes', async () => {
    const a = accounts();
    await expectCode(a.startLink('g', settings()), 'USAGE');
    const { started, status } = await link(a, 'g', settings(), 'gina', GOOGLE_CLIENT.clientSecret);
    const url = new URL(started.url);
    expect(Object.fromEntries(['access_type', 'prompt', 'scope', 'code_challenge_method'].map((k) => [k, url.searchParams.get(k)]))).toEqual({
      access_type: 'offline',
      prompt: 'consent',
      scope: 'openid email profile https://www.googleapis.com/auth/drive.file',
      code_challenge_method: 'S256',
    });
    expect(status).toMatchObject({ provider: 'google', linked: true, account: { id: 'gina', name: 'Gina Example', email: 'gina@gmail.test', drive: { type: 'drive', owner: 'Gina Example' } } });
    const before = (await store().load('g'))!;
    expect(before).toMatchObject({ tokenKind: 'offline', clientSecret: GOOGLE_CLIENT.clientSecret });
    expect(await readFile(join(fx.home, 'config.json'), 'utf8')).not.toContain(GOOGLE_CLIENT.clientSecret);

    clock = before.expiresAt! + 1000;
    const fresh = await accounts().accessToken('g');
    const after = (await store().load('g'))!;
    expect(fresh).not.toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken); // Google does not rotate

    expect(await accounts().unlink('g')).toEqual({ revoked: true, revocation: 'revoked', warning: null });
    const again = await fetch(`${fx.sandbox.issuer}/google/revoke`, { method: 'POST', body: new URLSearchParams({ token: after.refreshToken! }) });
    expect(again.status).toBe(400); // the grant is gone at the emulated Google
  });

  it('refuses a pasted code with a message that names the ways that work, and nothing is left pending', async () => {
    const a = accounts();
    await expect(a.startLink('g', settings(), { redirect: 'paste', clientSecret: GOOGLE_CLIENT.clientSecret })).rejects.toThrow(
      'Google takes no pasted codes (it ended the out-of-band flow in 2022): link with the loopback redirect, the default, or with the device flow on a machine without a browser (Google allows only the drive.file and drive.appdata Drive scopes there).',
    );
    expect(await a.pendingLinks()).toEqual([]);
  });

  it('asks for a wider Drive scope given by name, and keeps 7 days as the keep-alive lifetime', async () => {
    const a = accounts();
    const started = await a.startLink('g', { ...settings(), scopes: ['drive.readonly'] }, { clientSecret: GOOGLE_CLIENT.clientSecret });
    expect(new URL(started.url).searchParams.get('scope')).toBe('openid email profile https://www.googleapis.com/auth/drive.readonly');
    await a.abandonLink('g');
    expect(idleRefreshLifetime(settings())).toBe(7 * 86_400_000);
    expect(googleScopes(['drive', 'email'])).toEqual(['openid', 'email', 'profile', 'https://www.googleapis.com/auth/drive']);
  });
});

describe('onedrive (the sandbox emulation of Microsoft)', () => {
  const settings = (tenant?: string) => onedriveSandboxSettings(fx.sandbox.issuer, tenant) as ProfileSettings;

  it('links through the common tenant (issuer template, tid substituted), keeps every rotated refresh token, and unlinks saying where to remove access', async () => {
    const a = accounts();
    const { started, status } = await link(a, 'od', settings(), 'olga');
    const url = new URL(started.url);
    expect(url.searchParams.get('scope')).toBe('offline_access Files.ReadWrite User.Read openid profile');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.has('prompt')).toBe(false);
    expect(status).toMatchObject({
      provider: 'onedrive',
      linked: true,
      account: { name: 'Olga Example', email: 'olga@contoso.test', drive: { type: 'business', owner: 'Olga Example' } },
    });
    const config = JSON.parse(await readFile(join(fx.home, 'config.json'), 'utf8')) as { profiles: Record<string, { settings: ProfileSettings }> };
    expect(config.profiles.od!.settings).toMatchObject({ tenant: 'common', metadata: { issuer: `${fx.sandbox.issuer}/microsoft/{tenantid}/v2.0` } });

    const seen = [(await store().load('od'))!.refreshToken];
    for (let i = 0; i < 3; i++) {
      clock = (await store().load('od'))!.expiresAt! + 1000;
      await accounts().accessToken('od');
      seen.push((await store().load('od'))!.refreshToken);
    }
    expect(new Set(seen).size).toBe(4); // a new refresh token every time, the newest kept

    const result = await accounts().unlink('od');
    expect(result).toEqual({ revoked: false, revocation: 'no-endpoint', warning: MICROSOFT_REMOVE_ACCESS });
    expect(warnings).toContain(
      "Microsoft offers apps no way to revoke their own access, so nothing was sent and the grant stays valid there; the local credentials were deleted. Remove authtray's access at https://account.microsoft.com under Privacy, Apps and services (a personal Microsoft account), or ask your organization's administrator to remove it in the Microsoft Entra admin center under Enterprise applications (a work or school account).",
    );
    expect(idleRefreshLifetime(settings())).toBe(90 * 86_400_000);
    expect(onedriveScopes(['Files.Read'])).toEqual(['offline_access', 'User.Read', 'openid', 'profile', 'Files.Read']);
  });

  it('links through the tenant id, whose issuer is concrete', async () => {
    const { status } = await link(accounts(), 'od', settings(SANDBOX_TENANT_ID), 'tom');
    expect(status.account).toMatchObject({ name: 'Tom Example' });
  });

  it('refuses a tenant the emulated discovery names another issuer for, and a tenant that is no tenant', async () => {
    // The emulation has one organization tenant: no consumers document to discover.
    await expect(accounts().startLink('od', settings('consumers'))).rejects.toThrow(`${new URL(fx.sandbox.issuer).host} refused the discovery request (HTTP 404); check the tenant "consumers".`);
    await expect(accounts().startLink('od', settings('not a tenant'))).rejects.toThrow(
      'The tenant must be common, consumers, organizations, a tenant id (a GUID) or a tenant\'s domain (contoso.onmicrosoft.com), not "not a tenant".',
    );
  });
});
