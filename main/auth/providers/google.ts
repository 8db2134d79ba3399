/**
 * Google Drive (docs/providers/google.md has every fact used here, with its source): Google's
 * OpenID Connect discovery, a desktop client (loopback on any port, PKCE, a client secret Google
 * says is not confidential but which is kept with the credentials all the same), a refresh token
 * only with `access_type=offline`, and again on relink only with `prompt=consent`; no pasted codes
 * (Google ended the out-of-band flow); revocation with the token alone; `drive.file` by default;
 * the account from the ID token (or userinfo), the Drive user from Drive's `about`.
 */
import * as oauth from 'oauth4webapi';
import { ProviderError, UsageError } from '../../errors.js';
import type { ProfileSettings, ServerMetadata } from '../../model.js';
import { connectionFailed, providerFailure, readJson } from '../http.js';
import { bearerGet, checked, clientSecretAuth, str, type Provider } from './common.js';
import { GOOGLE_DEVICE_SCOPES, GOOGLE_ISSUER, googleScopes } from './facts.js';
import { expectIssuer, oidc } from './oidc.js';

const DRIVE_API = 'https://www.googleapis.com/';

/** No pasted codes at Google: the error says the ways that work. */
export function googlePasteRefused(): UsageError {
  const said = 'Google takes no pasted codes (it ended the out-of-band flow in 2022)';
  const device = "on a machine without a browser (Google allows only the drive.file and drive.appdata Drive scopes there)";
  return new UsageError(`${said}: link with the loopback redirect, the default, or with the device flow ${device}.`, {
    cliMessage: `${said}: link without --redirect paste (the loopback redirect is the default), or with --device ${device}.`,
  });
}

/** Google's ID tokens may carry the issuer without its scheme (`accounts.google.com`); both forms are Google's. */
function googleIssuer(as: oauth.AuthorizationServer) {
  return (result: { claims: { iss?: unknown } }) => (result.claims.iss === 'accounts.google.com' && as.issuer === GOOGLE_ISSUER ? 'accounts.google.com' : as.issuer);
}

export function google(settings: ProfileSettings, metadata: ServerMetadata): Provider {
  const base = oidc({ ...settings, confidential: true }, metadata);
  const { as } = base;
  expectIssuer(as, googleIssuer(as));
  const api = checked(settings, 'api', DRIVE_API).replace(/\/?$/, '/');
  const scopes = googleScopes(settings.scopes);
  return {
    ...base,
    kind: 'google',
    needsClientSecret: true,
    defaultRedirect: 'loopback',
    pasteRefused: googlePasteRefused,
    deviceFlow: { supported: true, endpoint: 'https://oauth2.googleapis.com/device/code', allowedScopes: GOOGLE_DEVICE_SCOPES },
    authorizationParameters() {
      // A refresh token only with access_type=offline, and on a relink only after the consent screen.
      return { scope: scopes.join(' '), access_type: 'offline', prompt: 'consent' };
    },
    clientAuth: (secret) => clientSecretAuth('Google', secret),
    async fetchAccount(tokens, deps) {
      const person = await base.fetchAccount(tokens, deps);
      const body = await readJson(await bearerGet(new URL('drive/v3/about?fields=user', api).href, tokens.access_token, deps), 'Drive user');
      const user = body.user as Record<string, unknown> | undefined;
      const id = str(user?.permissionId);
      if (!id) throw new ProviderError('invalid_response', "Drive's about answer has no user");
      return { ...person, name: person.name ?? str(user?.displayName), email: person.email ?? str(user?.emailAddress), drive: { id, type: 'drive', owner: str(user?.displayName) } };
    },
    async revoke(credentials, deps) {
      // Google's revocation takes the token alone (no client authentication); a refresh token revokes the grant.
      const url = as.revocation_endpoint;
      if (!url) return 'no-endpoint';
      let response: Response;
      try {
        response = await deps.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: credentials.refreshToken ?? credentials.accessToken }),
          signal: AbortSignal.timeout(deps.requestTimeoutMs),
        });
      } catch (err) {
        throw connectionFailed(url, err);
      }
      await response.body?.cancel();
      if (!response.ok) throw providerFailure('to revoke the grant', url, response);
      return 'revoked';
    },
  };
}

/** Where a Google profile discovers its metadata. */
export function googleIssuerOf(settings: ProfileSettings): string {
  return settings.issuer ?? GOOGLE_ISSUER;
}

