/**
 * Provider profiles: where each provider's endpoints are, which authorization parameters it wants,
 * how it names the account, and how it revokes. Everything here is non-secret settings plus pure
 * request code; the flows (flow.ts) and the session (session.ts) use it the same way for all.
 */
import * as oauth from 'oauth4webapi';
import { needsClientSecret } from '../link-request.js';
import { ProviderAnswerError, ProviderError, UsageError } from '../errors.js';
import { cleanAccount } from '../sanitize.js';
import type { AccountInfo, EndpointOverrides, ProfileSettings, ProviderKind, RedirectMode, ServerMetadata } from '../model.js';
import {
  assertSafeEndpoint,
  connectionFailed,
  providerFailure,
  readJson,
  requestOptions,
  type AuthDeps,
} from './http.js';

export type { AccountInfo, EndpointOverrides, ProfileSettings, RedirectMode, ServerMetadata } from '../model.js';

/** What a provider needs to know of the stored credentials to talk to it. */
export interface ProviderCredentials {
  accessToken: string;
  refreshToken: string | null;
  clientSecret?: string | undefined;
}

export interface Provider {
  readonly kind: ProviderKind;
  readonly settings: ProfileSettings;
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  /** PKCE S256 is sent (every provider that allows it). */
  readonly usesPkce: boolean;
  readonly needsClientSecret: boolean;
  /** Default redirect mode when the profile does not choose one. */
  readonly defaultRedirect: RedirectMode;
  /**
   * Loopback: the port to listen on; 0 means any free port (RFC 8252 §7.3). Providers that match the
   * redirect URI exactly (Dropbox) need the registered port, and have no loopback without one.
   */
  readonly loopbackPort: number | null;
  /**
   * The redirect URI of the paste flow: null when the provider shows the code to the user and no
   * redirect_uri is sent (Dropbox); otherwise a loopback URI nothing listens on, whose full URL the
   * user copies from the browser's address bar.
   */
  readonly pasteRedirectUri: string | null;
  /** Extra authorization request parameters (scope, token_access_type, prompt). */
  authorizationParameters(): Record<string, string>;
  clientAuth(clientSecret: string | undefined): oauth.ClientAuth;
  /** One request: who the token belongs to. */
  fetchAccount(tokens: oauth.TokenEndpointResponse, deps: AuthDeps): Promise<AccountInfo>;
  /**
   * One request: revoke the grant. `no-endpoint` when the provider has none (nothing was sent; the
   * grant stays valid there). Throws on failure: a refusal (ProviderAnswerError with the status),
   * no answer (ConnectionFailedError); the caller decides it is best effort.
   */
  revoke(credentials: ProviderCredentials, deps: AuthDeps): Promise<RevocationOutcome>;
  /** False when the client cannot revoke at all (Box developer tokens): closing skips it. */
  readonly revocable?: boolean;
}

const DAY_MS = 86_400_000;

/**
 * How long each provider lets a refresh token live unused (its idle lifetime), as data: Box's last
 * 60 days (PROVIDERS.md), Microsoft identity platform's 90 days of inactivity, Google's 7 days for
 * apps whose consent screen is still in testing. Matched by provider kind, and for OpenID Connect by
 * the issuer's host. A provider with no rule here gets no keep-alive renewal.
 */
export const IDLE_REFRESH_LIFETIMES: readonly { provider: ProviderKind; issuerHost?: string; lifetimeMs: number }[] = [
  { provider: 'box', lifetimeMs: 60 * DAY_MS },
  { provider: 'oidc', issuerHost: 'login.microsoftonline.com', lifetimeMs: 90 * DAY_MS },
  { provider: 'oidc', issuerHost: 'accounts.google.com', lifetimeMs: 7 * DAY_MS },
];

/** The idle lifetime of a profile's refresh token, in ms, or null when its provider has no rule. */
export function idleRefreshLifetime(settings: ProfileSettings, rules = IDLE_REFRESH_LIFETIMES): number | null {
  const issuer = settings.metadata?.issuer ?? settings.issuer;
  let host: string | null = null;
  try {
    host = issuer ? new URL(issuer).host : null;
  } catch {
    host = null;
  }
  const rule = rules.find((r) => r.provider === settings.provider && (r.issuerHost === undefined || r.issuerHost === host));
  return rule?.lifetimeMs ?? null;
}

/** What a revocation did: answered with success, or not sent because the provider has no endpoint. */
export type RevocationOutcome = 'revoked' | 'no-endpoint';

/**
 * Default scopes of an OpenID Connect profile: the ID token and the account's name and email, and
 * `offline_access` (refresh tokens; OIDC Core §11) only where discovery's `scopes_supported` lists
 * it. oidc-provider lists it and issues refresh tokens only with it; Django OAuth Toolkit has no
 * such scope (asking for it is `invalid_scope`) and issues refresh tokens anyway. A server that
 * lists its scopes is asked only for those of these it has.
 */
export const DEFAULT_OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export function defaultOidcScopes(supported: readonly string[] | null | undefined): string[] {
  if (!supported) return DEFAULT_OIDC_SCOPES.filter((s) => s !== 'offline_access');
  return DEFAULT_OIDC_SCOPES.filter((s) => supported.includes(s));
}

const LOOPBACK_PASTE_URI = 'http://127.0.0.1/callback';

function loopbackPortOf(settings: ProfileSettings): number | null {
  return settings.port ?? null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function clientSecretAuth(kind: string, secret: string | undefined): oauth.ClientAuth {
  if (!secret) throw new UsageError(`This ${kind} client needs its client secret: give it when you link.`, { cliMessage: `This ${kind} client needs its client secret: set AUTHTRAY_CLIENT_SECRET or enter it when asked.` });
  return oauth.ClientSecretPost(secret);
}

async function bearerPost(url: string, accessToken: string, deps: AuthDeps): Promise<Response> {
  try {
    return await deps.fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: 'null',
      signal: AbortSignal.timeout(deps.requestTimeoutMs),
    });
  } catch (err) {
    throw connectionFailed(url, err);
  }
}

async function bearerGet(url: string, accessToken: string, deps: AuthDeps): Promise<Response> {
  try {
    return await deps.fetch(url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(deps.requestTimeoutMs),
    });
  } catch (err) {
    throw connectionFailed(url, err);
  }
}

function checked(settings: ProfileSettings, name: keyof EndpointOverrides, fallback: string): string {
  const value = settings.endpoints?.[name] ?? fallback;
  return assertSafeEndpoint(`${name} URL`, value).href;
}

/** Dropbox: PKCE, `token_access_type=offline`, paste flow by default, loopback on a fixed port. */
function dropbox(settings: ProfileSettings): Provider {
  const api = checked(settings, 'api', 'https://api.dropboxapi.com/').replace(/\/?$/, '/');
  const authorize = checked(settings, 'authorize', 'https://www.dropbox.com/oauth2/authorize');
  const as: oauth.AuthorizationServer = {
    // Dropbox publishes no metadata; the issuer is where its authorization page lives (an override moves it).
    issuer: new URL(authorize).origin,
    authorization_endpoint: authorize,
    token_endpoint: checked(settings, 'token', 'https://api.dropboxapi.com/oauth2/token'),
    revocation_endpoint: checked(settings, 'revoke', new URL('2/auth/token/revoke', api).href),
  };
  return {
    kind: 'dropbox',
    settings,
    as,
    client: { client_id: settings.clientId },
    usesPkce: true,
    needsClientSecret: false,
    defaultRedirect: 'paste',
    loopbackPort: loopbackPortOf(settings),
    pasteRedirectUri: null,
    authorizationParameters() {
      const params: Record<string, string> = { token_access_type: 'offline' };
      if (settings.scopes?.length) params.scope = settings.scopes.join(' ');
      return params;
    },
    clientAuth: () => oauth.None(),
    async fetchAccount(tokens, deps) {
      const url = new URL('2/users/get_current_account', api).href;
      const body = await readJson(await bearerPost(url, tokens.access_token, deps), 'account');
      const name = body.name as Record<string, unknown> | undefined;
      const id = str(body.account_id) ?? str(tokens.account_id);
      if (!id) throw new ProviderError('invalid_response', 'the account has no account_id');
      return { id, name: str(name?.display_name), email: str(body.email) };
    },
    async revoke(credentials, deps) {
      // Dropbox revokes with the access token; that also revokes the refresh token it came from.
      const response = await bearerPost(as.revocation_endpoint!, credentials.accessToken, deps);
      await response.body?.cancel();
      if (!response.ok) throw providerFailure('to revoke the grant', as.revocation_endpoint!, response);
      return 'revoked';
    },
  };
}

/** Box: client secret, loopback on any port, rotating refresh tokens. */
function box(settings: ProfileSettings): Provider {
  const api = checked(settings, 'api', 'https://api.box.com/').replace(/\/?$/, '/');
  const authorize = checked(settings, 'authorize', 'https://account.box.com/api/oauth2/authorize');
  const as: oauth.AuthorizationServer = {
    issuer: new URL(authorize).origin,
    authorization_endpoint: authorize,
    // Box serves them on its API host, so an API override moves them too.
    token_endpoint: checked(settings, 'token', new URL('oauth2/token', api).href),
    revocation_endpoint: checked(settings, 'revoke', new URL('oauth2/revoke', api).href),
  };
  const client: oauth.Client = { client_id: settings.clientId };
  return {
    kind: 'box',
    settings,
    as,
    client,
    // Box documents no PKCE for its OAuth 2.0 apps (PROVIDERS.md: unverified); the client secret and state protect the exchange.
    usesPkce: false,
    needsClientSecret: needsClientSecret(settings),
    defaultRedirect: 'loopback',
    loopbackPort: settings.port ?? 0,
    pasteRedirectUri: LOOPBACK_PASTE_URI,
    authorizationParameters(): Record<string, string> {
      return settings.scopes?.length ? { scope: settings.scopes.join(' ') } : {};
    },
    clientAuth: (secret) => clientSecretAuth('Box', secret),
    async fetchAccount(tokens, deps) {
      const body = await readJson(await bearerGet(new URL('2.0/users/me', api).href, tokens.access_token, deps), 'account');
      const id = str(body.id);
      if (!id) throw new ProviderError('invalid_response', 'the user has no id');
      return { id, name: str(body.name), email: str(body.login) };
    },
    revoke: (credentials, deps) => revokeRfc7009(as, client, clientSecretAuth('Box', credentials.clientSecret), credentials, deps),
  };
}

/** Box server auth: Box's endpoints, no refresh token; the session signs a new assertion (box-jwt.ts) when the token runs out. */
function boxJwt(settings: ProfileSettings): Provider {
  return { ...box(settings), kind: 'box-jwt' };
}

/** A Box developer token: Box's API, nothing to refresh, nothing this client may revoke. */
function boxDeveloperToken(settings: ProfileSettings): Provider {
  return {
    ...box(settings),
    kind: 'box-developer-token',
    revocable: false,
    async revoke() {
      throw new UsageError('A Box developer token cannot be revoked by a client: it stops working 60 minutes after it was made, or revoke it in the Box Developer Console');
    },
  };
}

async function revokeRfc7009(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  auth: oauth.ClientAuth,
  credentials: ProviderCredentials,
  deps: AuthDeps,
): Promise<RevocationOutcome> {
  if (!as.revocation_endpoint) return 'no-endpoint';
  try {
    const response = await oauth.revocationRequest(as, client, auth, credentials.refreshToken ?? credentials.accessToken, requestOptions(deps, as.revocation_endpoint));
    await oauth.processRevocationResponse(response);
    return 'revoked';
  } catch (err) {
    throw providerFailure('to revoke the grant', as.revocation_endpoint, err);
  }
}

/** Any OAuth 2.0 / OpenID Connect server, from discovered metadata plus overrides. */
function oidc(settings: ProfileSettings, metadata: ServerMetadata): Provider {
  const e = settings.endpoints ?? {};
  const { scopes_supported: _scopes, ...served } = metadata;
  const as: oauth.AuthorizationServer = {
    ...served,
    authorization_endpoint: assertSafeEndpoint('authorize URL', e.authorize ?? metadata.authorization_endpoint).href,
    token_endpoint: assertSafeEndpoint('token URL', e.token ?? metadata.token_endpoint).href,
    revocation_endpoint: (e.revoke ?? metadata.revocation_endpoint) && assertSafeEndpoint('revoke URL', (e.revoke ?? metadata.revocation_endpoint)!).href,
    userinfo_endpoint: (e.userinfo ?? metadata.userinfo_endpoint) && assertSafeEndpoint('userinfo URL', (e.userinfo ?? metadata.userinfo_endpoint)!).href,
  };
  const client: oauth.Client = { client_id: settings.clientId };
  const scopes = settings.scopes?.length ? settings.scopes : defaultOidcScopes(metadata.scopes_supported);
  const clientAuth = (secret: string | undefined) => (settings.confidential ? clientSecretAuth('OpenID Connect', secret) : oauth.None());
  return {
    kind: 'oidc',
    settings,
    as,
    client,
    usesPkce: true,
    needsClientSecret: needsClientSecret(settings),
    defaultRedirect: 'loopback',
    loopbackPort: settings.port ?? 0,
    pasteRedirectUri: LOOPBACK_PASTE_URI,
    authorizationParameters() {
      const params: Record<string, string> = { scope: scopes.join(' ') };
      // Refresh tokens for offline_access need explicit consent (OIDC Core §11).
      if (scopes.includes('offline_access')) params.prompt = 'consent';
      return params;
    },
    clientAuth,
    async fetchAccount(tokens, deps) {
      const claims = oauth.getValidatedIdTokenClaims(tokens);
      const fromIdToken = claims && { id: claims.sub, name: str(claims.name), email: str(claims.email) };
      if (fromIdToken && (fromIdToken.name || fromIdToken.email || !as.userinfo_endpoint)) return fromIdToken;
      if (!as.userinfo_endpoint) throw new ProviderError('invalid_response', 'the server gave no ID token and has no userinfo endpoint; add the openid scope');
      try {
        const response = await oauth.userInfoRequest(as, client, tokens.access_token, requestOptions(deps, as.userinfo_endpoint));
        const info = await oauth.processUserInfoResponse(as, client, claims?.sub ?? oauth.skipSubjectCheck, response);
        return { id: info.sub, name: str(info.name), email: str(info.email) };
      } catch (err) {
        throw providerFailure('the userinfo request', as.userinfo_endpoint, err, 'check the userinfo URL');
      }
    },
    revoke: (credentials, deps) => revokeRfc7009(as, client, clientAuth(credentials.clientSecret), credentials, deps),
  };
}

/**
 * Finds an issuer's metadata: OpenID Connect Discovery first, then RFC 8414. One request in the
 * usual case; the result is cached in the profile settings by the caller. What went wrong is said
 * as the server did it: metadata naming another issuer, a redirect (with its Location), no answer.
 */
export async function discover(issuer: string, deps: AuthDeps): Promise<ServerMetadata> {
  const issuerUrl = assertSafeEndpoint('issuer', issuer);
  let moved: { url: string; status: number; location: string } | null = null;
  let lastError = 'HTTP 404';
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    let response: Response;
    try {
      response = await oauth.discoveryRequest(issuerUrl, { ...requestOptions(deps, issuerUrl), algorithm });
    } catch (err) {
      throw providerFailure('the discovery request', issuerUrl, err);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      moved ??= { url: response.url, status: response.status, location: response.headers.get('location') ?? 'none' };
      continue;
    }
    if (response.status >= 500) throw connectionFailed(issuerUrl, response);
    if (response.status !== 200) {
      await response.body?.cancel();
      lastError = `HTTP ${response.status}`;
      continue;
    }
    let as: oauth.AuthorizationServer;
    try {
      as = await oauth.processDiscoveryResponse(issuerUrl, response);
    } catch (err) {
      const advertised = ((err as { cause?: { body?: { issuer?: unknown } } }).cause?.body?.issuer);
      if (err instanceof oauth.OperationProcessingError && err.code === oauth.JSON_ATTRIBUTE_COMPARISON && typeof advertised === 'string') {
        const said = `The server says its issuer is ${advertised}, not ${issuerUrl.href.replace(/\/$/, '')} (OpenID Connect Discovery §4.3)`;
        throw new ProviderAnswerError(`${said}; link with the issuer ${advertised}.`, { cause: err, cliMessage: `${said}; link with --issuer ${advertised}.` });
      }
      lastError = err instanceof Error ? err.message.replace(/"response" /g, 'the answer ').slice(0, 200) : 'unknown error';
      continue;
    }
    if (!as.authorization_endpoint || !as.token_endpoint) {
      throw new ProviderError('invalid_metadata', `${issuerUrl.host} has no authorization or token endpoint`);
    }
    return {
      issuer: as.issuer,
      authorization_endpoint: as.authorization_endpoint,
      token_endpoint: as.token_endpoint,
      revocation_endpoint: as.revocation_endpoint,
      userinfo_endpoint: as.userinfo_endpoint,
      authorization_response_iss_parameter_supported: as.authorization_response_iss_parameter_supported,
      scopes_supported: Array.isArray(as.scopes_supported) ? as.scopes_supported.filter((v) => typeof v === 'string') : null,
    };
  }
  if (moved) {
    const said = `${moved.url} answered HTTP ${moved.status}, moved to ${moved.location}: the server does not serve its metadata where OpenID Connect Discovery §4 puts it`;
    throw new ProviderAnswerError(`${said}. Give the authorization and token endpoints with the issuer, or have the server serve it there.`, {
      cliMessage: `${said}. Link with --issuer ${issuerUrl.href.replace(/\/$/, '')} --authorize-url URL --token-url URL, or have the server serve it there.`,
    });
  }
  throw new ProviderAnswerError(`${issuerUrl.host} publishes no OAuth metadata (${lastError}); give the authorization and token endpoints.`, {
    cliMessage: `${issuerUrl.host} publishes no OAuth metadata (${lastError}); pass --authorize-url and --token-url.`,
  });
}

/**
 * The settings a new link starts from: metadata cached before `scopes_supported` was kept is found
 * again, so the default scopes follow what the server has.
 */
export function forLinking(settings: ProfileSettings): ProfileSettings {
  return settings.metadata && settings.metadata.scopes_supported === undefined && settings.issuer ? { ...settings, metadata: undefined } : settings;
}

/**
 * Builds the provider for a profile. OIDC profiles without cached metadata (and without both
 * endpoints given) discover it: the returned settings then carry it, for the caller to save.
 */
export async function resolveProvider(settings: ProfileSettings, deps: AuthDeps): Promise<Provider> {
  return withCleanAccount(await providerFor(settings, deps));
}

/** Whoever the provider says the account is, it reaches the config, the terminal and the window as clean text (sanitize.ts). */
function withCleanAccount(provider: Provider): Provider {
  const fetchAccount = provider.fetchAccount.bind(provider);
  return {
    ...provider,
    async fetchAccount(tokens, deps) {
      const account = cleanAccount(await fetchAccount(tokens, deps));
      if (!account) throw new ProviderError('invalid_response', 'the account has no usable id');
      return account;
    },
  };
}

async function providerFor(settings: ProfileSettings, deps: AuthDeps): Promise<Provider> {
  // A developer token needs no client id: nothing it does authenticates the client.
  if (settings.provider === 'box-developer-token') return boxDeveloperToken(settings);
  if (!settings.clientId) throw new UsageError('A client id is needed: give the client id from your app registration.', { cliMessage: 'A client id is needed: pass --client-id.' });
  switch (settings.provider) {
    case 'dropbox':
      return dropbox(settings);
    case 'box':
      return box(settings);
    case 'box-jwt':
      return boxJwt(settings);
    case 'oidc': {
      let metadata = settings.metadata;
      if (!metadata) {
        const e = settings.endpoints;
        if (e?.authorize && e.token) {
          // Both endpoints given: the issuer, if given, is what ID tokens are checked against, and
          // discovery only fills in what is not given (revocation, userinfo, scopes) if it works.
          const given = { authorization_endpoint: e.authorize, token_endpoint: e.token };
          const found = settings.issuer ? await discover(settings.issuer, deps).catch(() => null) : null;
          metadata = { scopes_supported: null, ...found, issuer: settings.issuer ?? new URL(e.authorize).origin, ...given };
        } else if (settings.issuer) {
          metadata = await discover(settings.issuer, deps);
        } else {
          throw new UsageError('An OpenID Connect profile needs its issuer URL (or its authorization and token endpoints).', { cliMessage: 'An OpenID Connect profile needs --issuer (or --authorize-url and --token-url).' });
        }
      }
      return oidc({ ...settings, metadata }, metadata);
    }
    default:
      throw new UsageError(`Unknown provider "${String(settings.provider)}": use dropbox, box, oidc or sandbox.`);
  }
}
