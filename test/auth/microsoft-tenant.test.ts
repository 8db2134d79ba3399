// The Microsoft multi-tenant issuer against oidc-provider with this test's own configuration: a
// tenant's issuer `<root>/<tid>/v2.0`, and a `common` discovery document whose issuer is the
// template `<root>/{tenantid}/v2.0`, as Microsoft publishes it. The ID token's iss is checked by
// oauth4webapi against the template with the token's own tid: a token whose tid and iss disagree,
// or that has no tid, is refused; the issuer check is never turned off. Refresh tokens rotate on
// every use and a reused one revokes the grant (oidc-provider), so the storm of processes shows the
// newest one is always kept. Graph's /me and /me/drive are two small handlers here.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import type { ProfileSettings } from '../../main/model.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { cliEnv, tempHome } from '../support/cli.js';
import { approve } from '../support/login.js';
import { refreshStorm } from '../support/storm.js';

const CLIENT = 'tenant-test';
const TID = '0b1e6b7a-1111-4222-8333-944455556666';
const OTHER = 'c0ffee00-aaaa-4bbb-8ccc-dddddddddddd';
let server: Server;
let root: string;
let grants: string[];
let home: { dir: string; cleanup: () => Promise<void> };

/** Who gets which tid: `mallory` a tid of another tenant than the issuer, `nobody` none. */
const tidOf = (login: string) => (login === 'mallory' ? OTHER : login === 'nobody' ? undefined : TID);

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const warn = console.warn;
  console.warn = () => {};
  const provider = new Provider(`${root}/${TID}/v2.0`, {
    clients: [{ client_id: CLIENT, application_type: 'native', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }],
    jwks: { keys: [{ ...key, alg: 'RS256', use: 'sig', kid: 'k1' }] as never },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, tid: tidOf(sub), oid: `oid-${sub}`, name: `${sub} Tenant` }) }),
    claims: { openid: ['sub', 'tid', 'oid'], profile: ['name'] },
    conformIdTokenClaims: false,
    scopes: ['openid', 'offline_access', 'profile', 'User.Read', 'Files.ReadWrite'],
    features: { devInteractions: { enabled: true } },
    rotateRefreshToken: true,
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600 },
  });
  console.warn = warn;
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => void grants.push(String(ctx.oidc.params?.grant_type)));
  provider.use(async (ctx, next) => {
    // Microsoft gives refresh tokens for offline_access without prompt=consent, which oidc-provider needs.
    if (ctx.path === '/auth' && !ctx.query.prompt) ctx.redirect(`${root}/${TID}/v2.0/auth?${ctx.querystring}&prompt=consent`);
    else await next();
    // Microsoft sends no iss with the authorization response.
    const location = ctx.response.get('location');
    if (location?.includes('iss=')) ctx.response.set('location', location.replace(/&iss=[^&]*/, ''));
  });
  const app = provider.callback();
  const bearer = async (req: IncomingMessage) => provider.AccessToken.find(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  server.on('request', async (req, res) => {
    const path = new URL(req.url!, root).pathname;
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/common/v2.0/.well-known/openid-configuration' || path === `/${OTHER}/v2.0/.well-known/openid-configuration`) {
      const own = (await (await fetch(`${root}/${TID}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      return send(200, { ...own, issuer: path.startsWith('/common/') ? `${root}/{tenantid}/v2.0` : own.issuer });
    }
    if (path === '/graph/v1.0/me' || path === '/graph/v1.0/me/drive') {
      const token = await bearer(req);
      if (!token) return send(401, { error: { code: 'InvalidAuthenticationToken' } });
      return send(200, path.endsWith('/drive') ? { id: `drive-${token.accountId}`, driveType: 'personal', owner: { user: { displayName: token.accountId } } } : { id: `me-${token.accountId}`, displayName: `${token.accountId} Graph` });
    }
    const prefix = `/${TID}/v2.0`;
    if (!path.startsWith(prefix)) return send(404, { error: 'not_found' });
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
    req.url = req.url!.slice(prefix.length) || '/';
    app(req, res);
  });
});
afterAll(() => new Promise((resolve) => server?.close(resolve)));
beforeEach(async () => {
  home = await tempHome();
  grants = [];
});
afterEach(() => home.cleanup());

const accounts = () => new Accounts({ home: home.dir, store: 'plaintext' });
const settings = (tenant = 'common'): ProfileSettings => ({ provider: 'onedrive', clientId: CLIENT, issuer: root, tenant, endpoints: { api: `${root}/graph/` } });

async function link(login: string, tenant?: string) {
  const started = await accounts().startLink('default', settings(tenant));
  await approve(started.url, { login, follow: true });
  return started.redirected!;
}

describe('a {tenantid}-templated issuer (oidc-provider as the tenant)', () => {
  it('links through common: the ID token names the tenant issuer, checked against the template with its tid', async () => {
    const status = await link('tess');
    expect(status).toMatchObject({ provider: 'onedrive', account: { id: 'oid-tess', name: 'tess Graph', drive: { id: 'drive-tess', type: 'personal', owner: 'tess' } } });
    expect(grants).toEqual(['authorization_code']);
  });

  it('refuses an ID token whose tid names another tenant than its issuer, word for word, and keeps nothing', async () => {
    await expect(link('mallory')).rejects.toThrow(
      `The ID token names tenant ${OTHER} but says its issuer is ${root}/${TID}/v2.0, not ${root}/${OTHER}/v2.0: its tenant and issuer do not match, so authtray refused it. Link again; if it repeats, check the tenant.`,
    );
    expect(await new PlaintextCredentialStore(join(home.dir, 'credentials')).load('default')).toBeNull();
  });

  it('refuses an ID token with no tid', async () => {
    await expect(link('nobody')).rejects.toThrow(
      `The ID token names tenant none but says its issuer is ${root}/${TID}/v2.0, not ${root}/undefined/v2.0: its tenant and issuer do not match, so authtray refused it. Link again; if it repeats, check the tenant.`,
    );
  });

  it('refuses a discovery document that names another tenant as its issuer', async () => {
    await expect(accounts().startLink('default', settings(OTHER))).rejects.toThrow(
      `The Microsoft discovery document of tenant "${OTHER}" names the issuer ${root}/${TID}/v2.0, which is not an issuer of that tenant at ${root}; authtray does not trust it.`,
    );
  });

  it('6 processes × 50 callers at expiry: one refresh, and the rotated refresh token is the one kept', async () => {
    await link('tess');
    const store = new PlaintextCredentialStore(join(home.dir, 'credentials'));
    const before = (await store.load('default'))!;
    await store.save('default', { ...before, expiresAt: Date.now() - 1000 });
    grants = [];
    const result = await refreshStorm({ processes: 6, callers: 50, profile: 'default', envs: [cliEnv(home.dir, { AUTHTRAY_STORE: 'plaintext' })] });
    expect(result.errors).toEqual([]);
    expect(grants).toEqual(['refresh_token']);
    const after = (await store.load('default'))!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    // oidc-provider revokes the grant when a rotated refresh token comes back: the kept one still works.
    await store.save('default', { ...after, expiresAt: Date.now() - 1000 });
    expect(await accounts().accessToken('default')).not.toBe(after.accessToken);
    expect(grants).toEqual(['refresh_token', 'refresh_token']);
  }, 60_000);
});
