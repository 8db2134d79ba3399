/**
 * The accounts service: link / finish / cancel / unlink / status / access token, per profile. The CLI
 * and the app's IPC handlers are thin adapters over this class; neither holds OAuth or storage logic.
 */
import { join } from 'node:path';
import { AuthtrayError, CredentialStoreError, ErrorCodes, NeedsRelinkError, NotLinkedError, UsageError } from './errors.js';
import type { AuthorizationInput } from './auth/flow.js';
import type { BoxJwtLinkOptions } from './auth/box-jwt.js';
import type { DeveloperTokenOptions } from './auth/developer-token.js';
import type { DownscopedToken, DownscopeOptions } from './auth/token-exchange.js';
import { defaultAuthDeps, type AuthDeps } from './auth/deps.js';
import type { LoopbackListener } from './auth/loopback.js';
import { FilePendingStore, type PendingStore } from './auth/pending.js';
import type { AccountInfo, ProfileSettings, RedirectMode } from './auth/providers.js';
import type { OAuthSession, RefreshLock } from './auth/session.js';
import { ConfigFile, type ProfileConfig } from './store/config.js';
import { FileRefreshLock } from './store/file-lock.js';
import { Backends, type ChosenBackend } from './store/backends.js';
import type { KeyringOptions } from './store/keyring.js';
import { isSharedStoreUrl, sharedStoreLocation } from './store/store-url.js';
import { assertProfileName } from './store/profile-name.js';
import { DEFAULT_REFRESH_MARGIN_MS, isFresh, serializeCredentialRecord } from './store/record.js';
import type { CredentialRecord, CredentialStore, StoreInfo, TokenKind } from './store/types.js';

export interface AccountsOptions {
  /** Directory of the config file and the file stores (see `authtrayHome()`). */
  home: string;
  deps?: Partial<AuthDeps>;
  /**
   * Where new links keep their credentials (`--store`, AUTHTRAY_STORE): `auto` (the system keyring
   * when it works, else plain text with a warning), `keyring`, `plaintext`, or a backend name
   * `openStore` knows. Default `auto`.
   */
  store?: string;
  /** Opens the credential store of a backend name (replaces the built-in ones: tests, embedders). */
  openStore?: (backend: string) => CredentialStore;
  /** System keyring settings (service name, per-call timeout). */
  keyring?: KeyringOptions;
  /** Where AUTHTRAY_STORE_KEY is read from (sealing records in shared stores); default process.env. */
  env?: NodeJS.ProcessEnv;
  pending?: PendingStore;
  lock?: RefreshLock;
  /** Non-fatal problems the user should hear about (a failed revocation, a fallback). */
  warn?: (message: string) => void;
  loopbackTimeoutMs?: number;
  refreshMarginMs?: number;
  /**
   * Called with the profile's new record on every token change, after it is stored: a link, a
   * refresh, a JWT renewal (Box's `store_tokens`). Awaited; its failure reaches the caller.
   */
  onTokens?: (profile: string, record: CredentialRecord) => void | Promise<void>;
}

export interface ProfileStatus {
  profile: string;
  provider: string;
  linked: boolean;
  needsRelink: boolean;
  account: AccountInfo | null;
  token: { kind: TokenKind; expiresAt: string | null } | null;
  store: StoreInfo | null;
}

export interface LinkOptions {
  redirect?: RedirectMode | undefined;
  clientSecret?: string | undefined;
}

export interface LinkStarted {
  profile: string;
  /** Show it to the user / open it in the system browser. Holds no secret. */
  url: string;
  mode: RedirectMode;
  redirectUri: string | null;
  expiresAt: string;
  /** Where the credentials will be kept; `secure: false` means plain text, and the user was warned. */
  store: StoreInfo;
  /** Loopback only: settles when the browser comes back with the answer, or the wait ends. */
  redirected: Promise<ProfileStatus> | null;
}

/** A link in progress, as the app shows it again after its window was reopened. Holds no secret. */
export interface PendingLink {
  profile: string;
  provider: string;
  url: string;
  mode: RedirectMode;
  redirectUri: string | null;
  expiresAt: string;
  /** A loopback listener of this process is waiting for the browser. */
  waiting: boolean;
}

/** Called with the profile whose status may have changed (link, finish, cancel, unlink, refresh, needs relink). */
export type StatusListener = (profile: string) => void;

export interface UnlinkResult {
  revoked: boolean;
  warning: string | null;
}

export class Accounts {
  readonly home: string;
  readonly config: ConfigFile;
  readonly #deps: AuthDeps;
  readonly #pending: PendingStore;
  readonly #backends: Backends;
  readonly #storeChoice: string;
  readonly #warn: (message: string) => void;
  readonly #options: AccountsOptions;
  readonly #sessions = new Map<string, Promise<OAuthSession>>();
  readonly #tokenRequests = new Map<string, Promise<string>>();
  readonly #listeners = new Map<string, LoopbackListener<ProfileStatus>>();
  readonly #fileLock: FileRefreshLock;
  /** Client secrets of links in progress: memory only, never in the pending file. */
  readonly #secrets = new Map<string, string>();
  readonly #statusListeners = new Set<StatusListener>();

  constructor(options: AccountsOptions) {
    this.#options = options;
    this.home = options.home;
    this.config = new ConfigFile(options.home);
    this.#deps = { ...defaultAuthDeps, ...options.deps };
    this.#fileLock = new FileRefreshLock(join(options.home, 'locks'));
    this.#pending = options.pending ?? new FilePendingStore(join(options.home, 'pending'));
    this.#storeChoice = options.store ?? 'auto';
    this.#backends = new Backends({
      home: options.home,
      keyring: options.keyring,
      open: options.openStore,
      sharedUrl: isSharedStoreUrl(this.#storeChoice) ? this.#storeChoice : undefined,
      env: options.env,
    });
    this.#warn = options.warn ?? (() => {});
  }

  /**
   * Starts linking: a fresh state and PKCE verifier, the pending authorization stored, and for the
   * loopback flow a listener on 127.0.0.1. Returns the URL to open.
   */
  async startLink(profile: string, settings: ProfileSettings, options: LinkOptions = {}): Promise<LinkStarted> {
    assertProfileName(profile);
    if (settings.provider === 'box-jwt' || settings.provider === 'box-developer-token') {
      throw new UsageError(`A ${settings.provider} profile links without a browser: use linkBoxJwt / linkDeveloperToken (authtray link --provider ${settings.provider}).`);
    }
    const [{ resolveProvider }, { startLoopbackListener }, { buildAuthorization }] = await Promise.all([providers(), loopback(), flow()]);
    const provider = await resolveProvider(settings, this.#deps);
    if (provider.needsClientSecret && !options.clientSecret) {
      throw new UsageError('This client needs its client secret: set AUTHTRAY_CLIENT_SECRET or enter it when asked.');
    }
    const chosen = await this.#backendForLink(profile);
    // Told before anything secret is written there (SECURITY.md, storage).
    if (chosen.fallbackWarning) this.#warn(chosen.fallbackWarning);
    this.cancelLink(profile);
    let mode = options.redirect ?? settings.redirect ?? provider.defaultRedirect;
    let listener: LoopbackListener<ProfileStatus> | null = null;
    if (mode === 'loopback') {
      if (provider.loopbackPort === null) {
        throw new UsageError(`${provider.kind} matches redirect URIs exactly: give the registered port with --port, or use --redirect paste.`);
      }
      try {
        listener = await startLoopbackListener({
          port: provider.loopbackPort,
          timeoutMs: this.#options.loopbackTimeoutMs,
          handle: (params) => this.#complete(profile, { params, bareCode: false }, undefined, true),
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
        if (provider.pasteRedirectUri !== null) {
          throw new UsageError(`Port ${provider.loopbackPort} on 127.0.0.1 is in use: choose another --port, or leave it out to use any free port.`);
        }
        // Dropbox: the registered port is busy, so let the provider show the code instead.
        this.#warn(`Port ${provider.loopbackPort} on 127.0.0.1 is in use, so the browser cannot hand the code back: copy the code the provider shows and paste it here.`);
        mode = 'paste';
      }
    }
    const redirectUri = listener ? listener.redirectUri : provider.pasteRedirectUri;
    const started = await buildAuthorization(provider, { profile, mode, redirectUri, now: this.#deps.now() });
    const { url } = started;
    const pending = { ...started.pending, backend: chosen.backend };
    try {
      await this.#pending.put(pending);
    } catch (err) {
      listener?.cancel();
      throw err;
    }
    if (options.clientSecret) this.#secrets.set(profile, options.clientSecret);
    if (listener) {
      this.#listeners.set(profile, listener);
      const done = () => {
        if (this.#listeners.get(profile) === listener) this.#listeners.delete(profile);
        this.#changed(profile);
      };
      listener.result.then(done, done);
    }
    this.#changed(profile);
    return {
      profile,
      url: url.href,
      mode,
      redirectUri,
      expiresAt: new Date(pending.expiresAt).toISOString(),
      store: chosen.store.info,
      redirected: listener?.result ?? null,
    };
  }

  /**
   * The backend a link will write to: a linked profile keeps the one it has (never switched while
   * linked); a new one gets the configured choice. A keyring that cannot be used now fails here,
   * before the user approves anything.
   */
  async #backendForLink(profile: string): Promise<ChosenBackend> {
    const previous = (await this.config.read()).profiles[profile];
    if (!previous) return this.#backends.choose(this.#storeChoice);
    const remembered = previous.store.backend;
    const wanted = this.#storeChoice === 'auto' || !isSharedStoreUrl(this.#storeChoice) ? this.#storeChoice : sharedStoreLocation(this.#storeChoice);
    if (wanted !== 'auto' && wanted !== remembered) {
      throw new UsageError(
        `Profile "${profile}" keeps its credentials in ${remembered} until it is unlinked. To move them, run: authtray store migrate --profile ${profile} --to ${wanted}`,
      );
    }
    return this.#backends.choose(remembered);
  }

  /** Finishes a link with what the user pasted: the code, or the whole redirect URL. */
  async finishLink(profile: string, input: string, options: { clientSecret?: string | undefined } = {}): Promise<ProfileStatus> {
    assertProfileName(profile);
    const { parseAuthorizationInput } = await flow();
    return this.#complete(profile, parseAuthorizationInput(input), options.clientSecret);
  }

  /** The settings of the link in progress, or null; nothing secret. */
  async pendingSettings(profile: string): Promise<ProfileSettings | null> {
    assertProfileName(profile);
    return (await this.#pending.get(profile))?.settings ?? null;
  }

  /** Stops waiting for a loopback redirect and forgets the pending authorization. */
  cancelLink(profile: string): void {
    this.#listeners.get(profile)?.cancel();
    this.#listeners.delete(profile);
    this.#secrets.delete(profile);
  }

  /** Forgets the pending authorization too (the user chose Cancel). */
  async abandonLink(profile: string): Promise<void> {
    this.cancelLink(profile);
    await this.#pending.delete(profile);
    this.#changed(profile);
  }

  /**
   * The link in progress for `profile`, or null (none, or expired). The URL is rebuilt from the
   * stored pending authorization, so a reopened window can show it again.
   */
  async pendingLink(profile: string): Promise<PendingLink | null> {
    assertProfileName(profile);
    const pending = await this.#pending.get(profile);
    if (!pending || pending.expiresAt <= this.#deps.now()) return null;
    const [{ resolveProvider }, { authorizationUrl }] = await Promise.all([providers(), flow()]);
    const provider = await resolveProvider(pending.settings, this.#deps);
    return {
      profile,
      provider: pending.settings.sandbox ? 'sandbox' : pending.settings.provider,
      url: (await authorizationUrl(provider, pending)).href,
      mode: pending.mode,
      redirectUri: pending.redirectUri,
      expiresAt: new Date(pending.expiresAt).toISOString(),
      waiting: this.#listeners.has(profile),
    };
  }

  /** Every link in progress, by profile name. */
  async pendingLinks(): Promise<PendingLink[]> {
    const names = ((await this.#pending.list?.()) ?? []).sort();
    // One unreadable attempt (settings no provider accepts) must not hide the others.
    const links = await Promise.all(names.map((name) => this.pendingLink(name).catch(() => null)));
    return links.filter((link): link is PendingLink => link !== null);
  }

  /**
   * Where a new link's credentials would be stored, as `startLink` would choose (the app warns before
   * a secret goes to plain text). A locked keyring throws KeyringAccessError, as linking would.
   */
  async newLinkStore(): Promise<StoreInfo> {
    return (await this.#backends.choose(this.#storeChoice)).store.info;
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

  /** Two provider requests: the token exchange, then the account. */
  async #complete(profile: string, input: AuthorizationInput, clientSecret: string | undefined, fromListener = false): Promise<ProfileStatus> {
    const [{ resolveProvider, tokenKindOf }, { checkAuthorizationResponse, exchangeCode, noPendingAuthorization }] = await Promise.all([providers(), flow()]);
    const pending = await this.#pending.get(profile);
    if (!pending) throw noPendingAuthorization();
    const provider = await resolveProvider(pending.settings, this.#deps);
    const callback = checkAuthorizationResponse(provider, pending, input, this.#deps.now());
    const secret = clientSecret ?? this.#secrets.get(profile);
    if (provider.needsClientSecret && !secret) {
      throw new UsageError('This client needs its client secret: set AUTHTRAY_CLIENT_SECRET or enter it when asked.');
    }
    const tokens = await exchangeCode(provider, pending, callback, secret, this.#deps);
    const account = await provider.fetchAccount(tokens, this.#deps);
    const now = this.#deps.now();
    const record: CredentialRecord = {
      version: 1,
      provider: provider.kind,
      clientId: provider.client.client_id,
      accountId: account.id,
      tokenKind: tokenKindOf(tokens),
      accessToken: tokens.access_token,
      expiresAt: typeof tokens.expires_in === 'number' ? now + tokens.expires_in * 1000 : null,
      refreshToken: tokens.refresh_token ?? null,
      issuedAt: now,
      scopes: tokens.scope ? tokens.scope.split(' ') : (pending.settings.scopes ?? []),
      ...(provider.needsClientSecret ? { clientSecret: secret } : {}),
    };
    const backend = pending.backend ?? (await this.#backendForLink(profile)).backend;
    const status = await this.#saveLink(profile, { settings: provider.settings, account, record }, backend);
    await this.#pending.delete(profile);
    this.#secrets.delete(profile);
    // Finished by paste while a listener waits: stop it (its result then rejects as cancelled).
    if (!fromListener) this.#listeners.get(profile)?.cancel();
    this.#changed(profile);
    return status;
  }

  /**
   * Keeps a new link: the record in its backend, the settings in the config (and, for a shared
   * store, beside the record, nothing secret, for hosts that never linked), then tells `onTokens`.
   */
  async #saveLink(profile: string, linked: { settings: ProfileSettings; account: AccountInfo; record: CredentialRecord }, backend: string): Promise<ProfileStatus> {
    const previous = (await this.config.read()).profiles[profile];
    const store = this.#backends.open(backend);
    await store.save(profile, linked.record);
    // The profile was unlinked and linked again elsewhere meanwhile: no copy stays behind.
    if (previous && previous.store.backend !== backend) await this.#backends.open(previous.store.backend).delete(profile);
    const config: ProfileConfig = {
      settings: linked.settings,
      account: linked.account,
      store: { backend },
      needsRelink: false,
      linkedAt: new Date(this.#deps.now()).toISOString(),
    };
    await store.saveProfile?.(profile, config);
    await this.config.update((data) => {
      data.profiles[profile] = config;
    });
    this.#sessions.delete(profile);
    await this.#options.onTokens?.(profile, linked.record);
    return this.#statusOf(profile, config, linked.record);
  }

  async #profileConfig(profile: string): Promise<ProfileConfig> {
    const config = await this.#findProfile(profile);
    if (!config) throw new NotLinkedError(profile);
    return config;
  }

  /**
   * The profile's config: this machine's, else — when a shared store was given (`--store redis://…`)
   * — the one the linking host left there, so a fleet needs one link and then only `token`.
   */
  async #findProfile(profile: string): Promise<ProfileConfig | null> {
    assertProfileName(profile);
    const local = (await this.config.read()).profiles[profile];
    if (local) return local;
    const shared = this.#sharedStore();
    if (!shared?.loadProfile) return null;
    return ((await shared.loadProfile(profile)) as ProfileConfig | null) ?? null;
  }

  /** The shared store this run was pointed at, if any. */
  #sharedStore(): CredentialStore | null {
    return isSharedStoreUrl(this.#storeChoice) ? this.#backends.open(sharedStoreLocation(this.#storeChoice)) : null;
  }

  #statusOf(profile: string, config: ProfileConfig, record: CredentialRecord | null): ProfileStatus {
    return {
      profile,
      provider: config.settings.sandbox ? 'sandbox' : config.settings.provider,
      linked: record !== null,
      needsRelink: config.needsRelink,
      account: config.account,
      token: record && { kind: record.tokenKind, expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString() },
      store: this.#backends.open(config.store.backend).info,
    };
  }

  /** The profile's status; reads the credential store (a locked keyring shows here). */
  async status(profile: string): Promise<ProfileStatus> {
    const config = await this.#findProfile(profile);
    if (!config) {
      return { profile, provider: (await this.#pending.get(profile))?.settings.provider ?? 'none', linked: false, needsRelink: false, account: null, token: null, store: null };
    }
    const record = await this.#backends.open(config.store.backend).load(profile);
    return this.#statusOf(profile, config, record);
  }

  /** Every configured profile's status, by name. */
  async profiles(): Promise<ProfileStatus[]> {
    const names = Object.keys((await this.config.read()).profiles).sort();
    return Promise.all(names.map((name) => this.status(name)));
  }

  /** The profile's token session: one per profile per service, however many callers ask at once. */
  session(profile: string): Promise<OAuthSession> {
    let session = this.#sessions.get(profile);
    if (!session) {
      // A closed session is forgotten, so the next caller gets a new one.
      const opened: Promise<OAuthSession> = this.#openSession(profile, () => {
        if (this.#sessions.get(profile) === opened) this.#sessions.delete(profile);
      });
      session = opened;
      this.#sessions.set(profile, session);
      session.catch(() => this.#sessions.delete(profile));
    }
    return session;
  }

  async #openSession(profile: string, onClose?: () => void): Promise<OAuthSession> {
    const config = await this.#profileConfig(profile);
    const [{ OAuthSession }, { resolveProvider }] = await Promise.all([sessions(), providers()]);
    const store = this.#backends.open(config.store.backend);
    return new OAuthSession({
      profile,
      store,
      provider: () => resolveProvider(config.settings, this.#deps),
      deps: this.#deps,
      lock: this.#lockFor(store),
      refreshMarginMs: this.#options.refreshMarginMs,
      onNeedsRelink: () => this.#markNeedsRelink(profile),
      onTokens: (record) => {
        this.#changed(profile);
        return this.#options.onTokens?.(profile, record);
      },
      onClose,
    });
  }

  /** Shared stores lock in the store itself; local ones with a lock file beside the config. */
  #lockFor(store: CredentialStore): RefreshLock {
    return this.#options.lock ?? store.lock ?? this.#fileLock;
  }

  /** A valid access token, refreshed first when needed. */
  accessToken(profile: string): Promise<string> {
    // Callers that ask at the same moment share one answer: one config read, one store read, at
    // most one refresh (the session single-flights refreshes too, for callers that come later).
    let inflight = this.#tokenRequests.get(profile);
    if (!inflight) {
      inflight = this.#accessToken(profile).finally(() => this.#tokenRequests.delete(profile));
      this.#tokenRequests.set(profile, inflight);
    }
    return inflight;
  }

  async #accessToken(profile: string): Promise<string> {
    const config = await this.#profileConfig(profile);
    if (config.needsRelink) throw new NeedsRelinkError(profile);
    if (!this.#sessions.has(profile)) {
      // First use in this process: a fresh stored token needs no session (and no OAuth code loaded).
      const record = await this.#backends.open(config.store.backend).load(profile);
      if (!record) throw new NotLinkedError(profile);
      if (isFresh(record, this.#deps.now(), this.#options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS)) return record.accessToken;
    }
    return (await this.session(profile)).accessToken();
  }

  async #markNeedsRelink(profile: string): Promise<void> {
    const config = await this.#findProfile(profile);
    await this.config.update((data) => {
      const entry = data.profiles[profile];
      if (entry) entry.needsRelink = true;
    });
    // A fleet learns it too: every host would otherwise try the dead grant again.
    const store = config && this.#backends.open(config.store.backend);
    if (config && store?.saveProfile) await store.saveProfile(profile, { ...config, needsRelink: true });
    this.#changed(profile);
  }

  /**
   * Moves a linked profile's record to another backend (`authtray store migrate`): write, read back,
   * remember the new backend, then delete the old copy. Under the refresh lock, so no refresh
   * writes the old place meanwhile. A failure before the switch leaves everything as it was.
   */
  async migrate(profile: string, to: string): Promise<{ from: StoreInfo; to: StoreInfo }> {
    const config = await this.#profileConfig(profile);
    const fromBackend = config.store.backend;
    if (fromBackend === to) throw new UsageError(`Profile "${profile}" already keeps its credentials in ${to}.`);
    const from = this.#backends.open(fromBackend);
    const target = await this.#backends.choose(to);
    if (!target.store.info.secure) {
      this.#warn(`The credentials of profile "${profile}" will be stored in plain text in ${target.store.info.location}, readable by anyone who can read your files.`);
    }
    await this.#lockFor(from).withLock(profile, async () => {
      const record = await from.load(profile);
      if (!record) throw new NotLinkedError(profile);
      await target.store.save(profile, record);
      const copy = await target.store.load(profile);
      if (!copy || serializeCredentialRecord(copy) !== serializeCredentialRecord(record)) {
        throw new CredentialStoreError(`The copy in ${target.store.info.location} did not read back the same; the credentials stay in ${from.info.location}. Try again.`);
      }
      await this.config.update((data) => {
        const entry = data.profiles[profile];
        if (entry) entry.store = { backend: target.backend };
      });
      try {
        await from.delete(profile);
      } catch (err) {
        this.#warn(`The old copy in ${from.info.location} could not be deleted (${err instanceof AuthtrayError ? err.message : 'unknown error'}); remove it by hand.`);
      }
    });
    this.#sessions.delete(profile);
    this.#changed(profile);
    return { from: from.info, to: target.store.info };
  }

  /** Releases what the stores hold open (connections), so a CLI run can exit. */
  async close(): Promise<void> {
    await this.#backends.closeAll();
  }

  /**
   * Revokes at the provider (best effort: a failure is a warning), then deletes the credentials and
   * the profile, whatever happened. Only an unreadable store stops it, since it could not delete.
   */
  async unlink(profile: string): Promise<UnlinkResult> {
    const config = await this.#profileConfig(profile);
    const store = this.#backends.open(config.store.backend);
    const record = await store.load(profile);
    let warning: string | null = null;
    if (record) {
      try {
        const { resolveProvider } = await providers();
        const provider = await resolveProvider(config.settings, this.#deps);
        let accessToken = record.accessToken;
        // Dropbox revokes with an access token, so an expired one is renewed first.
        if (provider.kind === 'dropbox' && !isFresh(record, this.#deps.now(), 0) && record.refreshToken) {
          accessToken = await (await this.session(profile)).accessToken();
        }
        await provider.revoke({ accessToken, refreshToken: record.refreshToken, clientSecret: record.clientSecret }, this.#deps);
      } catch (err) {
        const why = err instanceof AuthtrayError ? err.message : 'the provider did not confirm';
        warning = `Could not revoke the grant at the provider (${why}). The credentials were deleted here; you can also remove the app's access in your account settings.`;
        this.#warn(warning);
      }
    }
    await store.delete(profile);
    await this.config.update((data) => {
      delete data.profiles[profile];
    });
    await this.#pending.delete(profile);
    this.#sessions.delete(profile);
    this.#changed(profile);
    return { revoked: record !== null && warning === null, warning };
  }

  /**
   * Links a Box JWT app (server auth) from the Box console's settings, for its enterprise or an app
   * user: no browser, two requests (token, account). The client secret, key and passphrase go to the
   * credential store only.
   */
  async linkBoxJwt(profile: string, options: BoxJwtLinkOptions): Promise<ProfileStatus> {
    assertProfileName(profile);
    const { linkBoxJwt } = await boxJwt();
    return this.#saveLinked(profile, await linkBoxJwt(options, this.#deps));
  }

  /** Links a Box developer token (one request: the account). It lasts 60 minutes, then needs relinking. */
  async linkDeveloperToken(profile: string, token: string, options: DeveloperTokenOptions = {}): Promise<ProfileStatus> {
    assertProfileName(profile);
    const { linkDeveloperToken } = await developerTokens();
    return this.#saveLinked(profile, await linkDeveloperToken(token, options, this.#deps));
  }

  /**
   * A token restricted to `scopes` (and optionally one item), made from the profile's access token
   * (RFC 8693; Box's downscoping). Not stored.
   */
  async downscope(profile: string, scopes: readonly string[], options: DownscopeOptions = {}): Promise<DownscopedToken> {
    const config = await this.#profileConfig(profile);
    if (config.needsRelink) throw new NeedsRelinkError(profile);
    return (await this.session(profile)).downscope(scopes, options);
  }

  /** Keeps a link made without a browser: record first, then the profile's config. */
  /** Saves a link made without a browser (Box JWT, developer token), with the same backend rules. */
  async #saveLinked(profile: string, linked: { settings: ProfileSettings; account: AccountInfo; record: CredentialRecord }): Promise<ProfileStatus> {
    const chosen = await this.#backendForLink(profile);
    if (chosen.fallbackWarning) this.#warn(chosen.fallbackWarning);
    await this.abandonLink(profile);
    const status = await this.#saveLink(profile, linked, chosen.backend);
    this.#changed(profile);
    return status;
  }
}

/**
 * The protocol modules load on first use: `authtray token` with a fresh cached token reads two files
 * and never needs them, and a CLI that starts fast is one scripts can call freely.
 */
const flow = () => import('./auth/flow.js');
const providers = () => import('./auth/providers.js');
const loopback = () => import('./auth/loopback.js');
const sessions = () => import('./auth/session.js');
const boxJwt = () => import('./auth/box-jwt.js');
const developerTokens = () => import('./auth/developer-token.js');

/** Exit-code-style outcome names of maestral's `verify_auth_token`, for adapters that want them. */
export const LinkOutcome = {
  Success: 'success',
  InvalidToken: ErrorCodes.INVALID_TOKEN,
  ConnectionFailed: ErrorCodes.CONNECTION_FAILED,
} as const;
