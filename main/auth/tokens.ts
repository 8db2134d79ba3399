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

/** Refresh at most this long before the access token expires, so a token handed out is still good to use. */
export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;

/** The share of a token's lifetime left when it is refreshed, for tokens shorter than 20 minutes. */
export const REFRESH_LIFETIME_FRACTION = 1 / 4;

/**
 * The one freshness rule, for the app, the command, the library, the shared stores and the agent
 * (the session, the accounts' fast path and unlink all ask here): until when the access token may
 * be handed out without a refresh, in ms since the epoch; null when it does not expire (legacy).
 * A token is fresh while it has more left than min(`maxMarginMs`, a quarter of its lifetime), and
 * more than `minValidMs` when a caller asks for at least that long (`authtray token --min-valid`,
 * the agent's `minValidMs`). A 120 s token is reused for 90 s, a 60-minute one until 5 minutes are
 * left. Records from before `issuedAt` was kept use the whole margin, as they always did.
 */
export function freshUntil(record: Pick<CredentialRecord, 'expiresAt' | 'issuedAt'>, maxMarginMs: number = DEFAULT_REFRESH_MARGIN_MS, minValidMs = 0): number | null {
  if (record.expiresAt === null) return null;
  const lifetime = record.issuedAt === undefined ? Infinity : Math.max(0, record.expiresAt - record.issuedAt);
  return record.expiresAt - Math.max(minValidMs, Math.min(maxMarginMs, lifetime * REFRESH_LIFETIME_FRACTION));
}

/** True when the record's access token is fresh at `now` (see {@link freshUntil}). */
export function isFresh(record: Pick<CredentialRecord, 'expiresAt' | 'issuedAt'>, now: number, maxMarginMs: number = DEFAULT_REFRESH_MARGIN_MS, minValidMs = 0): boolean {
  const until = freshUntil(record, maxMarginMs, minValidMs);
  return until === null || now < until;
}

/** When a token given `expiresIn` seconds at `now` runs out, in ms since the epoch; null when not said. */
export function expiresAtOf(expiresIn: unknown, now: number): number | null {
  return typeof expiresIn === 'number' ? now + expiresIn * 1000 : null;
}

/** The record's expiry fields from a token answer's `expires_in` (seconds), received at `now`. */
export function expiryOf(expiresIn: unknown, now: number): Pick<CredentialRecord, 'expiresAt' | 'issuedAt'> {
  const expiresAt = expiresAtOf(expiresIn, now);
  return expiresAt === null ? { expiresAt, issuedAt: undefined } : { expiresAt, issuedAt: now };
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
  issuedAt?: number | undefined;
  refreshToken: string | null;
  scopes: readonly string[];
  clientSecret?: string | undefined;
  jwtKey?: JwtKeyMaterial | undefined;
}

/** A credential record of the current version. Absent secrets stay absent (no `undefined` keys). */
export function credentialRecord(fields: RecordFields): CredentialRecord {
  const { clientSecret, jwtKey, issuedAt, ...rest } = fields;
  return { version: 1, ...rest, ...(issuedAt !== undefined ? { issuedAt } : {}), ...(clientSecret ? { clientSecret } : {}), ...(jwtKey ? { jwtKey } : {}) };
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
    ...expiryOf(tokens.expires_in, link.now),
    refreshToken: tokens.refresh_token ?? null,
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
    ...expiryOf(tokens.expires_in, now),
    // Rotating providers (Box, oidc-provider) send a new one; the old is then already spent.
    refreshToken: tokens.refresh_token ?? stored.refreshToken,
    scopes: grantedScopes(tokens, stored.scopes),
  };
}

export interface TokenEndpointFailures {
  /** What the request is, for messages: "the code exchange". */
  what: string;
  /** The step that fixes a refusal or a wrong answer (default: check the app registration). */
  next?: string;
  /** The server answered with an OAuth error (`invalid_grant`, ...): what that means for this call. */
  refused(err: ResponseBodyError): Error | Promise<Error>;
  /** The server refused with a bare 4xx (no OAuth error in the body): an error for it, or null for the usual refusal. */
  bare?(err: unknown, status: number): Error | null | Promise<Error | null>;
}

/**
 * One call to a token endpoint, its failures sorted the same way for every grant: our own errors
 * pass through; no answer, a timeout or a 5xx → ConnectionFailedError naming the host; an OAuth
 * error answer → `refused`; a bare 4xx → `bare`, else a refusal with its status; an answer that
 * is not JSON, or an ID token that does not match → said as such (http.ts providerFailure).
 */
export async function tokenEndpointCall<T>(endpoint: string, request: () => Promise<T>, failures: TokenEndpointFailures): Promise<T> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof AuthtrayError) throw err;
    const [{ isConnectionFailure, connectionFailed, providerFailure, responseStatus }, oauth] = await Promise.all([import('./http.js'), import('oauth4webapi')]);
    if (isConnectionFailure(err)) throw connectionFailed(endpoint, err);
    if (err instanceof oauth.ResponseBodyError) throw await failures.refused(err);
    const status = responseStatus(err);
    const bare = status !== null && status >= 400 ? await failures.bare?.(err, status) : null;
    throw bare ?? providerFailure(failures.what, endpoint, err, failures.next);
  }
}
