/**
 * OneDrive on the Microsoft identity platform v2 (docs/providers/onedrive.md has every fact used
 * here, with its source): a tenant (`common`, `consumers`, `organizations`, or a tenant id or
 * domain) in every endpoint; a public client with PKCE; a loopback redirect whose port Microsoft
 * ignores; `offline_access` for a refresh token, which Microsoft replaces on every refresh; no
 * revocation a client may call; the account from the ID token and Graph `/me`, the drive from
 * Graph `/me/drive`.
 *
 * The multi-tenant discovery documents (`common`, `organizations`) name the issuer as a template,
 * `https://login.microsoftonline.com/{tenantid}/v2.0`. The issuer an ID token must name is that
 * template with the token's own `tid`: oauth4webapi still compares it exactly (see expectIssuer).
 * A token whose `tid` and `iss` do not agree is refused.
 */
import * as oauth from 'oauth4webapi';
import { ProviderAnswerError, ProviderError } from '../../errors.js';
import { checkTenant } from '../../link-request.js';
import type { ProfileSettings, ServerMetadata } from '../../model.js';
import { assertSafeEndpoint, connectionFailed, providerFailure, readJson, requestOptions, type AuthDeps } from '../http.js';
import { bearerGet, checked, str, type Provider } from './common.js';
import { CONSUMERS_TENANT_ID, MICROSOFT_AUTHORITY, MICROSOFT_REMOVE_ACCESS, onedriveScopes, TENANT_PLACEHOLDER } from './facts.js';
import { expectIssuer, oidc } from './oidc.js';

const GRAPH_API = 'https://graph.microsoft.com/';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const authorityOf = (settings: ProfileSettings) => (settings.issuer ?? MICROSOFT_AUTHORITY).replace(/\/+$/, '');

/**
 * The issuers a tenant's discovery document may name: the template for `common` and
 * `organizations`; the personal-account tenant for `consumers`; that tenant for an id; any tenant
 * id for a domain (the document says which).
 */
function issuerFits(issuer: string, authority: string, tenant: string): boolean {
  const prefix = `${authority}/`;
  if (!issuer.startsWith(prefix) || !issuer.endsWith('/v2.0')) return false;
  const named = issuer.slice(prefix.length, -'/v2.0'.length);
  if (tenant === 'common' || tenant === 'organizations') return named === TENANT_PLACEHOLDER;
  if (tenant === 'consumers') return named === CONSUMERS_TENANT_ID;
  if (GUID.test(tenant)) return named.toLowerCase() === tenant.toLowerCase();
  return GUID.test(named);
}

/**
 * Discovers a tenant's metadata at `{authority}/{tenant}/v2.0`. The document's issuer differs from
 * that URL by design (a template, or the tenant's id), so oauth4webapi's equality check is replaced
 * by the rule above: an issuer that fits no rule is refused.
 */
export async function discoverMicrosoft(settings: ProfileSettings, deps: AuthDeps): Promise<ServerMetadata> {
  const authority = authorityOf(settings);
  const tenant = checkTenant(settings.tenant);
  const url = assertSafeEndpoint('authority', `${authority}/${tenant}/v2.0`);
  let as: oauth.AuthorizationServer;
  try {
    const response = await oauth.discoveryRequest(url, requestOptions(deps, url));
    if (response.status >= 500) throw connectionFailed(url, response);
    as = await oauth.processDiscoveryResponse((oauth as unknown as { _nodiscoverycheck: URL })._nodiscoverycheck, response);
  } catch (err) {
    throw providerFailure('the discovery request', url, err, `check the tenant "${tenant}"`);
  }
  if (!issuerFits(as.issuer, authority, tenant)) {
    throw new ProviderAnswerError(`The Microsoft discovery document of tenant "${tenant}" names the issuer ${as.issuer}, which is not an issuer of that tenant at ${authority}; authtray does not trust it.`);
  }
  if (!as.authorization_endpoint || !as.token_endpoint) throw new ProviderError('invalid_metadata', `${url.host} has no authorization or token endpoint`);
  return {
    issuer: as.issuer,
    authorization_endpoint: as.authorization_endpoint,
    token_endpoint: as.token_endpoint,
    revocation_endpoint: undefined,
    userinfo_endpoint: as.userinfo_endpoint,
    scopes_supported: Array.isArray(as.scopes_supported) ? as.scopes_supported.filter((v) => typeof v === 'string') : null,
  };
}

export function onedrive(settings: ProfileSettings, metadata: ServerMetadata): Provider {
  const base = oidc({ ...settings, confidential: false }, { ...metadata, revocation_endpoint: undefined });
  const { as } = base;
  if (as.issuer.includes(TENANT_PLACEHOLDER)) {
    // The token's own tid in the template; a token without one gets an issuer no token can have.
    expectIssuer(as, ({ claims }) => as.issuer.replace(TENANT_PLACEHOLDER, typeof claims.tid === 'string' && GUID.test(claims.tid) ? claims.tid : 'undefined'));
  }
  const graph = checked(settings, 'api', GRAPH_API).replace(/\/?$/, '/');
  const scopes = onedriveScopes(settings.scopes);
  const tenant = checkTenant(settings.tenant);
  return {
    ...base,
    kind: 'onedrive',
    needsClientSecret: false,
    removeAccess: MICROSOFT_REMOVE_ACCESS,
    deviceFlow: { supported: true, endpoint: `${authorityOf(settings)}/${tenant}/oauth2/v2.0/devicecode` },
    authorizationParameters() {
      // Microsoft issues refresh tokens for offline_access without a consent prompt.
      return { scope: scopes.join(' ') };
    },
    clientAuth: () => oauth.None(),
    async fetchAccount(tokens, deps) {
      const claims = oauth.getValidatedIdTokenClaims(tokens);
      const me = await readJson(await bearerGet(new URL('v1.0/me', graph).href, tokens.access_token, deps), 'Microsoft Graph user');
      const drive = await readJson(await bearerGet(new URL('v1.0/me/drive', graph).href, tokens.access_token, deps), 'OneDrive drive');
      const id = str(claims?.oid) ?? str(me.id) ?? str(claims?.sub);
      const driveId = str(drive.id);
      if (!id) throw new ProviderError('invalid_response', 'the user has no id');
      if (!driveId) throw new ProviderError('invalid_response', 'the drive has no id');
      const owner = (drive.owner as { user?: { displayName?: unknown } } | undefined)?.user?.displayName;
      return {
        id,
        name: str(me.displayName) ?? str(claims?.name),
        email: str(me.mail) ?? str(me.userPrincipalName) ?? str(claims?.preferred_username),
        drive: { id: driveId, type: str(drive.driveType), owner: str(owner) },
      };
    },
    async revoke() {
      return 'no-endpoint';
    },
  };
}
