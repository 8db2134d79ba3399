/**
 * Token answers and credential records, in one place: the record made from a grant, the record
 * merged after a refresh, expiry (`expires_in` seconds → ms since the epoch), the token kind, and
 * freshness (when to refresh). Plus the one wrapper around token-endpoint calls that turns their
 * failures into the typed errors.
 *
 * Light on purpose: `authtray token` with a fresh cached token checks freshness here, so nothing
 * of the protocol code (oauth4webapi, http.ts) loads until a request fails.
 */
import type { ResponseBodyError, TokenEndpointResponse } from 'oauth4webapi';
import { AuthtrayError } from '../errors.js';
import type { CredentialRecord, JwtKeyMaterial, ProviderKind, TokenKind } from '../model.js';

/** Refresh this long before the access token expires, so a token handed out is still good to use. */
export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * True when the record's access token has more than `marginMs` left (legacy tokens always). The one
 * freshness rule: the session, the accounts' fast path and unlink all ask here.
 */
export function isFresh(record: Pick<CredentialRecord, 'expiresAt'>, now: number, marginMs: number): boolean {
  return record.expiresAt === null || record.expiresAt - now > marginMs;
}

/** When a token given `expiresIn` seconds at `now` runs out, in ms since the epoch; null when not said. */
export function expiresAtOf(expiresIn: unknown, now: number): number | null {
  return typeof expiresIn === 'number' ? now + expiresIn * 1000 : null;
}

/** `offline` with a refresh token, `online` when the access token expires, `legacy` when it does not. */
export function tokenKindOf(tokens: { refreshToken: string | null | undefined; expires: boolean }): TokenKind {
  if (tokens.refreshToken) return 'offline';
  return tokens.expires ? 'online' : 'legacy';
}

/** The scopes a token answer granted, else `fallback` (the answer may leave them out). */
export function grantedScopes(tokens: Pick<TokenEndpointResponse, 'scope'>, fallback: readonly string[]): string[] {
  return tokens.scope ? tokens.scope.split(' ') : [...fallback];
}

/** The fields of a record; `version` is added here, and nowhere else. */
export interface RecordFields {
  provider: ProviderKind;
  clientId: string;
  accountId: string;
  tokenKind: TokenKind;
  accessToken: string;
  expiresAt: number | null;
  refreshToken: string | null;
  /** When the provider gave these tokens (ms since the epoch): what keep-alive counts from. */
  issuedAt?: number | undefined;
  scopes: readonly string[];
  clientSecret?: string | undefined;
  jwtKey?: JwtKeyMaterial | undefined;
}

/** A credential record of the current version. Absent secrets stay absent (no `undefined` keys). */
export function credentialRecord(fields: RecordFields): CredentialRecord {
  const { clientSecret, jwtKey, ...rest } = fields;
  return { version: 1, ...rest, ...(clientSecret ? { clientSecret } : {}), ...(jwtKey ? { jwtKey } : {}) };
}

/** The record a grant's token answer makes (a link, a first JWT assertion). */
export function recordFromGrant(
  tokens: TokenEndpointResponse,
  link: {
    provider: ProviderKind;
    clientId: string;
    accountId: string;
    now: number;
    /** The scopes asked for, kept when the answer names none. */
    scopes: readonly string[];
    /** Default: from the answer (offline, online or legacy). */
    tokenKind?: TokenKind;
    clientSecret?: string | undefined;
    jwtKey?: JwtKeyMaterial | undefined;
  },
): CredentialRecord {
  return credentialRecord({
    provider: link.provider,
    clientId: link.clientId,
    accountId: link.accountId,
    tokenKind: link.tokenKind ?? tokenKindOf({ refreshToken: tokens.refresh_token, expires: typeof tokens.expires_in === 'number' }),
    accessToken: tokens.access_token,
    expiresAt: expiresAtOf(tokens.expires_in, link.now),
    refreshToken: tokens.refresh_token ?? null,
    issuedAt: link.now,
    scopes: grantedScopes(tokens, link.scopes),
    clientSecret: link.clientSecret,
    jwtKey: link.jwtKey,
  });
}

/** The stored record after a refresh or renewal: the new access token, and a rotated refresh token if one came. */
export function mergeRefreshed(stored: CredentialRecord, tokens: TokenEndpointResponse, now: number): CredentialRecord {
  return {
    ...stored,
    accessToken: tokens.access_token,
    expiresAt: expiresAtOf(tokens.expires_in, now),
    // Rotating providers (Box, oidc-provider) send a new one; the old is then already spent.
    refreshToken: tokens.refresh_token ?? stored.refreshToken,
    issuedAt: now,
    scopes: grantedScopes(tokens, stored.scopes),
  };
}

export interface TokenEndpointFailures {
  /** The server answered with an OAuth error (`invalid_grant`, ...): what that means for this call. */
  refused(err: ResponseBodyError): Error | Promise<Error>;
  /** Anything else that is not a connection failure; default: "did not answer like an OAuth server". */
  invalid?(err: unknown): Error;
}

/**
 * One call to a token endpoint, its failures sorted the same way for every grant: our own errors
 * pass through; unreachable, timed out, 5xx or not OAuth → ConnectionFailedError naming the host;
 * an OAuth error answer → `refused`; anything else → `invalid` (default: connection failed).
 */
export async function tokenEndpointCall<T>(endpoint: string, request: () => Promise<T>, failures: TokenEndpointFailures): Promise<T> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof AuthtrayError) throw err;
    const [{ isConnectionFailure, connectionFailed }, oauth] = await Promise.all([import('./http.js'), import('oauth4webapi')]);
    if (isConnectionFailure(err)) throw connectionFailed(endpoint, err);
    if (err instanceof oauth.ResponseBodyError) throw await failures.refused(err);
    throw failures.invalid?.(err) ?? connectionFailed(endpoint, err);
  }
}
