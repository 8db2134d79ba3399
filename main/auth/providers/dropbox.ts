/** The Dropbox profile. */
import * as oauth from 'oauth4webapi';
import { ProviderError } from '../../errors.js';
import type { ProfileSettings } from '../../model.js';
import { providerFailure, readJson } from '../http.js';
import { bearerPost, checked, str, type Provider } from './common.js';

/** Dropbox: PKCE, `token_access_type=offline`, paste flow by default, loopback on a fixed port. */
export function dropbox(settings: ProfileSettings): Provider {
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
    loopbackPort: settings.port ?? null,
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

