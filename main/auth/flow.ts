/**
 * The authorization-code flow, both ways home: the user pastes what the provider showed (a code, or
 * the whole redirect URL from the address bar), or the loopback listener receives the redirect.
 * Errors follow Dropbox's `finish()`: bad request, bad state, CSRF, not approved, provider error;
 * then maestral's outcomes for the exchange: invalid token, connection failed.
 */
import { timingSafeEqual } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import {
  BadRequestError,
  BadStateError,
  CsrfError,
  InvalidTokenError,
  NotApprovedError,
  ProviderError,
} from '../errors.js';
import { oauthErrorText } from '../sanitize.js';
import { requestOptions, type AuthDeps } from './http.js';
import { tokenEndpointCall } from './tokens.js';
import { PENDING_TTL_MS, type PendingAuthorization } from '../store/pending.js';
import type { Provider, RedirectMode } from './providers/index.js';

/** Longest input accepted from a paste or a redirect (codes are short; URLs carry a few parameters). */
export const MAX_INPUT_LENGTH = 4096;
const CODE_PATTERN = /^[A-Za-z0-9._~+/=-]{1,2048}$/;

export interface StartedAuthorization {
  readonly url: URL;
  readonly pending: PendingAuthorization;
}

/** Builds the authorization URL with a fresh state and PKCE verifier, and the pending record to keep. */
export async function buildAuthorization(
  provider: Provider,
  options: { profile: string; mode: RedirectMode; redirectUri: string | null; now: number },
): Promise<StartedAuthorization> {
  const pending: PendingAuthorization = {
    profile: options.profile,
    settings: provider.settings,
    state: oauth.generateRandomState(),
    codeVerifier: provider.usesPkce ? oauth.generateRandomCodeVerifier() : null,
    // OIDC Core §3.1.2.1: optional for the code flow, but some servers (glewlwyd) require it.
    ...(asksForOpenId(provider) ? { nonce: oauth.generateRandomNonce() } : {}),
    redirectUri: options.redirectUri,
    mode: options.mode,
    createdAt: options.now,
    expiresAt: options.now + PENDING_TTL_MS,
  };
  return { url: await authorizationUrl(provider, pending), pending };
}

/** An OpenID Connect request: an ID token comes back, and with it the nonce to check. */
function asksForOpenId(provider: Provider): boolean {
  return provider.kind === 'oidc' && (provider.authorizationParameters().scope ?? '').split(' ').includes('openid');
}

/**
 * The authorization URL of a pending authorization. Deterministic (the PKCE challenge is derived
 * from the verifier), so the app can show the same URL again after its window was reopened.
 */
export async function authorizationUrl(provider: Provider, pending: Pick<PendingAuthorization, 'state' | 'codeVerifier' | 'redirectUri' | 'nonce'>): Promise<URL> {
  const url = new URL(provider.as.authorization_endpoint!);
  const params = url.searchParams;
  params.set('client_id', provider.client.client_id);
  params.set('response_type', 'code');
  if (pending.redirectUri) params.set('redirect_uri', pending.redirectUri);
  params.set('state', pending.state);
  if (pending.nonce) params.set('nonce', pending.nonce);
  if (pending.codeVerifier) {
    params.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.codeVerifier));
    params.set('code_challenge_method', 'S256');
  }
  for (const [key, value] of Object.entries(provider.authorizationParameters())) params.set(key, value);
  return url;
}

/** What came back from the user or the browser, parsed but not yet trusted. */
export interface AuthorizationInput {
  readonly params: URLSearchParams;
  /** True for a bare code typed by the user: there is no state to check. */
  readonly bareCode: boolean;
}

/**
 * Parses a pasted code or redirect URL: trimmed, length-limited, and either a URL carrying `code`
 * or `error`, or a bare code of URL-safe characters. Anything else is a BadRequestError.
 */
export function parseAuthorizationInput(raw: string): AuthorizationInput {
  const input = raw.trim();
  if (input.length === 0) throw new BadRequestError('Nothing was entered. Paste the code the provider showed, or the whole address from the browser.');
  if (input.length > MAX_INPUT_LENGTH) throw new BadRequestError(`The input is too long (more than ${MAX_INPUT_LENGTH} characters). Paste only the code or the redirect address.`);
  if (/^https?:\/\//i.test(input) || input.startsWith('?')) {
    let params: URLSearchParams;
    try {
      params = input.startsWith('?') ? new URLSearchParams(input) : new URL(input).searchParams;
    } catch {
      throw new BadRequestError('The address could not be read. Paste it again, complete, from the browser’s address bar.');
    }
    if (!params.has('code') && !params.has('error')) {
      throw new BadRequestError('The address has no authorization code. Paste the address the browser shows after you approved.');
    }
    return { params, bareCode: false };
  }
  if (!CODE_PATTERN.test(input)) throw new BadRequestError('That is not a code or an address from the provider. Paste the code exactly as the provider shows it, or the whole address from the browser.');
  return { params: new URLSearchParams({ code: input }), bareCode: true };
}

export function noPendingAuthorization(): BadStateError {
  return new BadStateError('No link is in progress for this profile. Start the link again.');
}

/** Compares two secrets (a `state`) in constant time. */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a callback against the pending authorization, in Dropbox's order: no pending flow or
 * expired → BadState; state mismatch → Csrf (the pending flow is left as it was); an error →
 * NotApproved or Provider; no code → BadRequest.
 */
export function checkAuthorizationResponse(
  provider: Provider,
  pending: PendingAuthorization | null,
  input: AuthorizationInput,
  now: number,
): URLSearchParams {
  if (!pending) throw noPendingAuthorization();
  if (now >= pending.expiresAt) throw new BadStateError('The link attempt expired (it lasts 10 minutes). Start the link again.');
  const { params } = input;
  if (params.getAll('code').length > 1 || params.getAll('state').length > 1) {
    throw new BadRequestError('The redirect carried a parameter twice. Start the link again.');
  }
  const state = params.get('state');
  if (state !== null) {
    if (!sameString(state, pending.state)) throw new CsrfError();
  } else if (!input.bareCode) {
    throw new BadRequestError('The redirect has no state parameter. Paste the complete address from the browser.');
  }
  const error = params.get('error');
  if (error !== null) {
    if (error === 'access_denied') throw new NotApprovedError();
    throw new ProviderError(error, params.get('error_description') ?? undefined);
  }
  if (!params.get('code')) throw new BadRequestError('The redirect has no authorization code. Start the link again.');
  // A bare code comes from the provider's own page, not a redirect: there is no state to compare
  // (skipStateCheck), and the `iss` the server would have added is the server we sent the user to.
  const callback = new URLSearchParams(params);
  if (input.bareCode && provider.as.authorization_response_iss_parameter_supported) callback.set('iss', provider.as.issuer);
  try {
    return oauth.validateAuthResponse(provider.as, provider.client, callback, input.bareCode ? oauth.skipStateCheck : pending.state);
  } catch (err) {
    throw new BadRequestError('The authorization response was not valid for this provider. Start the link again.', { cause: err });
  }
}

/**
 * Exchanges the code for tokens: one request. A rejected code is InvalidTokenError; an unreachable
 * provider is ConnectionFailedError.
 */
export async function exchangeCode(
  provider: Provider,
  pending: PendingAuthorization,
  callback: URLSearchParams,
  clientSecret: string | undefined,
  deps: AuthDeps,
): Promise<oauth.TokenEndpointResponse> {
  const { as, client } = provider;
  const options = requestOptions(deps, as.token_endpoint!);
  const auth = provider.clientAuth(clientSecret);
  return tokenEndpointCall(
    as.token_endpoint!,
    async () => {
      if (pending.redirectUri === null) {
        // Dropbox's code-display flow sent no redirect_uri, so the exchange must not send one
        // (authorizationCodeGrantRequest always does).
        const params: Record<string, string> = { code: callback.get('code')! };
        if (pending.codeVerifier) params.code_verifier = pending.codeVerifier;
        const response = await oauth.genericTokenEndpointRequest(as, client, auth, 'authorization_code', params, options);
        return oauth.processGenericTokenEndpointResponse(as, client, response);
      }
      const response = await oauth.authorizationCodeGrantRequest(as, client, auth, callback, pending.redirectUri, pending.codeVerifier ?? oauth.nopkce, options);
      return oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce ?? oauth.expectNoNonce });
    },
    {
      what: 'the code exchange',
      next: 'start the link again',
      refused: (err) => new InvalidTokenError(`The provider rejected the authorization code (${oauthErrorText({ error: err.error })}). Start the link again and paste the new code.`, { cause: err }),
    },
  );
}
