/**
 * Downscoping (RFC 8693 token exchange, Box's `downscope_token`): trade an access token for one that
 * can do less (fewer scopes, optionally one file, folder or shared link), to hand to a place that is
 * trusted less (a browser, a preview widget). The restricted token is returned, never stored.
 */
import * as oauth from 'oauth4webapi';
import { InvalidTokenError, UsageError } from '../errors.js';
import { oauthErrorText } from '../sanitize.js';
import { requestOptions, type AuthDeps } from './http.js';
import { expiresAtOf, grantedScopes, tokenEndpointCall } from './tokens.js';
import type { Provider } from './providers.js';

/** RFC 8693 §2.1. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Box's downscope scopes (Box's `TokenScope` and its UI Elements scopes). */
export const BOX_DOWNSCOPE_SCOPES = [
  'item_preview',
  'item_read',
  'item_readwrite',
  'item_upload',
  'item_download',
  'item_delete',
  'item_share',
  'base_explorer',
  'base_picker',
  'base_preview',
  'base_upload',
  'base_sidebar',
  'annotation_edit',
  'annotation_view_all',
  'annotation_view_self',
] as const;
export type BoxDownscopeScope = (typeof BOX_DOWNSCOPE_SCOPES)[number];

export interface DownscopeOptions {
  /** Only this item: the API URL of a file or folder (`https://api.box.com/2.0/files/123`). */
  resource?: string | undefined;
  /** Only the item behind this shared link (Box's `box_shared_link`). */
  sharedLink?: string | undefined;
}

export interface DownscopedToken {
  accessToken: string;
  /** ms since the epoch; null when the provider did not say. */
  expiresAt: number | null;
  scopes: string[];
  /** Box: `[{ scope, object }]`, what the token is limited to. */
  restrictedTo: unknown[];
  /** RFC 8693 `issued_token_type`. */
  issuedTokenType: string | null;
}

/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

function checkUrl(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
  } catch {
    // reported below
  }
  throw new UsageError(`The ${name} must be a full http(s) URL, such as https://api.box.com/2.0/files/123.`);
}

const isBox = (provider: Provider) => provider.kind === 'box' || provider.kind === 'box-jwt' || provider.kind === 'box-developer-token';

/** Box takes downscoping requests without client authentication (its SDKs send none), so none is sent. */
const noClientAuthentication: oauth.ClientAuth = () => {};

/**
 * One request at the provider's token endpoint. Box profiles send no client credentials; other
 * providers authenticate the client as for a refresh.
 */
export async function downscopeToken(
  provider: Provider,
  subjectToken: string,
  scopes: readonly string[],
  options: DownscopeOptions & { clientSecret?: string | undefined },
  deps: AuthDeps,
): Promise<DownscopedToken> {
  if (scopes.length === 0) throw new UsageError(`Name at least one scope to downscope to${isBox(provider) ? ` (Box: ${BOX_DOWNSCOPE_SCOPES.slice(0, 7).join(', ')}, ...)` : ''}.`);
  const bad = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (bad !== undefined) throw new UsageError(`"${bad.slice(0, 40)}" is not a scope name.`);
  if (options.resource && options.sharedLink) throw new UsageError('Restrict the token to a resource or to a shared link, not both.');
  const params: Record<string, string> = {
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    scope: scopes.join(' '),
  };
  if (options.resource) params.resource = checkUrl('resource', options.resource);
  if (options.sharedLink) params.box_shared_link = checkUrl('shared link', options.sharedLink);

  const { as } = provider;
  // oauth4webapi wants a client id even when none is sent (a developer token may have none).
  const client: oauth.Client = { client_id: provider.client.client_id || 'box-developer-token' };
  const auth = isBox(provider) ? noClientAuthentication : provider.clientAuth(options.clientSecret);
  const tokens = await tokenEndpointCall(
    as.token_endpoint!,
    async () => {
      const response = await oauth.genericTokenEndpointRequest(as, client, auth, TOKEN_EXCHANGE_GRANT, params, requestOptions(deps, as.token_endpoint!));
      return oauth.processGenericTokenEndpointResponse(as, client, response);
    },
    {
      what: 'the token exchange',
      refused: (err) => {
        const said = `${new URL(as.token_endpoint!).host} refused to downscope the token (${oauthErrorText(err)}).`;
        if (err.error === 'invalid_grant') {
          const hint = ' The access token was not accepted:';
          return new InvalidTokenError(`${said}${hint} check the profile's status.`, { cause: err, cliMessage: `${said}${hint} check the profile with authtray status.` });
        }
        const hint = err.error === 'invalid_scope' && isBox(provider) ? ` Box's downscope scopes are ${BOX_DOWNSCOPE_SCOPES.join(', ')}.` : '';
        return new InvalidTokenError(`${said}${hint}`, { cause: err });
      },
    },
  );
  return {
    accessToken: tokens.access_token,
    expiresAt: expiresAtOf(tokens.expires_in, deps.now()),
    scopes: grantedScopes(tokens, scopes),
    restrictedTo: Array.isArray(tokens.restricted_to) ? tokens.restricted_to : [],
    issuedTokenType: typeof tokens.issued_token_type === 'string' ? tokens.issued_token_type : null,
  };
}
