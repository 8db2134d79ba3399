/**
 * One profile's tokens over time (maestral's OAuth2Session, Box's OAuth2): hand out the cached
 * access token while it has time left, otherwise refresh, once, however many callers wait.
 */
import * as oauth from 'oauth4webapi';
import { NeedsRelinkError, NO_REVOCATION_ENDPOINT, NotLinkedError, ProviderAnswerError, REMOVE_ACCESS, SessionClosedError, UsageError } from '../errors.js';
import type { CredentialRecord, CredentialStore, RefreshLock } from '../store/types.js';

export type { RefreshLock } from '../store/types.js';
import { providerFailure, refusalDetail, requestOptions, type AuthDeps } from './http.js';
import { DEFAULT_REFRESH_MARGIN_MS, freshUntil, isFresh, mergeRefreshed, tokenEndpointCall } from './tokens.js';
import type { Provider } from './providers.js';
import type { DownscopedToken, DownscopeOptions } from './token-exchange.js';

/** Refresh when less than this is left, so a token handed out still works for a while. */
export { DEFAULT_REFRESH_MARGIN_MS, isFresh } from './tokens.js';

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
  /**
   * Called with every new record, after it is stored (Box's `store_tokens`): refreshed, renewed, or
   * marked dead by a revoking close. Awaited; if it fails, the caller of `accessToken()` hears of it.
   */
  onTokens?: (record: CredentialRecord) => void | Promise<void>;
  /**
   * Replaces the provider's grants: how to get a new record when the stored one is stale or missing
   * (remote sessions ask another service; Box's `RemoteOAuth2`). Gets the token that was refused, if any.
   */
  renew?: (stored: CredentialRecord | null, rejectedToken: string | undefined) => Promise<CredentialRecord>;
  /** Replaces the provider's revocation in `close({ revoke: true })`. */
  revoke?: (record: CredentialRecord) => Promise<void>;
  /** Called once when the session closes (the accounts service then forgets it). */
  onClose?: () => void;
}

export interface TokenOptions {
  /**
   * The token must have at least this long left, in ms (`authtray token --min-valid`): refreshed
   * first if it has less. Adds to the refresh rule, never loosens it.
   */
  minValidMs?: number | undefined;
}

/** An access token as the agent hands it out: the token, when it expires, when it will be refreshed. */
export interface IssuedToken {
  accessToken: string;
  /** ms since the epoch; null when it does not expire. */
  expiresAt: number | null;
  /** From this moment the refresh rule renews it (ms since the epoch); null when never. */
  refreshAt: number | null;
}

export interface CloseOptions {
  /**
   * Revoke the grant at the provider first (Box's `close(revoke=True)`). The stored record is then
   * marked expired, and a profile whose grant is gone needs relinking.
   */
  revoke?: boolean;
}

/** A caller asked for more validity than the provider's tokens have, even fresh from a refresh. */
function tooShort(profile: string, minValidMs: number, record: CredentialRecord, issuedAt: number): UsageError {
  const lifetime = Math.max(0, Math.round(((record.expiresAt ?? issuedAt) - issuedAt) / 1000));
  const said = `Profile "${profile}" cannot give a token valid for ${Math.round(minValidMs / 1000)} s: the provider's tokens last ${lifetime} s.`;
  return new UsageError(`${said} Ask for a shorter minimum validity.`, { cliMessage: `${said} Ask for less with --min-valid.` });
}

/** Grant failures that mean the credentials are dead, not that the provider is having a bad day. */
const REFUSED = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

export class OAuthSession implements AsyncDisposable {
  readonly profile: string;
  readonly #options: SessionOptions;
  readonly #margin: number;
  #inflight: Promise<CredentialRecord> | null = null;
  #loading: Promise<CredentialRecord | null> | null = null;
  #record: CredentialRecord | null = null;
  #closed = false;
  /** A refreshed record the store could not take (keyring locked, Redis gone): saved first next time. */
  #unsaved: CredentialRecord | null = null;

  constructor(options: SessionOptions) {
    this.profile = options.profile;
    this.#options = options;
    this.#margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  }

  /** True after `close()`: the session hands out no more tokens. */
  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new SessionClosedError(this.profile);
  }

  /** The stored record; NotLinkedError when there is none. */
  async record(): Promise<CredentialRecord> {
    this.#assertOpen();
    const record = await this.#options.store.load(this.profile);
    if (!record) throw new NotLinkedError(this.profile);
    this.#record = record;
    return record;
  }

  /**
   * A valid access token: the cached one while it has more than the margin left, else a refreshed
   * one. Concurrent callers share one refresh; the new record is stored before anyone gets it.
   */
  async accessToken(options: TokenOptions = {}): Promise<string> {
    return (await this.token(options)).accessToken;
  }

  /** {@link accessToken} with its expiry and the moment the refresh rule will renew it. */
  async token(options: TokenOptions = {}): Promise<IssuedToken> {
    this.#assertOpen();
    const minValid = options.minValidMs ?? 0;
    const fresh = (record: CredentialRecord) => isFresh(record, this.#options.deps.now(), this.#margin, minValid);
    if (this.#record && fresh(this.#record)) return this.#issued(this.#record);
    // Join a running refresh; if what it brings is too short for this caller, it starts one of its own
    // (which others in the same position join in turn).
    for (let joined = 0; this.#inflight && joined < 3; joined++) {
      const record = await this.#inflight;
      if (fresh(record)) return this.#issued(record);
    }
    // The token judged stale, so that under the lock a renewal by another process is recognised.
    let seen = this.#record;
    if (!seen && !this.#inflight) {
      seen = await this.#firstLoad();
      if (seen && fresh(seen)) return this.#issued((this.#record = seen));
    }
    // Another caller of this session may have started a refresh meanwhile: it is joined.
    return this.#issued(await (this.#inflight ?? this.#singleFlight(false, seen?.accessToken, minValid)));
  }

  /** The stored record, read once for every caller that finds the session without one (the agent's 1,000 at once). */
  #firstLoad(): Promise<CredentialRecord | null> {
    this.#loading ??= this.#options.store.load(this.profile).finally(() => (this.#loading = null));
    return this.#loading;
  }

  #issued(record: CredentialRecord): IssuedToken {
    return { accessToken: record.accessToken, expiresAt: record.expiresAt, refreshAt: freshUntil(record, this.#margin) };
  }

  /**
   * Renews now, even if the token looks fresh (after a 401, say). Shares a running refresh. When the
   * stored token is no longer `rejectedToken` (default: the one this session last saw), someone else
   * has renewed it already and that one is returned without a request (Box's `refresh`).
   */
  async refresh(rejectedToken?: string): Promise<CredentialRecord> {
    this.#assertOpen();
    return this.#inflight ?? this.#singleFlight(true, rejectedToken ?? this.#record?.accessToken);
  }

  /**
   * Keep-alive: uses the refresh token now unless the stored record was issued after `issuedAfter`
   * (a program renewed it meanwhile: then no request). Same single flight and lock as every refresh.
   * Returns the record and whether this call renewed it.
   */
  async renewUnlessIssuedAfter(issuedAfter: number): Promise<{ record: CredentialRecord; renewed: boolean }> {
    this.#assertOpen();
    await this.#inflight?.catch(() => {});
    let renewed = false;
    const record = await this.#singleFlight(true, undefined, 0, (stored) => {
      renewed = (stored.issuedAt ?? 0) <= issuedAfter;
      return !renewed;
    });
    return { record, renewed };
  }

  #singleFlight(force: boolean, rejected: string | undefined, minValidMs = 0, keep?: (stored: CredentialRecord) => boolean): Promise<CredentialRecord> {
    const run = this.#options.lock ?? processLocalLock;
    this.#inflight = run
      .withLock(
        this.profile,
        () => this.#loadOrRefresh(force, rejected, minValidMs, keep),
        () => this.#refreshedMeanwhile(force, rejected, minValidMs),
      )
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }

  /**
   * After waiting for another process's refresh, without the lock: its result when it is there
   * (a fresh token, or for a forced refresh one that is not the refused token), else undefined.
   */
  async #refreshedMeanwhile(force: boolean, rejected: string | undefined, minValidMs: number): Promise<CredentialRecord | undefined> {
    if (this.#unsaved) return undefined; // ours must be saved first, under the lock
    const stored = await this.#options.store.load(this.profile);
    const now = this.#options.deps.now();
    if (!stored) return undefined;
    const done = force ? rejected !== undefined && stored.accessToken !== rejected && isFresh(stored, now, 0, minValidMs) : isFresh(stored, now, this.#margin, minValidMs);
    if (!done) return undefined;
    this.#record = stored;
    return stored;
  }

  async #loadOrRefresh(force: boolean, rejected: string | undefined, minValidMs: number, keep?: (stored: CredentialRecord) => boolean): Promise<CredentialRecord> {
    // Read again under the lock: another process may have refreshed already.
    let stored = await this.#options.store.load(this.profile);
    if (this.#unsaved) {
      // A refresh whose result the store refused last time: with rotating refresh tokens it holds
      // the only valid one, so it is saved before anything else (unless the stored one is newer,
      // or the profile was unlinked meanwhile).
      const unsaved = this.#unsaved;
      this.#unsaved = null;
      if (stored && (stored.expiresAt ?? 0) < (unsaved.expiresAt ?? 0)) {
        await this.#save(unsaved);
        stored = unsaved;
      }
    }
    const now = this.#options.deps.now();
    if (stored) {
      this.#record = stored;
      if (!force && isFresh(stored, now, this.#margin, minValidMs)) return stored;
      // Someone renewed it while this caller waited for the lock: theirs is used, however short-lived
      // (but no shorter than the caller asked for).
      if (rejected !== undefined && stored.accessToken !== rejected && isFresh(stored, now, 0, minValidMs)) return stored;
      if (keep?.(stored)) return stored;
    }
    let updated: CredentialRecord;
    if (this.#options.renew) {
      updated = await this.#options.renew(stored, rejected);
    } else if (!stored) {
      throw new NotLinkedError(this.profile);
    } else if (stored.refreshToken) {
      updated = await this.#grant(stored, 'refresh token', async ({ as, client, clientAuth }) => {
        const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth(stored.clientSecret), stored.refreshToken!, requestOptions(this.#options.deps, as.token_endpoint!));
        return oauth.processRefreshTokenResponse(as, client, response);
      });
    } else if (stored.tokenKind === 'jwt') {
      updated = await this.#grant(stored, 'JWT assertion', async (provider) => {
        if (provider.kind !== 'box-jwt') throw new UsageError(`A ${provider.kind} profile cannot hold JWT credentials: link it again.`);
        const { renewWithAssertion } = await import('./box-jwt.js');
        return renewWithAssertion(provider, stored, this.#options.deps);
      });
    } else {
      const expired = stored.expiresAt !== null && stored.expiresAt <= now;
      // A developer token that was refused cannot be renewed by anyone but its developer.
      if (expired || (force && stored.tokenKind === 'developer')) {
        await this.#options.onNeedsRelink?.();
        throw new NeedsRelinkError(this.profile, expired ? 'its access token expired and it has no refresh token' : 'its developer token was refused');
      }
      return stored;
    }
    await this.#save(updated);
    if (!isFresh(updated, this.#options.deps.now(), 0, minValidMs)) throw tooShort(this.profile, minValidMs, updated, now);
    return updated;
  }

  /** Stores a new record; if the store refuses, keeps it in memory for the next attempt and rethrows. */
  async #save(record: CredentialRecord): Promise<void> {
    try {
      await this.#options.store.save(this.profile, record);
    } catch (err) {
      this.#unsaved = record;
      throw err;
    }
    this.#record = record;
    await this.#options.onTokens?.(record);
  }

  /** One token request through the provider, its failures mapped to typed errors. */
  async #grant(stored: CredentialRecord, what: string, request: (provider: Provider) => Promise<oauth.TokenEndpointResponse>): Promise<CredentialRecord> {
    const provider = await this.#options.provider();
    const dead = async (err: unknown) => {
      await this.#options.onNeedsRelink?.();
      return new NeedsRelinkError(this.profile, `the provider refused its ${what} (${refusalDetail(err)})`);
    };
    const tokens = await tokenEndpointCall(provider.as.token_endpoint!, () => request(provider), {
      what: `the ${what}`,
      next: 'link the profile again if it persists',
      refused: (err) => (REFUSED.has(err.error) ? dead(err) : providerFailure(`the ${what}`, provider.as.token_endpoint!, err, 'link the profile again if it persists')),
      // A bare 400/401 is a dead grant too (glewlwyd on a spent rotating refresh token).
      bare: (err, status) => (status === 400 || status === 401 ? dead(err) : null),
    });
    return mergeRefreshed(stored, tokens, this.#options.deps.now());
  }

  /**
   * A token restricted to `scopes` (and optionally one item), exchanged for this session's access
   * token (RFC 8693; Box's `downscope_token`). One request; the restricted token is not stored.
   */
  async downscope(scopes: readonly string[], options: DownscopeOptions = {}): Promise<DownscopedToken> {
    const subject = await this.accessToken();
    const [{ downscopeToken }, provider] = await Promise.all([import('./token-exchange.js'), this.#options.provider()]);
    return downscopeToken(provider, subject, scopes, { ...options, clientSecret: this.#record?.clientSecret }, this.#options.deps);
  }

  /**
   * Closes the session: from now on it refuses to hand out tokens (SessionClosedError). A running
   * refresh is let finish, so its new tokens are stored. With `revoke`, the grant is revoked at the
   * provider; if that fails the session is closed all the same and the error is thrown (Box's
   * `close`). Closing again does nothing.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#inflight?.catch(() => {});
      if (options.revoke) await this.#revokeStored();
    } finally {
      this.#record = null;
      this.#options.onClose?.();
    }
  }

  /** `await using session = ...`: closes without revoking when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** An `await using` handle that closes with `options`, e.g. `{ revoke: true }` (Box's `closing()`). */
  closing(options: CloseOptions): AsyncDisposable {
    return { [Symbol.asyncDispose]: () => this.close(options) };
  }

  async #revokeStored(): Promise<void> {
    const record = await this.#options.store.load(this.profile);
    if (!record) return;
    if (this.#options.revoke) {
      await this.#options.revoke(record);
    } else {
      const provider = await this.#options.provider();
      if (provider.revocable === false) return;
      const outcome = await provider.revoke({ accessToken: record.accessToken, refreshToken: record.refreshToken, clientSecret: record.clientSecret }, this.#options.deps);
      // Nothing was sent: the tokens still work, so they are not marked dead, and the caller hears so.
      if (outcome === 'no-endpoint') throw new ProviderAnswerError(`${NO_REVOCATION_ENDPOINT}; ${REMOVE_ACCESS}.`);
    }
    // The stored token is dead now: marked so, nothing hands it out again. A JWT profile signs a
    // new assertion next time; any other needs its user to link again.
    await this.#save({ ...record, expiresAt: Math.min(record.expiresAt ?? 0, this.#options.deps.now()) });
    if (record.tokenKind !== 'jwt') await this.#options.onNeedsRelink?.();
  }

  /** Forgets the in-memory copy (after unlink or relink). */
  reset(): void {
    this.#record = null;
  }
}
