/**
 * What every provider profile is (the Provider interface the flows and the session use) and the
 * small request helpers the profiles share: bearer requests to an account API, endpoint overrides
 * checked, client-secret authentication, RFC 7009 revocation.
 */
import * as oauth from 'oauth4webapi';
import { UsageError } from '../../errors.js';
import type { AccountInfo, EndpointOverrides, ProfileSettings, ProviderKind, RedirectMode } from '../../model.js';
import { assertSafeEndpoint, connectionFailed, providerFailure, requestOptions, type AuthDeps } from '../http.js';

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
  /**
   * Where the person removes the app's access when unlink could not revoke it (said word for word
   * after a `no-endpoint` outcome); absent: the generic advice.
   */
  readonly removeAccess?: string;
  /** Set when the provider takes no pasted code: the error to give when one is asked for (Google). */
  readonly pasteRefused?: () => Error;
  /**
   * RFC 8628 device authorization as the profile knows it (the device lane reads it): whether the
   * provider offers it, its endpoint, and the only scopes it allows there when it limits them.
   */
  readonly deviceFlow?: DeviceFlowSupport;
}

/** What a provider's profile says of the device authorization grant (RFC 8628). */
export interface DeviceFlowSupport {
  readonly supported: boolean;
  readonly endpoint?: string | undefined;
  /** When set, only these scopes may be asked for in the device flow (Google). */
  readonly allowedScopes?: readonly string[] | undefined;
}

/** What a revocation did: answered with success, or not sent because the provider has no endpoint. */
export type RevocationOutcome = 'revoked' | 'no-endpoint';

export const LOOPBACK_PASTE_URI = 'http://127.0.0.1/callback';

export function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function clientSecretAuth(kind: string, secret: string | undefined): oauth.ClientAuth {
  if (!secret) throw new UsageError(`This ${kind} client needs its client secret: give it when you link.`, { cliMessage: `This ${kind} client needs its client secret: set AUTHTRAY_CLIENT_SECRET or enter it when asked.` });
  return oauth.ClientSecretPost(secret);
}

export async function bearerPost(url: string, accessToken: string, deps: AuthDeps): Promise<Response> {
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

export async function bearerGet(url: string, accessToken: string, deps: AuthDeps): Promise<Response> {
  try {
    return await deps.fetch(url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(deps.requestTimeoutMs),
    });
  } catch (err) {
    throw connectionFailed(url, err);
  }
}

export function checked(settings: ProfileSettings, name: keyof EndpointOverrides, fallback: string): string {
  const value = settings.endpoints?.[name] ?? fallback;
  return assertSafeEndpoint(`${name} URL`, value).href;
}

export async function revokeRfc7009(
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

