/**
 * The sandbox's emulations of Google and Microsoft, written from their public documentation
 * (docs/providers/google.md, docs/providers/onedrive.md): they are NOT the services, only their
 * documented wire formats, so that `--provider google` and `--provider onedrive` link here with no
 * registration. Each is its own oidc-provider instance, mounted under a path of the sandbox:
 *
 * - Google at `/google` (issuer `<sandbox>/google`): a desktop client with a secret
 *   (`authtray-sandbox-google`), loopback on any port, refresh tokens only for `access_type=offline` (and,
 *   as at Google, only when the consent screen was shown: `prompt=consent`), refresh tokens that
 *   do not rotate, revocation at `/google/revoke` with the token alone, Drive's
 *   `/google/drive/v3/about?fields=user`.
 * - Microsoft at `/microsoft/<tenant>/v2.0` (one tenant, {@link SANDBOX_TENANT_ID}): a public client
 *   (`authtray-sandbox-onedrive`), the discovery documents of `common` and `organizations` with the issuer
 *   template `<sandbox>/microsoft/{tenantid}/v2.0`, ID tokens with `tid` and `oid`, refresh tokens
 *   for `offline_access` without a consent prompt, a new refresh token on every refresh, no
 *   revocation endpoint, Graph's `/graph/v1.0/me` and `/graph/v1.0/me/drive`.
 *
 * Where oidc-provider differs from the service it plays, it says so below. The device lane's
 * generic device-code endpoint can be enabled on either instance (`features.deviceFlow`).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';
import { SANDBOX_EMULATIONS } from '../../main/sandbox.js';
import type { FileAdapterStore } from './adapter.js';

export const GOOGLE_CLIENT = { clientId: SANDBOX_EMULATIONS.google.clientId, clientSecret: SANDBOX_EMULATIONS.google.clientSecret } as const;
export const ONEDRIVE_CLIENT = { clientId: SANDBOX_EMULATIONS.onedrive.clientId } as const;
/** The one tenant of the Microsoft emulation. */
export const SANDBOX_TENANT_ID = '5a4db0c5-0000-4000-8000-00000000a17e';

const LOOPBACK = 'http://127.0.0.1/callback';
const DRIVE_SCOPES = ['drive', 'drive.file', 'drive.readonly', 'drive.appdata'].map((s) => `https://www.googleapis.com/auth/${s}`);
const GRAPH_SCOPES = ['Files.Read', 'Files.ReadWrite', 'Files.ReadWrite.All', 'User.Read'];

/** "alice" → a stable GUID-shaped id, as Microsoft's `oid`. */
function guidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const nameOf = (login: string) => `${login.charAt(0).toUpperCase()}${login.slice(1)} Example`;

function base(store: FileAdapterStore, keys: { jwks: { keys: object[] }; cookieKeys: string[] }, cookie: string, accessTokenTtl: number): Partial<Configuration> {
  return {
    adapter: store.adapterClass(),
    jwks: keys.jwks as Configuration['jwks'],
    cookies: { keys: keys.cookieKeys, names: { session: `_${cookie}_session`, interaction: `_${cookie}_interaction`, resume: `_${cookie}_resume` } },
    // Both put the account's claims in the ID token itself.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true }, revocation: { enabled: false } },
    ttl: { AccessToken: accessTokenTtl, AuthorizationCode: 60, IdToken: 3600, Interaction: 3600, Session: 86_400, Grant: 90 * 86_400, RefreshToken: 90 * 86_400 },
  };
}

const native = (extra: Partial<ClientMetadata>): ClientMetadata => ({
  client_id: '',
  application_type: 'native',
  redirect_uris: [LOOPBACK],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...extra,
});

export interface Clouds {
  readonly google: Provider;
  readonly microsoft: Provider;
  /** Answers the request when it is the emulations'; false when it is not. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export function startClouds(root: string, store: FileAdapterStore, keys: { jwks: { keys: object[] }; cookieKeys: string[] }, options: { accessTokenTtl: number; quietly: <T>(make: () => T) => T }): Clouds {
  const google = options.quietly(
    () =>
      new Provider(`${root}/google`, {
        ...base(store, keys, 'g', options.accessTokenTtl),
        clients: [native({ client_id: GOOGLE_CLIENT.clientId, client_secret: GOOGLE_CLIENT.clientSecret, token_endpoint_auth_method: 'client_secret_post' })],
        findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, name: nameOf(id), email: `${id}@gmail.test`, email_verified: true }) }),
        claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
        scopes: ['openid', 'offline_access', 'profile', 'email', ...DRIVE_SCOPES],
        // offline_access here stands for access_type=offline (added to the request below).
        issueRefreshToken: async (_ctx, _client, code) => code.scopes.has('offline_access'),
        // Google keeps one refresh token for the life of the grant.
        rotateRefreshToken: false,
      }),
  );
  const tenantIssuer = `${root}/microsoft/${SANDBOX_TENANT_ID}/v2.0`;
  const microsoft = options.quietly(
    () =>
      new Provider(tenantIssuer, {
        ...base(store, keys, 'm', options.accessTokenTtl),
        clients: [native({ client_id: ONEDRIVE_CLIENT.clientId })],
        findAccount: async (_ctx, id) => ({
          accountId: id,
          claims: async () => ({ sub: id, oid: guidOf(`oid:${id}`), tid: SANDBOX_TENANT_ID, name: nameOf(id), preferred_username: `${id}@contoso.test` }),
        }),
        claims: { openid: ['sub', 'oid', 'tid'], profile: ['name', 'preferred_username'] },
        scopes: ['openid', 'offline_access', 'profile', 'email', ...GRAPH_SCOPES],
        pkce: { required: () => true },
        issueRefreshToken: async (_ctx, _client, code) => code.scopes.has('offline_access'),
        // Microsoft replaces the refresh token on every use. (It does not revoke the old one, which
        // oidc-provider does when a rotated token comes back; authtray never sends one twice.)
        rotateRefreshToken: true,
      }),
  );
  google.proxy = false;
  microsoft.proxy = false;

  google.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
      (ctx.body as Record<string, unknown>).revocation_endpoint = `${root}/google/revoke`;
    }
  });

  // Microsoft sends no `iss` with the authorization response (oidc-provider adds RFC 9207's).
  microsoft.use(async (ctx, next) => {
    await next();
    const location = ctx.response.get('location');
    if (location && ctx.status >= 300 && ctx.status < 400 && location.includes('iss=')) {
      const url = new URL(location);
      url.searchParams.delete('iss');
      ctx.response.set('location', url.href);
    }
  });

  /**
   * Google: access_type=offline asks for the refresh token (oidc-provider calls it offline_access,
   * and, like Google on a relink, gives it only when the consent screen is shown: prompt=consent).
   * Microsoft: offline_access gives a refresh token without a consent prompt; oidc-provider honours
   * it only with prompt=consent, so the emulation adds that itself. Both rewrite the request before
   * oidc-provider sees it (it finds its mount path by comparing the URLs).
   */
  const googleRequest = (query: URLSearchParams) => {
    const scope = query.get('scope')?.split(' ') ?? [];
    if (query.get('access_type') === 'offline' && !scope.includes('offline_access')) query.set('scope', [...scope, 'offline_access'].join(' '));
  };
  const microsoftRequest = (query: URLSearchParams) => {
    if (query.get('scope')?.split(' ').includes('offline_access') && !query.get('prompt')?.includes('consent')) query.set('prompt', 'consent');
  };

  const mount = (provider: Provider, prefix: string, rewrite: (query: URLSearchParams) => void) => {
    const callback = provider.callback();
    return (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url!, root);
      if (url.pathname === `${prefix}/auth`) {
        rewrite(url.searchParams);
        req.url = `${url.pathname}${url.search}`;
      }
      // As express mounts it: oidc-provider finds its mount path from originalUrl.
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      req.url = req.url!.slice(prefix.length) || '/';
      callback(req, res);
    };
  };
  const googleApp = mount(google, '/google', googleRequest);
  const msPrefix = `/microsoft/${SANDBOX_TENANT_ID}/v2.0`;
  const microsoftApp = mount(microsoft, msPrefix, microsoftRequest);

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const bearer = async (provider: Provider, req: IncomingMessage) => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return match ? ((await provider.AccessToken.find(match[1]!)) ?? null) : null;
  };
  const readForm = async (req: IncomingMessage) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    return new URLSearchParams(body);
  };

  return {
    google,
    microsoft,
    async handle(req, res) {
      const url = new URL(req.url ?? '/', root);
      const path = url.pathname;
      if (req.method === 'POST' && path === '/google/revoke') {
        // Google: the token alone, no client authentication; a refresh token revokes the whole grant.
        const token = (await readForm(req)).get('token') ?? '';
        const found = (await google.RefreshToken.find(token)) ?? (await google.AccessToken.find(token));
        if (!found) {
          json(res, 400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
          return true;
        }
        if (found.grantId) store.revokeGrant(found.grantId);
        json(res, 200, {});
        return true;
      }
      if (req.method === 'GET' && path === '/google/drive/v3/about') {
        const token = await bearer(google, req);
        if (!token) return (json(res, 401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } }), true);
        const login = token.accountId;
        json(res, 200, { user: { kind: 'drive#user', displayName: nameOf(login), me: true, permissionId: guidOf(`perm:${login}`).replace(/\D/g, '').slice(0, 20), emailAddress: `${login}@gmail.test` } });
        return true;
      }
      if (req.method === 'GET' && (path === '/graph/v1.0/me' || path === '/graph/v1.0/me/drive')) {
        const token = await bearer(microsoft, req);
        if (!token) return (json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } }), true);
        const login = token.accountId;
        const me = { id: guidOf(`oid:${login}`), displayName: nameOf(login), userPrincipalName: `${login}@contoso.test`, mail: `${login}@contoso.test` };
        if (path === '/graph/v1.0/me') json(res, 200, { '@odata.context': `${root}/graph/v1.0/$metadata#users/$entity`, ...me });
        else json(res, 200, { id: `b!${guidOf(`drive:${login}`).replace(/-/g, '')}`, driveType: 'business', owner: { user: { id: me.id, displayName: me.displayName } }, quota: { total: 1099511627776, used: 0, remaining: 1099511627776, state: 'normal' } });
        return true;
      }
      const multi = /^\/microsoft\/(common|organizations)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
      if (req.method === 'GET' && multi) {
        // The multi-tenant document: the tenant's own, its issuer a template.
        const own = (await (await fetch(`${tenantIssuer}/.well-known/openid-configuration`, { headers: { 'x-sandbox-internal': '1' } })).json()) as Record<string, unknown>;
        json(res, 200, { ...own, issuer: `${root}/microsoft/{tenantid}/v2.0` });
        return true;
      }
      if (path === '/google' || path.startsWith('/google/')) return (googleApp(req, res), true);
      if (path === msPrefix || path.startsWith(`${msPrefix}/`)) return (microsoftApp(req, res), true);
      return false;
    },
  };
}

/** The settings `--provider google` gets against the sandbox (what the README's commands pass). */
export const googleSandboxSettings = (issuer: string) => ({
  provider: 'google' as const,
  clientId: GOOGLE_CLIENT.clientId,
  issuer: `${issuer}/google`,
  endpoints: { api: `${issuer}/google/` },
  confidential: true,
});

/** The settings `--provider onedrive` gets against the sandbox. */
export const onedriveSandboxSettings = (issuer: string, tenant = 'common') => ({
  provider: 'onedrive' as const,
  clientId: ONEDRIVE_CLIENT.clientId,
  issuer: `${issuer}/microsoft`,
  tenant,
  endpoints: { api: `${issuer}/graph/` },
});

