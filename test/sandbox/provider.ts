/**
 * The sandbox provider: a real OAuth 2.0 / OpenID Connect authorization server (oidc-provider) on
 * 127.0.0.1, for the quick start, the tests and the benchmarks. No registration anywhere.
 *
 * - `authtray-sandbox`: a native public client (PKCE, loopback redirect on any port), what
 *   `authtray link --provider sandbox` uses; `authtray-sandbox-confidential` is the same with a secret.
 * - `authtray-dropbox` and `authtray-box` play Dropbox and Box through endpoint overrides: Dropbox's
 *   code-display flow (no redirect_uri), `2/users/get_current_account`, `2/auth/token/revoke`, refresh
 *   tokens that do not rotate; Box's client secret, `2.0/users/me` and refresh tokens that rotate.
 * - Dev login pages accept any user name; `test/support/login.ts` drives them over HTTP.
 * - Revocation and introspection are on; a rotated refresh token used again revokes the grant.
 * - `stats` counts the requests it served, by path and by grant type, for the tests and benchmarks.
 * - Google and Microsoft (clouds.ts): emulations written from their public documentation, not the
 *   services, under `/google`, `/microsoft/<tenant>/v2.0` and `/graph`.
 * - Box server auth and downscoping (box.ts): a Box JWT app (`authtray-box-jwt`, its RSA key pair in
 *   the data directory), the JWT-bearer and token-exchange grants, and Box's token URL
 *   `/box/oauth2/token`; `boxJwt.settings(passphrase)` gives what the Box console would hand out.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Provider, { type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { FileAdapterStore } from './adapter.js';
import { startClouds, type Clouds } from './clouds.js';
import {
  BOX_DOWNSCOPE_SCOPES,
  BOX_JWT_APP,
  BOX_TOKEN_PATH,
  TOKEN_EXCHANGE,
  boxClients,
  boxConsoleSettings,
  boxTokenEndpoints,
  loadOrCreateBoxJwtKeys,
  registerBoxGrants,
  saveGrant,
  type BoxConsoleSettings,
  type BoxJwtKeys,
} from './box.js';

/** Clients registered on the sandbox; secrets here are test fixtures, valid only on this machine. */
export const SANDBOX_CLIENTS = {
  native: { clientId: 'authtray-sandbox' },
  confidential: { clientId: 'authtray-sandbox-confidential', clientSecret: 'sandbox-confidential-secret' },
  dropbox: { clientId: 'authtray-dropbox' },
  box: { clientId: 'authtray-box', clientSecret: 'sandbox-box-secret' },
  boxJwt: BOX_JWT_APP,
} as const;

/** Used by the sandbox itself (introspection for the tests); its requests are not counted. */
const INTROSPECTOR = { clientId: 'sandbox-introspector', clientSecret: 'sandbox-introspector-secret' };
const INTERNAL_HEADER = 'x-sandbox-internal';

/** The loopback redirect URI registered for every client; native clients may use any port (RFC 8252 §7.3). */
const LOOPBACK = 'http://127.0.0.1/callback';

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Keys and issued grants survive a restart with the same directory. */
  dataDir: string;
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /**
   * Refresh token lifetime in seconds (default 14 days). Tokens rotate on every use, so this is how
   * long one lives unused: a Box-style idle lifetime, short enough for a test.
   */
  refreshTokenTtl?: number;
}

export interface SandboxStats {
  /** Requests served, by `METHOD /path` (interaction pages included). */
  readonly requests: Record<string, number>;
  /** Token endpoint requests, whatever their outcome. */
  tokenRequests: number;
  /** Token endpoint requests by `grant_type`. */
  readonly byGrant: Record<string, number>;
  /** Token endpoint errors by OAuth error code (`invalid_grant`, ...). */
  readonly tokenErrors: Record<string, number>;
  reset(): void;
}

export interface Introspection {
  active: boolean;
  sub?: string;
  client_id?: string;
  scope?: string;
  token_type?: string;
}

export interface Sandbox {
  readonly issuer: string;
  readonly port: number;
  readonly stats: SandboxStats;
  readonly provider: Provider;
  /**
   * Holds the next token request until `release()`: for tests that act while a refresh is in
   * flight (kill a keyring or Redis mid-refresh). `arrived` resolves when the request is in.
   */
  holdNextTokenRequest(): { arrived: Promise<void>; release(): void };
  /** RFC 7662 introspection of an access or refresh token, as a resource server would ask. */
  introspect(token: string): Promise<Introspection>;
  /** The Box JWT app: its key pair, and Box-console settings with the private key encrypted by `passphrase`. */
  readonly boxJwt: { keys: BoxJwtKeys; settings(passphrase: string, privateKeyPem?: string): BoxConsoleSettings };
  /** A Box developer token for `login`: an access token of the Box app, made "in the console". */
  developerToken(login: string): Promise<string>;
  /** The emulations of Google and Microsoft (clouds.ts). */
  readonly clouds: Clouds;
  close(): Promise<void>;
}

function makeStats(): SandboxStats {
  const stats: SandboxStats = {
    requests: {},
    tokenRequests: 0,
    byGrant: {},
    tokenErrors: {},
    reset() {
      for (const record of [stats.requests, stats.byGrant, stats.tokenErrors]) for (const key of Object.keys(record)) delete record[key];
      stats.tokenRequests = 0;
    },
  };
  return stats;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);

/** "alice" → "Alice Example": every login name is an account. */
export function accountOf(login: string) {
  return { sub: login, name: `${login.charAt(0).toUpperCase()}${login.slice(1)} Example`, email: `${login}@example.test` };
}

function loadOrCreateKeys(dataDir: string) {
  const path = join(dataDir, 'keys.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as { jwks: { keys: object[] }; cookieKeys: string[] };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
  const keys = { jwks: { keys: [jwk] }, cookieKeys: [randomBytes(32).toString('hex')] };
  writeFileSync(path, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

const native = (extra: Partial<ClientMetadata>): ClientMetadata => ({
  client_id: '',
  application_type: 'native',
  redirect_uris: [LOOPBACK],
  grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...extra,
});

const CLIENTS: ClientMetadata[] = [
  native({ client_id: SANDBOX_CLIENTS.native.clientId }),
  native({ client_id: SANDBOX_CLIENTS.confidential.clientId, client_secret: SANDBOX_CLIENTS.confidential.clientSecret, token_endpoint_auth_method: 'client_secret_post' }),
  native({ client_id: SANDBOX_CLIENTS.dropbox.clientId }),
  native({ client_id: SANDBOX_CLIENTS.box.clientId, client_secret: SANDBOX_CLIENTS.box.clientSecret, token_endpoint_auth_method: 'client_secret_post' }),
  {
    client_id: INTROSPECTOR.clientId,
    client_secret: INTROSPECTOR.clientSecret,
    redirect_uris: [],
    grant_types: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  ...boxClients(),
];

/** What the Dropbox and Box apps are "configured" with, granted when a request names no scope. */
const DEFAULT_SCOPES: Record<string, string> = {
  [SANDBOX_CLIENTS.dropbox.clientId]: 'account_info.read files.content.read',
  [SANDBOX_CLIENTS.box.clientId]: 'root_readwrite',
};

/** The page Dropbox shows when no redirect_uri was sent: the code, for the user to copy. */
const DISPLAY_PATH = '/oauth2/display';
const displayPage = (code: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox: your code</title></head>` +
  `<body><h1>Enter this code into authtray</h1><p><code id="code">${code.replace(/[^A-Za-z0-9._~-]/g, '')}</code></p></body></html>`;

function configuration(store: FileAdapterStore, keys: ReturnType<typeof loadOrCreateKeys>, accessTokenTtl: number, refreshTokenTtl: number): Configuration {
  return {
    adapter: store.adapterClass(),
    clients: CLIENTS,
    jwks: keys.jwks as Configuration['jwks'],
    cookies: { keys: keys.cookieKeys },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ ...accountOf(id), email_verified: true }),
    }),
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'account_info.read', 'files.content.read', 'root_readwrite', ...BOX_DOWNSCOPE_SCOPES],
    features: {
      devInteractions: { enabled: true },
      // A client revokes only its own tokens; only the sandbox's own introspector (or the token's
      // client) may introspect.
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => client.clientId === INTROSPECTOR.clientId || token.clientId === client.clientId,
      },
    },
    pkce: {
      // Public clients must use PKCE; Box's confidential client does not send it.
      required: (_ctx, client) => client.clientAuthMethod === 'none',
    },
    // Dropbox and Box hand out refresh tokens without offline_access; OIDC clients need it.
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && (client.clientId === SANDBOX_CLIENTS.dropbox.clientId || client.clientId === SANDBOX_CLIENTS.box.clientId || code.scopes.has('offline_access')),
    // Dropbox keeps one refresh token for the life of the grant; everyone else here rotates on every use.
    rotateRefreshToken: (ctx) => ctx.oidc.client?.clientId !== SANDBOX_CLIENTS.dropbox.clientId,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: 86_400,
      Grant: 14 * 86_400,
      RefreshToken: refreshTokenTtl,
    },
    // Quieter errors: these are expected in the failure tests.
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Sandbox error</title><h1>${escapeHtml(String(out.error))}</h1><p>${escapeHtml(String(out.error_description ?? ''))}</p>`;
    },
  };
}

/** oidc-provider warns that dev interactions are on: they are the point of a sandbox. */
function quietly<T>(make: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('devInteractions')) warn(...args);
  };
  try {
    return make();
  } finally {
    console.warn = warn;
  }
}

/** Finds the grant behind a bearer access token, or null. */
async function bearerToken(provider: Provider, ctx: KoaContextWithOIDC) {
  const header = ctx.get('authorization');
  const match = /^Bearer (.+)$/.exec(header);
  if (!match) return null;
  const token = await provider.AccessToken.find(match[1]!);
  return token ?? null;
}

/** Dropbox's and Box's own API endpoints, served from the sandbox under /dropbox/ and /box/. */
function providerApis(provider: Provider, store: FileAdapterStore) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    const route = `${ctx.method} ${ctx.path}`;
    if (route === `GET ${DISPLAY_PATH}`) {
      ctx.type = 'html';
      ctx.body = displayPage(String(ctx.query.code ?? ''));
      return;
    }
    const apis: Record<string, true> = {
      'POST /dropbox/2/users/get_current_account': true,
      'POST /dropbox/2/auth/token/revoke': true,
      'GET /box/2.0/users/me': true,
    };
    if (!apis[route]) return next();
    const token = await bearerToken(provider, ctx);
    if (!token) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_access_token', error_summary: 'invalid_access_token/' };
      return;
    }
    const account = accountOf(token.accountId);
    switch (route) {
      case 'POST /dropbox/2/users/get_current_account':
        ctx.body = {
          account_id: `dbid:${account.sub}`,
          name: { given_name: account.name.split(' ')[0], surname: 'Example', familiar_name: account.name.split(' ')[0], display_name: account.name, abbreviated_name: account.name.slice(0, 1) + 'E' },
          email: account.email,
          email_verified: true,
          disabled: false,
          locale: 'en',
          account_type: { '.tag': 'basic' },
        };
        return;
      case 'POST /dropbox/2/auth/token/revoke':
        // Revokes the refresh token and every access token issued from it.
        if (token.grantId) store.revokeGrant(token.grantId);
        ctx.type = 'json';
        ctx.body = 'null';
        return;
      case 'GET /box/2.0/users/me':
        ctx.body = { type: 'user', id: account.sub, name: account.name, login: account.email };
        return;
    }
  };
}

/** Starts the sandbox on 127.0.0.1. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  mkdirSync(options.dataDir, { recursive: true });
  const keys = loadOrCreateKeys(options.dataDir);
  const boxKeys = loadOrCreateBoxJwtKeys(options.dataDir);
  const store = new FileAdapterStore(join(options.dataDir, 'models'));

  // Bind first: the issuer must carry the real port.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = quietly(() => new Provider(issuer, configuration(store, keys, options.accessTokenTtl ?? 3600, options.refreshTokenTtl ?? 14 * 86_400)));
  const stats = makeStats();

  const holds: { arrived: () => void; released: Promise<void> }[] = [];
  provider.use(async (ctx, next) => {
    const internal = ctx.get(INTERNAL_HEADER) === '1';
    if (!internal) bump(stats.requests, `${ctx.method} ${ctx.path}`);
    const hold = !internal && ctx.method === 'POST' && ctx.path === '/token' ? holds.shift() : undefined;
    if (hold) {
      hold.arrived();
      await hold.released;
    }
    await next();
    if (internal || ctx.method !== 'POST' || ctx.path !== '/token') return;
    stats.tokenRequests += 1;
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    const grantType = oidc?.params?.grant_type;
    bump(stats.byGrant, typeof grantType === 'string' ? grantType : 'unknown');
    const body = ctx.body as { error?: unknown } | undefined;
    if (ctx.status >= 400 && typeof body?.error === 'string') bump(stats.tokenErrors, body.error);
  });
  // Dropbox's code-display flow: no redirect_uri was sent, so the single registered one was used;
  // send the browser to a page that shows the code instead of a port nothing listens on.
  provider.use(async (ctx, next) => {
    await next();
    const location = String(ctx.response.get('location') ?? '');
    const client = (ctx as KoaContextWithOIDC).oidc?.client?.clientId;
    if (client === SANDBOX_CLIENTS.dropbox.clientId && location.startsWith(`${LOOPBACK}?`) && ctx.status >= 300 && ctx.status < 400) {
      ctx.redirect(`${issuer}${DISPLAY_PATH}${location.slice(LOOPBACK.length)}`);
    }
  });
  // Dropbox and Box grant the scopes configured for the app when the request names none.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth' && !ctx.query.scope) {
      const scope = DEFAULT_SCOPES[String(ctx.query.client_id)];
      if (scope) ctx.querystring = `${ctx.querystring}&scope=${encodeURIComponent(scope)}`;
    }
    return next();
  });
  provider.use(providerApis(provider, store));
  provider.use(boxTokenEndpoints());
  registerBoxGrants(provider, boxKeys, [`${issuer}/token`, `${issuer}${BOX_TOKEN_PATH}`]);
  // Plain http on loopback: tell oidc-provider the connection is what it is.
  provider.proxy = false;

  const clouds = startClouds(issuer, store, keys, { accessTokenTtl: options.accessTokenTtl ?? 3600, quietly });
  const root = provider.callback();
  server.on('request', (req, res) => {
    clouds.handle(req, res).then(
      (handled) => {
        if (!handled) void root(req, res);
      },
      (err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      },
    );
  });

  return {
    issuer,
    port,
    stats,
    provider,
    holdNextTokenRequest() {
      let arrived!: () => void;
      let release!: () => void;
      const hold = { arrived: () => {}, released: new Promise<void>((r) => (release = r)) };
      const arrival = new Promise<void>((r) => (arrived = r));
      hold.arrived = arrived;
      holds.push(hold);
      return { arrived: arrival, release };
    },
    async introspect(token) {
      const response = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${INTROSPECTOR.clientId}:${INTROSPECTOR.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          [INTERNAL_HEADER]: '1',
        },
        body: new URLSearchParams({ token }),
      });
      if (!response.ok) throw new Error(`introspection failed: HTTP ${response.status}`);
      return (await response.json()) as Introspection;
    },
    clouds,
    boxJwt: { keys: boxKeys, settings: (passphrase, privateKeyPem) => boxConsoleSettings(boxKeys, passphrase, privateKeyPem) },
    async developerToken(login) {
      const client = (await provider.Client.find(SANDBOX_CLIENTS.box.clientId))!;
      const grantId = await saveGrant(provider, login, client.clientId, 'root_readwrite');
      const token = new provider.AccessToken({ accountId: login, client, grantId, gty: 'developer_token', scope: 'root_readwrite' });
      return token.save();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
