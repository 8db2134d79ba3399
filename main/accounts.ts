/**
 * The accounts service: link / finish / cancel / unlink / status / access token, per profile. The
 * command, the app and library users call only this facade; its parts live in main/accounts/:
 * profiles.ts (the config, the backend kept until unlink, needs relink, status), linking.ts (links
 * in progress) and sessions.ts (sessions, tokens, downscoping, locks, revocation).
 */
import { AuthtrayError, CredentialStoreError, ErrorCodes, NotLinkedError } from './errors.js';
import type { BoxJwtLinkOptions } from './auth/box-jwt.js';
import type { DeveloperTokenOptions } from './auth/developer-token.js';
import type { DownscopedToken, DownscopeOptions } from './auth/token-exchange.js';
import { defaultAuthDeps } from './auth/deps.js';
import { loggingFetch } from './auth/protocol-log.js';
import type { OAuthSession, TokenOptions } from './auth/session.js';
import type { ProfileConfig, ProfileSettings, StoreInfo } from './model.js';
import { entryProviderName } from './link-request.js';
import { assertProfileName } from './store/profile-name.js';
import { boxJwt, developerTokens, type AccountsContext, type AccountsOptions } from './accounts/context.js';
import { Linking, type LinkOptions, type LinkStarted, type PendingLink } from './accounts/linking.js';
import { Profiles, type NewLink, type ProfileStatus } from './accounts/profiles.js';
import { Sessions, type RevocationResult } from './accounts/sessions.js';

export type { AccountsOptions } from './accounts/context.js';
export type { LinkOptions, LinkStarted, PendingLink } from './accounts/linking.js';
export type { ProfileStatus } from './accounts/profiles.js';

/** Called with the profile whose status may have changed (link, finish, cancel, unlink, refresh, needs relink). */
export type StatusListener = (profile: string) => void;

export type { RevocationResult } from './accounts/sessions.js';

/** A locally configured profile's link, as the config file has it. */
export interface LinkState {
  linkedAt: string;
  needsRelink: boolean;
}

export interface UnlinkResult {
  /** True only when a revocation request was answered with success. */
  revoked: boolean;
  revocation: RevocationResult;
  warning: string | null;
}

/** One profile as the app shows it: its config (or the settings of its link in progress), the link in progress, its status. */
export interface ProfileSnapshot {
  profile: string;
  config: ProfileConfig | null;
  /** The config's settings, else those of the link in progress. */
  settings: ProfileSettings | null;
  pending: PendingLink | null;
  /** Null when the store could not be read: `error` says why. */
  status: ProfileStatus | null;
  error: unknown;
}

export class Accounts {
  readonly home: string;
  readonly #ctx: AccountsContext;
  readonly #profiles: Profiles;
  readonly #linking: Linking;
  readonly #sessions: Sessions;
  readonly #statusListeners = new Set<StatusListener>();

  constructor(options: AccountsOptions) {
    this.home = options.home;
    const log = options.protocolLog ?? ((options.env ?? process.env).AUTHTRAY_DEBUG === '1' ? (l: string) => void process.stderr.write(`authtray: ${l}\n`) : undefined);
    const deps = { ...defaultAuthDeps, ...options.deps };
    this.#ctx = {
      options,
      deps: log ? { ...deps, fetch: loggingFetch(deps.fetch, log) } : deps,
      log,
      warn: options.warn ?? (() => {}),
      changed: (profile) => this.#changed(profile),
    };
    this.#profiles = new Profiles(this.#ctx);
    this.#sessions = new Sessions(this.#ctx, this.#profiles);
    this.#linking = new Linking(this.#ctx, this.#profiles, (profile, linked, backend) => this.#keep(profile, linked, backend));
  }

  /** Starts linking: returns the URL to open; for the loopback flow a listener waits on 127.0.0.1. */
  startLink(profile: string, settings: ProfileSettings, options: LinkOptions = {}): Promise<LinkStarted> {
    return this.#linking.start(profile, settings, options);
  }

  /** Finishes a link with what the user pasted: the code, or the whole redirect URL. */
  finishLink(profile: string, input: string, options: { clientSecret?: string | undefined } = {}): Promise<ProfileStatus> {
    return this.#linking.finish(profile, input, options.clientSecret);
  }

  /** The settings of the link in progress, or null; nothing secret. */
  pendingSettings(profile: string): Promise<ProfileSettings | null> {
    return this.#linking.settings(profile);
  }

  /** The settings a profile was linked with, or null for a new one; nothing secret. */
  async savedSettings(profile: string): Promise<ProfileSettings | null> {
    assertProfileName(profile);
    return (await this.#profiles.read()).profiles[profile]?.settings ?? null;
  }

  /** Stops waiting for a loopback redirect (the pending authorization stays, for `finish`). */
  cancelLink(profile: string): void {
    this.#linking.cancel(profile);
  }

  /** Forgets the pending authorization too (the user chose Cancel). */
  abandonLink(profile: string): Promise<void> {
    return this.#linking.abandon(profile);
  }

  /** The link in progress for `profile`, or null (none, or expired), as a reopened window shows it. */
  pendingLink(profile: string): Promise<PendingLink | null> {
    return this.#linking.pendingLink(profile);
  }

  /** The host of the pending link's authorization endpoint: the only place its URL may open. Null: no link in progress. */
  authorizationHost(profile: string): Promise<string | null> {
    return this.#linking.authorizationHost(profile);
  }

  /** Every link in progress, by profile name. */
  pendingLinks(): Promise<PendingLink[]> {
    return this.#linking.pendingLinks();
  }

  /**
   * Where a new link's credentials would be stored; a locked keyring throws KeyringAccessError, as
   * linking would. The keyring is probed once (a write and a delete) and that answer kept until
   * `retry`, or until a keyring call shows it changed: reading a status writes nothing.
   */
  newLinkStore(options: { retry?: boolean } = {}): Promise<StoreInfo> {
    return this.#profiles.newLinkStore(options);
  }

  /** Subscribes to status changes; returns the unsubscribe function. */
  onStatusChanged(listener: StatusListener): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  #changed(profile: string): void {
    for (const listener of this.#statusListeners) {
      try {
        listener(profile);
      } catch {
        // A listener's failure is its own; the others and the caller carry on.
      }
    }
  }

  /** Keeps a finished link: record and config, a fresh session next time, then tells `onTokens`. */
  async #keep(profile: string, linked: NewLink, backend: string): Promise<ProfileStatus> {
    const config = await this.#profiles.save(profile, linked, backend);
    this.#sessions.forget(profile);
    await this.#ctx.options.onTokens?.(profile, linked.record);
    return this.#profiles.statusOf(profile, config, linked.record);
  }

  /** The profile's status; reads the credential store (a locked keyring shows here). */
  async status(profile: string): Promise<ProfileStatus> {
    const config = await this.#profiles.find(profile);
    return this.#profiles.status(profile, config, async () => (await this.#linking.pendingStore.get(profile))?.settings.provider ?? 'none');
  }

  /**
   * When each profile of this machine's config was linked and whether it needs a relink, from the
   * config file alone (no credential store is read): what the agent follows to notice a profile
   * unlinked, relinked or refused elsewhere.
   */
  async linkStates(): Promise<Record<string, LinkState>> {
    const { profiles } = await this.#profiles.read();
    return Object.fromEntries(Object.entries(profiles).map(([name, p]) => [name, { linkedAt: p.linkedAt, needsRelink: p.needsRelink }]));
  }

  /** Every configured profile's status, by name; the config is read once. A damaged one is shown as such and hides none of the others. */
  async profiles(): Promise<ProfileStatus[]> {
    const data = await this.#profiles.read();
    return Promise.all(
      Object.keys(data.profiles)
        .sort()
        .map((name) =>
          this.#profiles.status(name, data.profiles[name]!, async () => 'none').catch((err: unknown): ProfileStatus => {
            if (!(err instanceof AuthtrayError) || err.code === ErrorCodes.KEYRING_ACCESS) throw err;
            const entry = data.profiles[name] as Partial<ProfileConfig> | undefined;
            return { profile: name, provider: entryProviderName(entry), linked: false, needsRelink: false, account: entry?.account ?? null, token: null, store: null, problem: err.message, cliProblem: err.cliMessage };
          }),
        ),
    );
  }

  /** Every configured profile and link in progress, with its status: one config read, one pending list. */
  async snapshot(): Promise<ProfileSnapshot[]> {
    const [data, pending] = await Promise.all([this.#profiles.read(), this.pendingLinks()]);
    const pendingBy = new Map(pending.map((p) => [p.profile, p]));
    const names = [...new Set([...Object.keys(data.profiles), ...pendingBy.keys()])].sort();
    return Promise.all(
      names.map(async (profile): Promise<ProfileSnapshot> => {
        const config = data.profiles[profile] ?? null;
        const link = pendingBy.get(profile) ?? null;
        const settings = config?.settings ?? (link ? await this.pendingSettings(profile) : null);
        try {
          const status = await this.#profiles.status(profile, config, async () => settings?.provider ?? 'none');
          return { profile, config, settings, pending: link, status, error: null };
        } catch (error) {
          return { profile, config, settings, pending: link, status: null, error };
        }
      }),
    );
  }

  /** The profile's token session: one per profile per service, however many callers ask at once. */
  session(profile: string): Promise<OAuthSession> {
    return this.#sessions.session(profile);
  }

  /** A valid access token, refreshed first when needed. */
  accessToken(profile: string, options: TokenOptions = {}): Promise<string> {
    return this.#sessions.accessToken(profile, options);
  }

  /** A token restricted to `scopes` (and optionally one item), made from the profile's access token (RFC 8693). Not stored. */
  downscope(profile: string, scopes: readonly string[], options: DownscopeOptions = {}): Promise<DownscopedToken> {
    return this.#sessions.downscope(profile, scopes, options);
  }

  /** Moves a linked profile's record to another backend (`authtray store migrate`), under the refresh lock. */
  async migrate(profile: string, to: string): Promise<{ from: StoreInfo; to: StoreInfo }> {
    const moved = await this.#profiles.migrate(profile, to, (store) => this.#sessions.lockFor(store));
    this.#sessions.forget(profile);
    this.#changed(profile);
    return moved;
  }

  /** Releases what the stores hold open (connections), so a CLI run can exit. */
  async close(): Promise<void> {
    await this.#profiles.close();
  }

  /**
   * Revokes at the provider (best effort: a failure is a warning), then deletes the credentials and
   * the profile, whatever happened. A damaged record or config entry is forgotten all the same, with
   * a warning saying where to revoke by hand. Only a keyring that cannot be used stops it before
   * anything changes. If the credentials cannot be deleted, the profile is still forgotten (so
   * nothing calls it linked or serves its token) and the error says what is left behind.
   */
  async unlink(profile: string): Promise<UnlinkResult> {
    const config = await this.#profiles.find(profile);
    if (!config) throw new NotLinkedError(profile);
    const { revocation, warning } = await this.#sessions.revoke(profile, config);
    const leftBehind = await this.#profiles.remove(profile, config);
    await this.#linking.pendingStore.delete(profile);
    this.#sessions.forget(profile);
    this.#changed(profile);
    const revoked = revocation === 'revoked';
    if (leftBehind) {
      const why = leftBehind.error instanceof AuthtrayError ? leftBehind.error.message : 'unknown error';
      throw new CredentialStoreError(
        `${revoked ? 'The grant was revoked at the provider and the' : 'The'} profile "${profile}" is forgotten here, but its credentials could not be deleted from ${leftBehind.store.info.location}: ${why}`,
        { cause: leftBehind.error },
      );
    }
    return { revoked, revocation, warning };
  }

  /** Links a Box JWT app (server auth): no browser, two requests (token, account). Secrets go to the credential store only. */
  async linkBoxJwt(profile: string, options: BoxJwtLinkOptions): Promise<ProfileStatus> {
    assertProfileName(profile);
    const { linkBoxJwt } = await boxJwt();
    return this.#saveLinked(profile, await linkBoxJwt(options, this.#ctx.deps));
  }

  /** Links a Box developer token (one request: the account). It lasts 60 minutes, then needs relinking. */
  async linkDeveloperToken(profile: string, token: string, options: DeveloperTokenOptions = {}): Promise<ProfileStatus> {
    assertProfileName(profile);
    const { linkDeveloperToken } = await developerTokens();
    return this.#saveLinked(profile, await linkDeveloperToken(token, options, this.#ctx.deps));
  }

  /** Saves a link made without a browser (Box JWT, developer token), with the same backend rules. */
  async #saveLinked(profile: string, linked: NewLink): Promise<ProfileStatus> {
    const chosen = await this.#profiles.backendForLink(profile);
    if (chosen.fallbackWarning) this.#ctx.warn(chosen.fallbackWarning, chosen.fallbackCliWarning);
    await this.abandonLink(profile);
    const status = await this.#keep(profile, linked, chosen.backend);
    this.#changed(profile);
    return status;
  }
}

/** Exit-code-style outcome names of maestral's `verify_auth_token`, for adapters that want them. */
export const LinkOutcome = {
  Success: 'success',
  InvalidToken: ErrorCodes.INVALID_TOKEN,
  ConnectionFailed: ErrorCodes.CONNECTION_FAILED,
} as const;
