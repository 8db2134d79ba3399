// Refresh by the token's own lifetime, against oidc-provider with this test's own configuration:
// short access tokens (120 s, 300 s, 5 s), rotating refresh tokens (a reused one revokes the whole
// grant), refresh tokens only with offline_access, which its discovery lists in scopes_supported.
// A 120 s token is reused for its first 90 s; 8 processes at expiry make one refresh, also when the
// new token lives only 5 s (a waiter that finds a token renewed meanwhile uses it).
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { cliEnv, tempHome } from '../support/cli.js';
import { approve } from '../support/login.js';
import { refreshStorm } from '../support/storm.js';

const CLIENT = 'lifetime-test';
let ttl = 120;
let server: Server;
let issuer: string;
/** grant_type of every successful token request; refresh errors by OAuth error. */
let grants: string[];
let errors: string[];
let home: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const warn = console.warn;
  console.warn = () => {}; // "devInteractions enabled": the login pages are the point here
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT, application_type: 'native', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }],
    jwks: { keys: [{ ...key, alg: 'RS256', use: 'sig', kid: 'k1' }] as never },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: `${sub} Lifetime` }) }),
    claims: { openid: ['sub'], profile: ['name'] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
    rotateRefreshToken: true,
    ttl: { AccessToken: () => ttl, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600 },
  });
  console.warn = warn;
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => void grants.push(String(ctx.oidc.params?.grant_type)));
  provider.on('grant.error', (_ctx: KoaContextWithOIDC, err: { error?: string }) => void errors.push(String(err.error)));
  server.on('request', provider.callback());
});
afterAll(() => new Promise((resolve) => server?.close(resolve)));
beforeEach(async () => {
  home = await tempHome();
  grants = [];
  errors = [];
});
afterEach(() => home.cleanup());

const accounts = () => new Accounts({ home: home.dir, store: 'plaintext' });
const store = () => new PlaintextCredentialStore(join(home.dir, 'credentials'));

async function link(): Promise<void> {
  const a = accounts();
  const started = await a.startLink('default', { provider: 'oidc', clientId: CLIENT, issuer }, { redirect: 'paste' });
  const url = new URL(started.url);
  // Its discovery lists offline_access, so the default scopes ask for it (with consent, OIDC Core §11).
  expect([url.searchParams.get('scope'), url.searchParams.get('prompt')]).toEqual(['openid profile email offline_access', 'consent']);
  await a.finishLink('default', (await approve(started.url)).redirectUrl);
}

describe('oidc-provider with short access tokens', () => {
  it.each([120, 300])('4 token calls right after linking a %i s token make no refresh', async (seconds) => {
    ttl = seconds;
    await link();
    const record = (await store().load('default'))!;
    expect(record.expiresAt! - record.issuedAt!).toBe(seconds * 1000);
    // Each call a new service, as each `authtray token` is a new process.
    for (let i = 0; i < 4; i++) expect(await accounts().accessToken('default')).toBe(record.accessToken);
    expect(grants).toEqual(['authorization_code']);
  });

  it('8 processes × 100 callers at expiry of a 5 s token: one refresh, the renewed 5 s token for all', async () => {
    ttl = 5;
    await link();
    const before = (await store().load('default'))!;
    await store().save('default', { ...before, expiresAt: Date.now() - 1000 });
    grants = [];
    const result = await refreshStorm({ processes: 8, callers: 100, profile: 'default', envs: [cliEnv(home.dir, { AUTHTRAY_STORE: 'plaintext' })] });
    expect(result.errors).toEqual([]);
    expect(grants).toEqual(['refresh_token']);
    expect(errors).toEqual([]);
    const after = (await store().load('default'))!;
    expect(new Set(result.tokens)).toEqual(new Set([after.accessToken]));
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.expiresAt! - after.issuedAt!).toBe(5000);
  }, 60_000);
});
