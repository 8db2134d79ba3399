/**
 * Sessions whose tokens someone else keeps (Box's `CooperativelyManagedOAuth2` and `RemoteOAuth2`),
 * built on the same OAuthSession (single flight, refresh lock, close) as a stored profile:
 *
 * - cooperative: the caller's `retrieveTokens` returns the current access/refresh pair, owned by
 *   another component (a sync engine, a database); `storeTokens` gets every new pair back. The pair
 *   is read again under the refresh lock, so a token another holder renewed is used, not renewed again.
 * - remote: an access token comes from elsewhere, a function or a token service URL, and is asked
 *   for again when it runs out or is refused. Nothing secret but the access token is ever here.
 */
import { AuthtrayError, ConnectionFailedError, ErrorCodes, UsageError } from '../errors.js';
import { MemoryCredentialStore } from '../store/memory.js';
import type { CredentialRecord, CredentialStore, RefreshLock, StoreInfo } from '../store/types.js';
import { defaultAuthDeps, type AuthDeps } from './deps.js';
import { assertSafeEndpoint, connectionFailed } from './http.js';
import { resolveProvider, type ProfileSettings, type Provider } from './providers/index.js';
import { OAuthSession } from './session.js';
import { credentialRecord, expiresAtOf, tokenKindOf } from './tokens.js';

/** An access/refresh pair as another component holds it. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string | null;
  /** ms since the epoch. Without it the token is used until refused: call `refresh()` after a 401. */
  expiresAt?: number | null | undefined;
}

/**
 * A RefreshLock for holders in one process: one refresh at a time per name, the others wait and
 * then find the new tokens. (Across processes, use a store's lock or a FileRefreshLock.)
 */
export class InProcessRefreshLock implements RefreshLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => {});
    this.#tails.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    }
  }
}

/** Cooperative sessions in this process share one lock unless given another. */
const sharedLock = new InProcessRefreshLock();

interface CommonOptions {
  /** Names the session in errors and in the refresh lock; holders of the same tokens share it. */
  name?: string;
  deps?: Partial<AuthDeps>;
  refreshMarginMs?: number;
}

export interface CooperativeSessionOptions extends CommonOptions {
  /** The provider, client id and endpoints, as for a link. */
  settings: ProfileSettings;
  /** For clients that authenticate with a secret (Box). */
  clientSecret?: string | undefined;
  /** The current pair (Box's `retrieve_tokens`); null when there is none yet. */
  retrieveTokens: () => TokenPair | null | Promise<TokenPair | null>;
  /** Receives every new pair (Box's `store_tokens`). Awaited: a rotated refresh token must not be lost. */
  storeTokens?: (tokens: TokenPair) => void | Promise<void>;
  /** Serializes refreshes among the holders; default: one lock for this process. */
  lock?: RefreshLock;
}

const CALLER: StoreInfo = { backend: 'caller', location: 'kept by the calling program', secure: false };

/** The caller's callbacks as a credential store: records are made from the pair and the settings. */
class TokenPairStore implements CredentialStore {
  readonly info = CALLER;

  constructor(readonly options: CooperativeSessionOptions) {}

  async load(): Promise<CredentialRecord | null> {
    const pair = await this.options.retrieveTokens();
    if (!pair) return null;
    const { settings, clientSecret } = this.options;
    return credentialRecord({
      provider: settings.provider,
      clientId: settings.clientId,
      // The owner knows the account; the session never needs it.
      accountId: 'cooperative',
      tokenKind: tokenKindOf({ refreshToken: pair.refreshToken, expires: Boolean(pair.expiresAt) }),
      accessToken: pair.accessToken,
      expiresAt: pair.expiresAt ?? null,
      refreshToken: pair.refreshToken,
      scopes: settings.scopes ?? [],
      clientSecret,
    });
  }

  async save(_profile: string, record: CredentialRecord): Promise<void> {
    await this.options.storeTokens?.({ accessToken: record.accessToken, refreshToken: record.refreshToken, expiresAt: record.expiresAt });
  }

  async delete(): Promise<void> {}
}

/** A session over tokens another component owns (Box's `CooperativelyManagedOAuth2`). */
export function cooperativeSession(options: CooperativeSessionOptions): OAuthSession {
  const deps = { ...defaultAuthDeps, ...options.deps };
  let provider: Promise<Provider> | null = null;
  return new OAuthSession({
    profile: options.name ?? 'cooperative',
    store: new TokenPairStore(options),
    provider: () => (provider ??= resolveProvider(options.settings, deps)),
    deps,
    lock: options.lock ?? sharedLock,
    refreshMarginMs: options.refreshMarginMs,
  });
}

/** What a remote source answers: a token, or a token with its lifetime. */
export type RemoteToken = string | { accessToken: string; expiresAt?: number | null | undefined };

export interface RemoteSessionOptions extends CommonOptions {
  /**
   * Returns a current access token from elsewhere (Box's `retrieve_access_token`). Gets the token
   * that was refused or ran out, or null on first use.
   */
  retrieveAccessToken?: (previous: string | null) => RemoteToken | Promise<RemoteToken>;
  /**
   * Or: a token service. authtray sends `GET url` (with `headers`) and expects a JSON token response,
   * `{"access_token": "...", "expires_in": 3600}`. https, or http on loopback only.
   */
  url?: string;
  headers?: Record<string, string>;
  /** Only to downscope: the provider whose token endpoint exchanges the token. */
  settings?: ProfileSettings;
}

/**
 * GET the token service. Unreachable, 5xx or not a token response: ConnectionFailedError; any other
 * refusal: PROVIDER_ERROR. Messages name the host and status only.
 */
async function fromTokenService(url: URL, headers: Record<string, string>, deps: AuthDeps): Promise<RemoteToken> {
  let body: Record<string, unknown> | null = null;
  try {
    const response = await deps.fetch(url, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(deps.requestTimeoutMs) });
    if (response.status >= 500) throw response;
    if (!response.ok) {
      await response.body?.cancel();
      throw new AuthtrayError(ErrorCodes.PROVIDER_ERROR, `The token service ${url.host} refused the request (HTTP ${response.status}). Check its URL and the headers sent to it.`);
    }
    // Not JSON is reported below, as an answer without a token.
    body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  } catch (err) {
    if (err instanceof AuthtrayError) throw err;
    throw connectionFailed(url, err);
  }
  if (typeof body?.access_token !== 'string' || body.access_token.length === 0) {
    throw new ConnectionFailedError(`The token service ${url.host} did not answer with a token response ({"access_token": ...}). Check its URL.`);
  }
  const expiresIn = body.expires_in;
  return { accessToken: body.access_token, expiresAt: typeof expiresIn === 'number' && expiresIn > 0 ? expiresAtOf(expiresIn, deps.now()) : null };
}

/** A session whose access token comes from elsewhere (Box's `RemoteOAuth2`): a function or a URL. */
export function remoteSession(options: RemoteSessionOptions): OAuthSession {
  const deps = { ...defaultAuthDeps, ...options.deps };
  if (Boolean(options.retrieveAccessToken) === Boolean(options.url)) throw new UsageError('A remote session needs either retrieveAccessToken or url.');
  const url = options.url === undefined ? null : assertSafeEndpoint('token service URL', options.url);
  const retrieve = options.retrieveAccessToken ?? (() => fromTokenService(url!, options.headers ?? {}, deps));
  const { settings } = options;
  let provider: Promise<Provider> | null = null;
  return new OAuthSession({
    profile: options.name ?? 'remote',
    // Only the access token lives here, in this process.
    store: new MemoryCredentialStore(),
    provider: () =>
      settings
        ? (provider ??= resolveProvider(settings, deps))
        : Promise.reject(new UsageError('This remote session has no provider settings: pass `settings` to downscope its token.')),
    deps,
    refreshMarginMs: options.refreshMarginMs,
    async renew(stored) {
      const answer = await retrieve(stored?.accessToken ?? null);
      const token = typeof answer === 'string' ? { accessToken: answer } : answer;
      if (typeof token?.accessToken !== 'string' || token.accessToken.length === 0) {
        throw new UsageError('retrieveAccessToken returned no access token.');
      }
      return credentialRecord({
        provider: settings?.provider ?? 'oidc',
        clientId: settings?.clientId ?? 'remote',
        accountId: 'remote',
        tokenKind: 'online',
        accessToken: token.accessToken,
        expiresAt: token.expiresAt ?? null,
        refreshToken: null,
        scopes: [],
      });
    },
    // The grant belongs to whoever hands out the tokens; only they can revoke it.
    revoke: async () => {},
  });
}
