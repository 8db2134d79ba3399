/**
 * One profile's tokens over time (maestral's OAuth2Session, Box's OAuth2): hand out the cached
 * access token while it has time left, otherwise refresh, once, however many callers wait.
 */
import * as oauth from 'oauth4webapi';
import { NeedsRelinkError, NotLinkedError, ProviderError } from '../errors.js';
import { DEFAULT_REFRESH_MARGIN_MS, isFresh } from '../store/record.js';
import type { CredentialRecord, CredentialStore, RefreshLock } from '../store/types.js';

export type { RefreshLock } from '../store/types.js';
import { connectionFailed, isConnectionFailure, requestOptions, type AuthDeps } from './http.js';
import type { Provider } from './providers.js';

/** Refresh when less than this is left, so a token handed out still works for a while. */
export { DEFAULT_REFRESH_MARGIN_MS, isFresh } from '../store/record.js';

/** In one process the session's own single flight is enough. */
export const processLocalLock: RefreshLock = { withLock: (_profile, fn) => fn() };

export interface SessionOptions {
  profile: string;
  store: CredentialStore;
  /** Built lazily: a valid cached token needs no provider. */
  provider: () => Promise<Provider>;
  deps: AuthDeps;
  lock?: RefreshLock;
  refreshMarginMs?: number;
  /** Called once when the provider refuses the grant; the profile then needs relinking. */
  onNeedsRelink?: () => Promise<void>;
  /** Called with every new record, after it is stored (Box's `store_tokens`). */
  onTokens?: (record: CredentialRecord) => void;
}

export class OAuthSession {
  readonly profile: string;
  readonly #options: SessionOptions;
  readonly #margin: number;
  #inflight: Promise<CredentialRecord> | null = null;
  #record: CredentialRecord | null = null;
  /** A refreshed record the store could not take (keyring locked, Redis gone): saved first next time. */
  #unsaved: CredentialRecord | null = null;

  constructor(options: SessionOptions) {
    this.profile = options.profile;
    this.#options = options;
    this.#margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  }

  /** The stored record; NotLinkedError when there is none. */
  async record(): Promise<CredentialRecord> {
    const record = await this.#options.store.load(this.profile);
    if (!record) throw new NotLinkedError(this.profile);
    this.#record = record;
    return record;
  }

  /**
   * A valid access token: the cached one while it has more than the margin left, else a refreshed
   * one. Concurrent callers share one refresh; the new record is stored before anyone gets it.
   */
  async accessToken(): Promise<string> {
    const now = this.#options.deps.now();
    if (this.#record && isFresh(this.#record, now, this.#margin)) return this.#record.accessToken;
    if (this.#inflight) return (await this.#inflight).accessToken;
    return (await this.#singleFlight(false)).accessToken;
  }

  /** Refreshes now, even if the token is still fresh (after a 401, say). Shares a running refresh. */
  async refresh(): Promise<CredentialRecord> {
    return this.#inflight ?? this.#singleFlight(true);
  }

  #singleFlight(force: boolean): Promise<CredentialRecord> {
    const run = this.#options.lock ?? processLocalLock;
    this.#inflight = run
      .withLock(this.profile, () => this.#loadOrRefresh(force))
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }

  async #loadOrRefresh(force: boolean): Promise<CredentialRecord> {
    // Read again under the lock: another process may have refreshed already.
    let stored = await this.record();
    if (this.#unsaved) {
      // A refresh whose result the store refused last time: with rotating refresh tokens it holds
      // the only valid one, so it is saved before anything else (unless the stored one is newer).
      const unsaved = this.#unsaved;
      this.#unsaved = null;
      if ((stored.expiresAt ?? 0) < (unsaved.expiresAt ?? 0)) {
        await this.#save(unsaved);
        stored = unsaved;
      }
    }
    const now = this.#options.deps.now();
    if (!force && isFresh(stored, now, this.#margin)) return stored;
    if (!stored.refreshToken) {
      if (stored.expiresAt !== null && stored.expiresAt <= now) {
        await this.#options.onNeedsRelink?.();
        throw new NeedsRelinkError(this.profile, 'its access token expired and it has no refresh token');
      }
      return stored;
    }
    const updated = await this.#refreshWith(stored);
    await this.#save(updated);
    this.#record = updated;
    this.#options.onTokens?.(updated);
    return updated;
  }

  async #refreshWith(stored: CredentialRecord): Promise<CredentialRecord> {
    const provider = await this.#options.provider();
    const { as, client } = provider;
    let tokens: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.refreshTokenGrantRequest(
        as,
        client,
        provider.clientAuth(stored.clientSecret),
        stored.refreshToken!,
        requestOptions(this.#options.deps, as.token_endpoint!),
      );
      tokens = await oauth.processRefreshTokenResponse(as, client, response);
    } catch (err) {
      if (isConnectionFailure(err)) throw connectionFailed(as.token_endpoint!, err);
      if (err instanceof oauth.ResponseBodyError && (err.error === 'invalid_grant' || err.error === 'invalid_client' || err.error === 'unauthorized_client')) {
        await this.#options.onNeedsRelink?.();
        throw new NeedsRelinkError(this.profile, `the provider refused its refresh token (${err.error})`);
      }
      if (err instanceof oauth.ResponseBodyError) throw new ProviderError(err.error, 'while refreshing the access token');
      throw connectionFailed(as.token_endpoint!, err);
    }
    const now = this.#options.deps.now();
    return {
      ...stored,
      accessToken: tokens.access_token,
      expiresAt: typeof tokens.expires_in === 'number' ? now + tokens.expires_in * 1000 : null,
      // Rotating providers (Box, oidc-provider) send a new one; the old is then already spent.
      refreshToken: tokens.refresh_token ?? stored.refreshToken,
      scopes: tokens.scope ? tokens.scope.split(' ') : stored.scopes,
    };
  }

  /** Saves a refreshed record; if the store refuses, keeps it in memory for the next attempt and rethrows. */
  async #save(record: CredentialRecord): Promise<void> {
    try {
      await this.#options.store.save(this.profile, record);
    } catch (err) {
      this.#unsaved = record;
      throw err;
    }
  }

  /** Forgets the in-memory copy (after unlink or relink). */
  reset(): void {
    this.#record = null;
  }
}
