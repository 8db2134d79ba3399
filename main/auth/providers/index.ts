/**
 * Provider profiles: where each provider's endpoints are, which authorization parameters it wants,
 * how it names the account, and how it revokes. Everything here is non-secret settings plus pure
 * request code; the flows (flow.ts) and the session (session.ts) use it the same way for all.
 * One module per provider family; this one picks the profile for a profile's settings.
 */
import { ProviderError, UsageError } from '../../errors.js';
import { cleanAccount } from '../../sanitize.js';
import type { ProfileSettings } from '../../model.js';
import type { AuthDeps } from '../http.js';
import { box, boxDeveloperToken, boxJwt } from './box.js';
import type { Provider } from './common.js';
import { dropbox } from './dropbox.js';
import { google, googleIssuerOf } from './google.js';
import { discoverMicrosoft, onedrive } from './microsoft.js';
import { discover, oidc } from './oidc.js';

export type { AccountInfo, EndpointOverrides, ProfileSettings, RedirectMode, ServerMetadata } from '../../model.js';
export type { Provider, ProviderCredentials, RevocationOutcome } from './common.js';
export { IDLE_REFRESH_LIFETIMES, idleRefreshLifetime } from './lifetimes.js';
export { DEFAULT_OIDC_SCOPES, defaultOidcScopes, discover, forLinking } from './oidc.js';
export * from './facts.js';
export { googlePasteRefused } from './google.js';
export type { DeviceFlowSupport } from './common.js';

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
    case 'google': {
      const metadata = settings.metadata ?? (await discover(googleIssuerOf(settings), deps));
      return google({ ...settings, metadata }, metadata);
    }
    case 'onedrive': {
      const metadata = settings.metadata ?? (await discoverMicrosoft(settings, deps));
      return onedrive({ ...settings, metadata }, metadata);
    }
    default:
      throw new UsageError(`Unknown provider "${String(settings.provider)}": use dropbox, box, google, onedrive, oidc or sandbox.`);
  }
}

