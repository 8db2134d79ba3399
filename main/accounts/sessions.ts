/**
 * Tokens per profile: one session per profile per service (single-flight refresh under the refresh
 * lock), access tokens (a fresh stored one without loading any protocol code), downscoping, and
 * revocation on unlink.
 */
import { AuthtrayError, ConnectionFailedError, ErrorCodes, NeedsRelinkError, NO_REVOCATION_ENDPOINT, NotLinkedError, ProviderAnswerError, REMOVE_ACCESS, UsageError } from '../errors.js';
import type { CredentialRecord, ProfileConfig, ProfileSettings } from '../model.js';
import { entryProblem, revokeByHand } from '../store/damaged.js';
import type { OAuthSession, TokenOptions } from '../auth/session.js';
import { DEFAULT_REFRESH_MARGIN_MS, isFresh } from '../auth/tokens.js';
import type { DownscopedToken, DownscopeOptions } from '../auth/token-exchange.js';
import { FileRefreshLock } from '../store/file-lock.js';
import type { CredentialStore, RefreshLock } from '../store/types.js';
import { join } from 'node:path';
import { providers, sessions, type AccountsContext } from './context.js';
import type { Profiles } from './profiles.js';

/**
 * What unlink did at the provider: `revoked` only when a revocation request was answered with
 * success; `no-endpoint` (nothing sent, the grant stays valid there), `refused` (4xx), `unreachable`
 * (no answer, timeout, 5xx), `not-revocable` (a Box developer token), `none` (no credentials held).
 */
export type RevocationResult = 'revoked' | 'no-endpoint' | 'refused' | 'unreachable' | 'not-revocable' | 'none';

const DELETED = `the local credentials were deleted; ${REMOVE_ACCESS}.`;

export class Sessions {
  readonly #ctx: AccountsContext;
  readonly #profiles: Profiles;
  readonly #sessions = new Map<string, Promise<OAuthSession>>();
  readonly #tokenRequests = new Map<string, Promise<string>>();
  readonly #fileLock: FileRefreshLock;

  constructor(ctx: AccountsContext, profiles: Profiles) {
    this.#ctx = ctx;
    this.#profiles = profiles;
    this.#fileLock = new FileRefreshLock(join(ctx.options.home, 'locks'), { onWait: ctx.warn });
  }

  /** The profile's token session: one per profile per service, however many callers ask at once. */
  session(profile: string): Promise<OAuthSession> {
    let session = this.#sessions.get(profile);
    if (!session) {
      // A closed session is forgotten, so the next caller gets a new one.
      const opened: Promise<OAuthSession> = this.#open(profile, () => {
        if (this.#sessions.get(profile) === opened) this.#sessions.delete(profile);
      });
      session = opened;
      this.#sessions.set(profile, session);
      session.catch(() => this.#sessions.delete(profile));
    }
    return session;
  }

  /** Forgets the profile's session (after a new link, a migration, an unlink). */
  forget(profile: string): void {
    this.#sessions.delete(profile);
  }

  async #open(profile: string, onClose?: () => void): Promise<OAuthSession> {
    const config = await this.#profiles.require(profile);
    const [{ OAuthSession }, { resolveProvider }] = await Promise.all([sessions(), providers()]);
    const store = this.#profiles.store(config.store.backend);
    const { options, deps } = this.#ctx;
    return new OAuthSession({
      profile,
      store,
      provider: () => resolveProvider(config.settings, deps),
      deps,
      lock: this.lockFor(store),
      refreshMarginMs: options.refreshMarginMs,
      onNeedsRelink: async () => {
        await this.#profiles.markNeedsRelink(profile);
        this.#ctx.changed(profile);
      },
      onTokens: (record) => {
        this.#ctx.changed(profile);
        return options.onTokens?.(profile, record);
      },
      onClose,
    });
  }

  /** Shared stores lock in the store itself; local ones with a lock file beside the config. */
  lockFor(store: CredentialStore): RefreshLock {
    return this.#ctx.options.lock ?? store.shared?.lock ?? this.#fileLock;
  }

  /** A valid access token, refreshed first when needed. */
  accessToken(profile: string, options: TokenOptions = {}): Promise<string> {
    // Callers that ask at the same moment share one answer: one config read, one store read, at
    // most one refresh (the session single-flights refreshes too, for callers that come later).
    const key = `${profile}\0${options.minValidMs ?? 0}`;
    let inflight = this.#tokenRequests.get(key);
    if (!inflight) {
      inflight = this.#accessToken(profile, options).finally(() => this.#tokenRequests.delete(key));
      this.#tokenRequests.set(key, inflight);
    }
    return inflight;
  }

  async #accessToken(profile: string, options: TokenOptions): Promise<string> {
    const config = await this.#profiles.require(profile);
    if (config.needsRelink) throw new NeedsRelinkError(profile);
    if (!this.#sessions.has(profile)) {
      // First use in this process: a fresh stored token needs no session (and no OAuth code loaded).
      const record = await this.#profiles.store(config.store.backend).load(profile);
      if (!record) throw new NotLinkedError(profile);
      if (isFresh(record, this.#ctx.deps.now(), this.#ctx.options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS, options.minValidMs)) return record.accessToken;
    }
    return (await this.session(profile)).accessToken(options);
  }

  /** A token restricted to `scopes` (and optionally one item), made from the profile's access token. Not stored. */
  async downscope(profile: string, scopes: readonly string[], options: DownscopeOptions = {}): Promise<DownscopedToken> {
    const config = await this.#profiles.require(profile);
    if (config.needsRelink) throw new NeedsRelinkError(profile);
    return (await this.session(profile)).downscope(scopes, options);
  }

  /**
   * Revokes the grant at the provider, best effort: what happened is returned, and anything but a
   * revocation answered with success is also warned about (and returned) as the warning, never
   * thrown. A damaged entry or a record that cannot be read means nothing can be revoked: the
   * warning says where to do it by hand. Only a keyring that cannot be used now throws.
   */
  async revoke(profile: string, config: ProfileConfig): Promise<{ revocation: RevocationResult; warning: string | null }> {
    const cannotRevoke = (why: string, settings?: ProfileSettings) => {
      const warning = `Could not revoke the grant at the provider: ${why}. Remove authtray's access by hand ${revokeByHand(settings)}.`;
      this.#ctx.warn(warning);
      return { revocation: 'none' as const, warning };
    };
    const damaged = entryProblem(config);
    if (damaged) return cannotRevoke(`the entry of profile "${profile}" in ${this.#profiles.configPath} is damaged (${damaged})`);
    let record: CredentialRecord | null;
    try {
      record = await this.#profiles.store(config.store.backend).load(profile);
    } catch (err) {
      if (!(err instanceof AuthtrayError) || err.code === ErrorCodes.KEYRING_ACCESS) throw err;
      return cannotRevoke(`its credentials could not be read (${err.message.split(/(?<=\.) /)[0]!.replace(/\.$/, '')})`, config.settings);
    }
    if (!record) return { revocation: 'none', warning: null };
    const { revocation, warning } = await this.#revoke(profile, config, record);
    if (warning) this.#ctx.warn(warning);
    return { revocation, warning };
  }

  async #revoke(profile: string, config: ProfileConfig, record: CredentialRecord): Promise<{ revocation: RevocationResult; warning: string | null }> {
    try {
      const { resolveProvider } = await providers();
      const { deps } = this.#ctx;
      const provider = await resolveProvider(config.settings, deps);
      let accessToken = record.accessToken;
      // Dropbox revokes with an access token, so an expired one is renewed first.
      if (provider.kind === 'dropbox' && !isFresh(record, deps.now(), 0) && record.refreshToken) {
        accessToken = await (await this.session(profile)).accessToken();
      }
      const outcome = await provider.revoke({ accessToken, refreshToken: record.refreshToken, clientSecret: record.clientSecret }, deps);
      if (outcome !== 'no-endpoint') return { revocation: outcome, warning: null };
      return { revocation: outcome, warning: provider.removeAccess ?? `${NO_REVOCATION_ENDPOINT}; ${DELETED}` };
    } catch (err) {
      if (err instanceof ProviderAnswerError && err.status !== null) {
        return { revocation: 'refused', warning: `The provider refused to revoke the grant (HTTP ${err.status}${err.oauthError ? `, ${err.oauthError}` : ''}); ${DELETED}` };
      }
      if (err instanceof ConnectionFailedError) {
        return { revocation: 'unreachable', warning: `The provider could not be asked to revoke the grant (${err.message.split('. ')[0]}); ${DELETED}` };
      }
      const why = err instanceof AuthtrayError ? err.message.replace(/\.$/, '') : 'unexpected failure';
      return { revocation: err instanceof UsageError ? 'not-revocable' : 'refused', warning: `The grant was not revoked at the provider (${why}); ${DELETED}` };
    }
  }
}
