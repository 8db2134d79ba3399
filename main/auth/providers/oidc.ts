/** Any OAuth 2.0 / OpenID Connect server: discovery, default scopes, the profile built from metadata. */
import * as oauth from 'oauth4webapi';
import { needsClientSecret } from '../../link-request.js';
import { ProviderAnswerError, ProviderError } from '../../errors.js';
import type { ProfileSettings, ServerMetadata } from '../../model.js';
import { assertSafeEndpoint, connectionFailed, providerFailure, requestOptions, type AuthDeps } from '../http.js';
import { clientSecretAuth, LOOPBACK_PASTE_URI, revokeRfc7009, str, type Provider } from './common.js';

/**
 * Default scopes of an OpenID Connect profile: the ID token and the account's name and email, and
 * `offline_access` (refresh tokens; OIDC Core §11) only where discovery's `scopes_supported` lists
 * it. oidc-provider lists it and issues refresh tokens only with it; Django OAuth Toolkit has no
 * such scope (asking for it is `invalid_scope`) and issues refresh tokens anyway. A server that
 * lists its scopes is asked only for those of these it has.
 */
export const DEFAULT_OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/**
 * oauth4webapi's hook for the issuer an ID token must name, computed from the token: what
 * openid-client (by oauth4webapi's author) sets for Microsoft's multi-tenant issuer template. The
 * issuer is still compared exactly, only against this value; oauth4webapi exports the symbol
 * without a type, so it is reached here, in one place.
 */
const EXPECTED_ISSUER: symbol = (oauth as unknown as { _expectedIssuer: symbol })._expectedIssuer;

export type ExpectedIssuer = (result: { claims: Record<string, unknown> }) => string;

export function expectIssuer(as: oauth.AuthorizationServer, expected: ExpectedIssuer): void {
  if (typeof EXPECTED_ISSUER !== 'symbol') throw new Error('oauth4webapi no longer exports _expectedIssuer');
  (as as unknown as Record<symbol, ExpectedIssuer>)[EXPECTED_ISSUER] = expected;
}

export function defaultOidcScopes(supported: readonly string[] | null | undefined): string[] {
  if (!supported) return DEFAULT_OIDC_SCOPES.filter((s) => s !== 'offline_access');
  return DEFAULT_OIDC_SCOPES.filter((s) => supported.includes(s));
}

/** Any OAuth 2.0 / OpenID Connect server, from discovered metadata plus overrides. */
export function oidc(settings: ProfileSettings, metadata: ServerMetadata): Provider {
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

