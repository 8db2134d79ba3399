/** The Box profiles: OAuth 2.0 apps, server auth (JWT) and developer tokens. */
import * as oauth from 'oauth4webapi';
import { needsClientSecret } from '../../link-request.js';
import { ProviderError, UsageError } from '../../errors.js';
import type { ProfileSettings } from '../../model.js';
import { readJson } from '../http.js';
import { bearerGet, checked, clientSecretAuth, LOOPBACK_PASTE_URI, revokeRfc7009, str, type Provider } from './common.js';

/** Box: client secret, loopback on any port, rotating refresh tokens. */
export function box(settings: ProfileSettings): Provider {
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
export function boxJwt(settings: ProfileSettings): Provider {
  return { ...box(settings), kind: 'box-jwt' };
}

/** A Box developer token: Box's API, nothing to refresh, nothing this client may revoke. */
export function boxDeveloperToken(settings: ProfileSettings): Provider {
  return {
    ...box(settings),
    kind: 'box-developer-token',
    revocable: false,
    async revoke() {
      throw new UsageError('A Box developer token cannot be revoked by a client: it stops working 60 minutes after it was made, or revoke it in the Box Developer Console');
    },
  };
}

