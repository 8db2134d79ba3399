// The accounts service against the real sandbox authorization server (oidc-provider on 127.0.0.1).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Accounts, type AccountsOptions } from '../main/accounts.js';
import type { ProfileSettings } from '../main/auth/providers/index.js';
import { CredentialStoreError } from '../main/errors.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { SANDBOX_CLIENTS } from './sandbox/provider.js';
import { expectCode, useSandbox } from './support/fixtures.js';
import { approve, linkByPaste as pasteLink } from './support/login.js';

const fx = useSandbox();
let clock: number;
const warnings: string[] = [];

const totalRequests = () => Object.values(fx.sandbox.stats.requests).reduce((a, b) => a + b, 0);

function accounts(extra: Partial<AccountsOptions> = {}) {
  return new Accounts({ home: fx.home, store: 'plaintext', deps: { now: () => clock }, warn: (m) => warnings.push(m), ...extra });
}

const oidcSettings = (): ProfileSettings => ({ provider: 'oidc', clientId: SANDBOX_CLIENTS.native.clientId, issuer: fx.sandbox.issuer, sandbox: true });
const dropboxSettings = (): ProfileSettings => ({
  provider: 'dropbox',
  clientId: SANDBOX_CLIENTS.dropbox.clientId,
  endpoints: { authorize: `${fx.sandbox.issuer}/auth`, token: `${fx.sandbox.issuer}/token`, api: `${fx.sandbox.issuer}/dropbox/` },
});
const boxSettings = (): ProfileSettings => ({
  provider: 'box',
  clientId: SANDBOX_CLIENTS.box.clientId,
  endpoints: { authorize: `${fx.sandbox.issuer}/auth`, token: `${fx.sandbox.issuer}/token`, revoke: `${fx.sandbox.issuer}/token/revocation`, api: `${fx.sandbox.issuer}/box/` },
});

/** Links `profile` by pasting the redirect URL the sandbox sends the browser to. */
const linkByPaste = (a: Accounts, profile: string, settings = oidcSettings(), login = 'alice') => pasteLink(a, profile, settings, login);

beforeEach(async () => {
  clock = Date.now();
  warnings.length = 0;
  fx.sandbox.stats.reset();
});

describe('linking', () => {
  it('links by loopback redirect with exactly two provider requests after the code', async () => {
    const a = accounts();
    const started = await a.startLink('default', oidcSettings());
    expect(started.mode).toBe('loopback');
    expect(started.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const url = new URL(started.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('scope')).toBe('openid profile email offline_access');

    const { redirectUrl } = await approve(started.url, { login: 'alice' });
    expect(redirectUrl.startsWith(started.redirectUri!)).toBe(true);
    fx.sandbox.stats.reset();
    const page = await fetch(redirectUrl);
    expect(page.status).toBe(200);
    const status = await started.redirected!;
    expect(totalRequests()).toBe(2); // token, then userinfo
    expect(fx.sandbox.stats.tokenRequests).toBe(1);

    expect(status).toMatchObject({
      profile: 'default',
      provider: 'sandbox',
      linked: true,
      needsRelink: false,
      account: { id: 'alice', name: 'Alice Example', email: 'alice@example.test' },
      token: { kind: 'offline' },
      store: { backend: 'plaintext', secure: false },
    });
    expect(await a.status('default')).toEqual(status);
    const token = await a.accessToken('default');
    expect((await fx.sandbox.introspect(token)).active).toBe(true);
  });

  it('links by pasting the whole redirect URL, and a second service instance sees the link', async () => {
    const status = await linkByPaste(accounts(), 'default');
    expect(status.linked).toBe(true);
    const fresh = accounts();
    expect((await fresh.status('default')).account?.id).toBe('alice');
    expect((await fx.sandbox.introspect(await fresh.accessToken('default'))).active).toBe(true);
  });

  it('finishes a link started by another service instance (the pending flow is stored)', async () => {
    const started = await accounts().startLink('default', oidcSettings(), { redirect: 'paste' });
    const { redirectUrl } = await approve(started.url);
    const status = await accounts().finishLink('default', redirectUrl);
    expect(status.linked).toBe(true);
  });

  it('keeps two profiles side by side', async () => {
    const a = accounts();
    await linkByPaste(a, 'work', oidcSettings(), 'alice');
    await linkByPaste(a, 'home', oidcSettings(), 'bob');
    const all = await a.profiles();
    expect(all.map((p) => [p.profile, p.account?.id])).toEqual([
      ['home', 'bob'],
      ['work', 'alice'],
    ]);
    const [t1, t2] = [await a.accessToken('work'), await a.accessToken('home')];
    expect(t1).not.toBe(t2);
    expect((await fx.sandbox.introspect(t1)).sub).toBe('alice');
    expect((await fx.sandbox.introspect(t2)).sub).toBe('bob');
  });

  it('a wrong code is rejected (invalid token) and the pending flow stays for the right one', async () => {
    const a = accounts();
    const started = await a.startLink('default', oidcSettings(), { redirect: 'paste' });
    const { redirectUrl } = await approve(started.url);
    const wrong = new URL(redirectUrl);
    wrong.searchParams.set('code', 'not-the-code');
    await expectCode(a.finishLink('default', wrong.href), 'INVALID_TOKEN');
    expect((await a.status('default')).linked).toBe(false);
    expect((await a.finishLink('default', redirectUrl)).linked).toBe(true);
  });

  it('a wrong state is a CSRF error and leaves the pending flow intact', async () => {
    const a = accounts();
    const started = await a.startLink('default', oidcSettings(), { redirect: 'paste' });
    const { redirectUrl } = await approve(started.url);
    const forged = new URL(redirectUrl);
    forged.searchParams.set('state', 'forged-state');
    fx.sandbox.stats.reset();
    await expectCode(a.finishLink('default', forged.href), 'CSRF');
    expect(fx.sandbox.stats.tokenRequests).toBe(0);
    expect((await a.finishLink('default', redirectUrl)).linked).toBe(true);
  });

  it('access_denied is "not approved"', async () => {
    const a = accounts();
    const started = await a.startLink('default', oidcSettings(), { redirect: 'paste' });
    const { redirectUrl } = await approve(started.url, { deny: true });
    expect(new URL(redirectUrl).searchParams.get('error')).toBe('access_denied');
    await expectCode(a.finishLink('default', redirectUrl), 'NOT_APPROVED');
  });

  it('an expired pending flow is a bad state; no pending flow at all too', async () => {
    const a = accounts();
    await expectCode(a.finishLink('default', 'some-code'), 'BAD_STATE');
    const started = await a.startLink('default', oidcSettings(), { redirect: 'paste' });
    const { redirectUrl } = await approve(started.url);
    clock += 11 * 60_000;
    await expectCode(a.finishLink('default', redirectUrl), 'BAD_STATE');
  });

  it('provider down while finishing → connection failed; after a restart the retry works', async () => {
    const a = accounts();
    const started = await a.startLink('default', oidcSettings(), { redirect: 'paste' });
    const { redirectUrl } = await approve(started.url);
    const restart = await fx.outage();
    try {
      await expectCode(a.finishLink('default', redirectUrl), 'CONNECTION_FAILED');
    } finally {
      await restart();
    }
    expect((await a.finishLink('default', redirectUrl)).linked).toBe(true);
  });

  it('keeps no secret in the config file', async () => {
    const a = accounts();
    await linkByPaste(a, 'default');
    const record = await new PlaintextCredentialStore(join(fx.home, 'credentials')).load('default');
    const config = await readFile(join(fx.home, 'config.json'), 'utf8');
    expect(record!.refreshToken).toBeTruthy();
    expect(config).not.toContain(record!.accessToken);
    expect(config).not.toContain(record!.refreshToken!);
    expect(config).toContain('alice@example.test');
  });
});

describe('tokens', () => {
  it('hands out the cached token, refreshes after expiry and persists the rotated refresh token first', async () => {
    const a = accounts();
    await linkByPaste(a, 'default');
    const store = new PlaintextCredentialStore(join(fx.home, 'credentials'));
    const before = (await store.load('default'))!;
    fx.sandbox.stats.reset();
    expect(await a.accessToken('default')).toBe(before.accessToken);
    expect(fx.sandbox.stats.tokenRequests).toBe(0);

    clock = before.expiresAt! + 1000;
    const fresh = await a.accessToken('default');
    expect(fresh).not.toBe(before.accessToken);
    expect(fx.sandbox.stats.byGrant.refresh_token).toBe(1);
    const after = (await store.load('default'))!;
    expect(after.accessToken).toBe(fresh);
    expect(after.refreshToken).not.toBe(before.refreshToken); // rotated, and saved
    expect(after.expiresAt).toBeGreaterThan(clock);
    expect((await fx.sandbox.introspect(before.refreshToken!)).active).toBe(false);
    expect((await fx.sandbox.introspect(after.refreshToken!)).active).toBe(true);
  });

  it('1,000 concurrent callers at expiry make one token request and get the same token', async () => {
    await linkByPaste(accounts(), 'default');
    const a = accounts();
    const record = (await new PlaintextCredentialStore(join(fx.home, 'credentials')).load('default'))!;
    clock = record.expiresAt! + 1000;
    fx.sandbox.stats.reset();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => a.accessToken('default')));
    expect(fx.sandbox.stats.tokenRequests).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(record.accessToken);
  });

  it('the session alone single-flights too: 1,000 callers of one session, in waves, one refresh', async () => {
    await linkByPaste(accounts(), 'default');
    const record = (await new PlaintextCredentialStore(join(fx.home, 'credentials')).load('default'))!;
    const session = await accounts().session('default');
    clock = record.expiresAt! + 1000;
    fx.sandbox.stats.reset();
    // Callers arrive over several ticks while the refresh is in flight, not all in one.
    const waves = await Promise.all(
      Array.from({ length: 10 }, async (_, wave) => {
        await new Promise((r) => setTimeout(r, wave));
        return Promise.all(Array.from({ length: 100 }, () => session.accessToken()));
      }),
    );
    expect(fx.sandbox.stats.byGrant.refresh_token).toBe(1);
    expect(new Set(waves.flat()).size).toBe(1);
  });

  it('a refused grant (invalid_grant) moves the profile to "needs relink"', async () => {
    const a = accounts();
    await linkByPaste(a, 'default');
    const record = (await new PlaintextCredentialStore(join(fx.home, 'credentials')).load('default'))!;
    // The user revokes the app elsewhere: the refresh token dies at the provider.
    const revoke = await fetch(`${fx.sandbox.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: record.refreshToken!, client_id: SANDBOX_CLIENTS.native.clientId }),
    });
    expect(revoke.ok).toBe(true);
    clock = record.expiresAt! + 1000;
    await expectCode(a.accessToken('default'), 'NEEDS_RELINK');
    expect(await accounts().status('default')).toMatchObject({ needsRelink: true, linked: true });
    await expectCode(accounts().accessToken('default'), 'NEEDS_RELINK');
  });

  it('an unknown profile is not linked', async () => {
    await expectCode(accounts().accessToken('nobody'), 'NOT_LINKED');
    expect(await accounts().status('nobody')).toMatchObject({ linked: false, account: null, token: null });
  });
});

describe('unlink', () => {
  it('revokes at the provider, deletes the credentials and forgets the profile', async () => {
    const a = accounts();
    await linkByPaste(a, 'default');
    const store = new PlaintextCredentialStore(join(fx.home, 'credentials'));
    const record = (await store.load('default'))!;
    const result = await a.unlink('default');
    expect(result).toEqual({ revoked: true, revocation: 'revoked', warning: null });
    expect((await fx.sandbox.introspect(record.refreshToken!)).active).toBe(false);
    expect(await store.load('default')).toBeNull();
    expect(await a.status('default')).toMatchObject({ linked: false });
    await expectCode(a.unlink('default'), 'NOT_LINKED');
  });

  it('deletes the credentials even when revocation fails, with a warning', async () => {
    const a = accounts();
    await linkByPaste(a, 'default');
    const restart = await fx.outage();
    try {
      const result = await a.unlink('default');
      expect(result).toMatchObject({ revoked: false, revocation: 'unreachable' });
      expect(result.warning).toBe(`The provider could not be asked to revoke the grant (Could not reach 127.0.0.1:${fx.sandbox.port}); the local credentials were deleted; remove access in the provider's account settings.`);
      expect(warnings).toHaveLength(1);
      expect(await new PlaintextCredentialStore(join(fx.home, 'credentials')).load('default')).toBeNull();
    } finally {
      await restart();
    }
  });

  it('revoked but the credentials cannot be deleted: the profile is forgotten all the same, so nothing calls it linked or serves it', async () => {
    const plaintext = new PlaintextCredentialStore(join(fx.home, 'credentials'));
    // The store's disk stops taking deletes (a read-only remount, a keyring that locked meanwhile).
    const stuck = new (class extends PlaintextCredentialStore {
      override async delete(profile: string): Promise<void> {
        throw new CredentialStoreError(`Cannot delete ${this.path(profile)} (EROFS). Remove it by hand.`);
      }
    })(plaintext.dir);
    const a = accounts({ openStore: (backend) => (backend === 'plaintext' ? stuck : new PlaintextCredentialStore(join(fx.home, 'other'))) });
    await linkByPaste(a, 'default');
    const record = (await plaintext.load('default'))!;
    const err = await expectCode(a.unlink('default'), 'STORE_ERROR');
    expect(err.message).toBe(
      `The grant was revoked at the provider and the profile "default" is forgotten here, but its credentials could not be deleted from ${plaintext.dir}: Cannot delete ${plaintext.path('default')} (EROFS). Remove it by hand.`,
    );
    expect((await fx.sandbox.introspect(record.refreshToken!)).active).toBe(false);
    expect(await a.status('default')).toMatchObject({ linked: false });
    await expectCode(a.accessToken('default'), 'NOT_LINKED');
  });
});

describe('Dropbox-shaped provider (sandbox emulation, endpoints overridden)', () => {
  it('paste flow without redirect_uri, account from get_current_account, refresh without rotation, unlink revokes', async () => {
    const a = accounts();
    const started = await a.startLink('dbx', dropboxSettings());
    expect(started.mode).toBe('paste');
    expect(started.redirectUri).toBeNull();
    const url = new URL(started.url);
    expect(url.searchParams.get('token_access_type')).toBe('offline');
    expect(url.searchParams.has('redirect_uri')).toBe(false);
    const { redirectUrl } = await approve(started.url, { login: 'carol' });
    const code = new URL(redirectUrl).searchParams.get('code')!;
    fx.sandbox.stats.reset();
    const status = await a.finishLink('dbx', `  ${code}\n`);
    expect(totalRequests()).toBe(2);
    expect(status).toMatchObject({ provider: 'dropbox', account: { id: 'dbid:carol', email: 'carol@example.test' }, token: { kind: 'offline' } });

    const store = new PlaintextCredentialStore(join(fx.home, 'credentials'));
    const before = (await store.load('dbx'))!;
    clock = before.expiresAt! + 1000;
    await a.accessToken('dbx');
    expect((await store.load('dbx'))!.refreshToken).toBe(before.refreshToken); // Dropbox does not rotate

    expect(await a.unlink('dbx')).toEqual({ revoked: true, revocation: 'revoked', warning: null });
    expect((await fx.sandbox.introspect(before.refreshToken!)).active).toBe(false);
  });

  it('loopback only on the registered port, falling back to paste when it is busy', async () => {
    const a = accounts();
    await expectCode(a.startLink('dbx', dropboxSettings(), { redirect: 'loopback' }), 'USAGE');
    const blocker = await import('node:net').then(({ createServer }) => createServer());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const started = await a.startLink('dbx', { ...dropboxSettings(), port }, { redirect: 'loopback' });
      expect(started.mode).toBe('paste');
      expect(warnings.join('\n')).toMatch(/in use/);
    } finally {
      blocker.close();
    }
    const started = await a.startLink('dbx', { ...dropboxSettings(), port }, { redirect: 'loopback' });
    expect(started.mode).toBe('loopback');
    expect(started.redirectUri).toBe(`http://127.0.0.1:${port}/callback`);
    const { response } = await approve(started.url, { login: 'dave', follow: true });
    expect(response?.status).toBe(200);
    expect((await started.redirected!).account?.id).toBe('dbid:dave');
  });
});

describe('Box-shaped provider (sandbox emulation, endpoints overridden)', () => {
  it('needs the client secret, links by loopback, keeps the secret only in the credential record, rotates on refresh', async () => {
    const a = accounts();
    await expectCode(a.startLink('box', boxSettings()), 'USAGE');
    const started = await a.startLink('box', boxSettings(), { clientSecret: SANDBOX_CLIENTS.box.clientSecret });
    expect(started.mode).toBe('loopback');
    expect(new URL(started.url).searchParams.has('code_challenge')).toBe(false);
    await approve(started.url, { login: 'erin', follow: true });
    const status = await started.redirected!;
    expect(status).toMatchObject({ provider: 'box', account: { id: 'erin', name: 'Erin Example', email: 'erin@example.test' } });

    const store = new PlaintextCredentialStore(join(fx.home, 'credentials'));
    const before = (await store.load('box'))!;
    expect(before.clientSecret).toBe(SANDBOX_CLIENTS.box.clientSecret);
    expect(await readFile(join(fx.home, 'config.json'), 'utf8')).not.toContain(SANDBOX_CLIENTS.box.clientSecret);

    clock = before.expiresAt! + 1000;
    await accounts().accessToken('box');
    const after = (await store.load('box'))!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await accounts().unlink('box')).toEqual({ revoked: true, revocation: 'revoked', warning: null });
    expect((await fx.sandbox.introspect(after.refreshToken!)).active).toBe(false);
  });
});
