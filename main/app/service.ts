/**
 * What the window and the tray need from the accounts service, with no Electron in it, so the
 * browser tests run it for real behind their loopback bridge: profile views (status, link in
 * progress, latest problem), links started from the form, the browser's redirect watched, the
 * authorization URL opened or copied through injected functions, and one change feed. Commands
 * answer only their own result: every profile view reaches the window on the change feed
 * (`status:changed`), or from `profiles()` when it first loads.
 */
import type { Accounts, PendingLink, ProfileSnapshot } from '../accounts.js';
import { AuthtrayError, BadStateError, ErrorCodes, UsageError } from '../errors.js';
import { healthOfError } from '../health/health.js';
import { accountLine } from '../health/notices.js';
import type { LinkWatch } from '../health/watch.js';
import { entryProviderName, LinkRequestError, needsClientSecret, providerName, providerOption, providerOptions, settingsFor, unlinkRevokes } from '../link-request.js';
import type { ProfileSettings } from '../model.js';
import { SETTINGS_DEFAULTS, type AppSettings } from '../settings/app-settings.js';
import type { Consent } from '../agent/consent.js';
import type { ApiError, AppInfo, AppSettingsView, ConsentAnswerRequest, ConsentRevokeRequest, ConsentView, LinkRequest, PendingLinkView, ProfileView, SettingsUpdate, UnlinkView } from '../../preload/api.js';
import { isAllowedExternalUrl } from './security.js';

export interface AppServiceOptions {
  accounts: Accounts;
  /** The local sandbox provider, offered only when run from source; null when packaged. */
  sandbox: { issuer: string; clientId: string } | null;
  /** Opens a URL in the system browser (Electron: `shell.openExternal`). */
  openExternal(url: string): Promise<void>;
  /** Puts text on the clipboard (Electron: `clipboard.writeText`). */
  copyText(text: string): void;
  /** Lets `http://127.0.0.1` authorization pages open: the sandbox, when run from source. */
  allowLoopbackHttp: boolean;
  /** Coalesces bursts of changes into one update (ms). */
  changeDelayMs?: number;
  /** The watch over the links: what it found (a provider out of reach) shows in the views, and its changes update them. */
  watch?: Pick<LinkWatch, 'healthOf' | 'onChange'> | undefined;
  /** The app's settings (electron-store); without them the defaults, unchangeable (tests of other things). */
  settings?: AppSettings | undefined;
  /** The agent's consent questions and decisions (main/agent/consent.ts); absent: the app runs no agent that asks. */
  consent?: Consent | undefined;
}

/** A message that never carries anything but our own words: unknown errors are not described. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof AuthtrayError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'Something unexpected went wrong in authtray. Try again; if it persists, restart authtray and report it.' };
}

export class AppService {
  readonly #options: AppServiceOptions;
  readonly #accounts: Accounts;
  /** The latest problem per profile that no call could report: a failed browser redirect. */
  readonly #errors = new Map<string, ApiError>();
  readonly #listeners = new Set<(profiles: ProfileView[]) => void>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  readonly #unsubscribe: () => void;

  constructor(options: AppServiceOptions) {
    this.#options = options;
    this.#accounts = options.accounts;
    const unsubscribe = [this.#accounts.onStatusChanged(() => this.#schedule()), options.watch?.onChange(() => this.#schedule())];
    this.#unsubscribe = () => unsubscribe.forEach((u) => u?.());
  }

  /**
   * What the window needs to know before the first link. Where a new link would go comes from the
   * last keyring probe (reading it writes nothing); `retry` probes afresh.
   */
  async info(options: { retry?: boolean } = {}): Promise<AppInfo> {
    // A keyring that cannot be used now (locked) is reported by the profiles and by linking itself;
    // it never falls back to plain text, so there is nothing to warn about here.
    const store = await this.#accounts.newLinkStore(options).catch((err: unknown) => {
      if (err instanceof AuthtrayError && err.code === ErrorCodes.KEYRING_ACCESS) return null;
      throw err;
    });
    return {
      sandbox: this.#options.sandbox && { issuer: this.#options.sandbox.issuer },
      providers: providerOptions(this.#options.sandbox !== null),
      newLinkStore: store && { backend: store.backend, location: store.location, secure: store.secure },
    };
  }

  /** Every profile: linked ones, links in progress and profiles with a problem to show. */
  async profiles(): Promise<ProfileView[]> {
    const snapshot = await this.#accounts.snapshot();
    const known = new Set(snapshot.map((s) => s.profile));
    // A profile whose only news is a failed redirect (its link attempt is gone).
    const others = [...this.#errors.keys()].filter((name) => !known.has(name)).map((profile): ProfileSnapshot => ({ profile, config: null, settings: null, pending: null, status: null, error: null }));
    return [...snapshot, ...others].sort((a, b) => (a.profile < b.profile ? -1 : a.profile > b.profile ? 1 : 0)).map((s) => this.#view(s));
  }

  #view({ profile, config, settings, pending, status, error }: ProfileSnapshot): ProfileView {
    const base = {
      profile,
      provider: config ? entryProviderName(config) : (pending?.provider ?? 'none'),
      needsClientSecret: needsClientSecret(settings),
      unlinkRevokes: unlinkRevokes(settings),
      pending: pending && pendingView(pending),
      error: this.#errors.get(profile) ?? null,
    };
    if (status) {
      const watched = this.#options.watch?.healthOf(profile);
      const health = status.needsRelink ? 'needs-relink' : !status.linked ? null : watched === 'provider-unreachable' ? watched : 'linked';
      return {
        ...base,
        health,
        linked: status.linked,
        needsRelink: status.needsRelink,
        account: status.account && { id: status.account.id, name: status.account.name, email: status.account.email, ...(status.account.drive ? { drive: status.account.drive } : {}) },
        token: status.token && { kind: status.token.kind, expiresAt: status.token.expiresAt },
        store: status.store && { backend: status.store.backend, location: status.store.location, secure: status.store.secure },
      };
    }
    if (!error) {
      return { ...base, linked: false, needsRelink: false, account: null, token: null, store: null, health: null };
    }
    // The store could not be read (a locked keyring): show the profile with what to do.
    return {
      ...base,
      linked: false,
      needsRelink: config?.needsRelink ?? false,
      account: config?.account ? { id: config.account.id, name: config.account.name, email: config.account.email } : null,
      token: null,
      store: null,
      error: toApiError(error),
      health: config?.needsRelink ? 'needs-relink' : healthOfError(error),
    };
  }

  #settings(request: LinkRequest, saved: ProfileSettings | null): ProfileSettings {
    if (request.provider === undefined) {
      if (!saved) throw new UsageError(`Profile "${request.profile}" is new: choose a provider.`);
      return saved;
    }
    const choice = { provider: request.provider, clientId: request.clientId?.trim() || undefined, secretGiven: Boolean(request.clientSecret) };
    try {
      // The form asks for an issuer only where the provider takes one.
      const option = providerOption(request.provider);
      return settingsFor(
        { ...choice, issuer: option.issuer ? request.issuer?.trim() : undefined, tenant: option.tenant ? request.tenant?.trim() || undefined : undefined },
        this.#options.sandbox,
      );
    } catch (err) {
      // The window names its own fields.
      if (err instanceof LinkRequestError && err.missing === 'clientId') throw new UsageError('Enter the client id (Dropbox calls it the app key) from your app registration.');
      if (err instanceof LinkRequestError && err.missing === 'issuer') throw new UsageError('Enter the issuer URL of your OpenID Connect provider, e.g. https://accounts.example.com.');
      throw err;
    }
  }

  /**
   * Starts a link from the form (or again with the saved settings). A loopback link's outcome
   * arrives later: success as a status change, failure as the profile's `error`.
   */
  async startLink(request: LinkRequest): Promise<PendingLinkView> {
    const settings = this.#settings(request, await this.#accounts.savedSettings(request.profile));
    if (needsClientSecret(settings) && !request.clientSecret) throw new UsageError('This client needs its client secret: enter it in the form.');
    this.#errors.delete(request.profile);
    const started = await this.#accounts.startLink(request.profile, settings, { clientSecret: request.clientSecret });
    // The form's choice, for next time: provider, client id, issuer; the secret is not taken.
    if (request.provider) this.#options.settings?.rememberLinkForm({ provider: request.provider, clientId: request.clientId, issuer: request.issuer });
    started.redirected?.catch((err: unknown) => {
      // Cancelled means the user cancelled, finished by pasting, or started again: nothing to report.
      if (err instanceof AuthtrayError && err.code === ErrorCodes.CANCELLED) return;
      this.#errors.set(request.profile, toApiError(err));
      this.#schedule();
    });
    return {
      profile: started.profile,
      provider: providerName(settings),
      url: started.url,
      mode: started.mode,
      redirectUri: started.redirectUri,
      expiresAt: started.expiresAt,
      waiting: started.redirected !== null,
    };
  }

  /** Finishes with what the user pasted: the code or the whole redirect URL. The profile itself arrives on the change feed. */
  async finishLink(profile: string, input: string): Promise<null> {
    await this.#accounts.finishLink(profile, input);
    this.#errors.delete(profile);
    return null;
  }

  /** Cancel: stop waiting for the browser and forget the link attempt. */
  async cancelLink(profile: string): Promise<null> {
    this.#errors.delete(profile);
    await this.#accounts.abandonLink(profile);
    return null;
  }

  async #pendingUrl(profile: string): Promise<string> {
    const pending = await this.#accounts.pendingLink(profile);
    if (!pending) throw new BadStateError('No link is in progress for this profile, or it expired. Start the link again.');
    return pending.url;
  }

  /**
   * Opens the link's authorization URL in the system browser, only if it is https (or the sandbox's
   * http://127.0.0.1 from source) on the host of the provider's authorization endpoint.
   */
  async openLink(profile: string): Promise<null> {
    const url = await this.#pendingUrl(profile);
    const host = (await this.#accounts.authorizationHost(profile))!;
    if (!isAllowedExternalUrl(url, host, { allowLoopbackHttp: this.#options.allowLoopbackHttp })) {
      throw new UsageError(`authtray opens only https pages of ${host} in your browser. Copy the address and open it yourself if you trust it.`);
    }
    await this.#options.openExternal(url);
    return null;
  }

  /** Copies the link's authorization URL. */
  async copyLink(profile: string): Promise<null> {
    this.#options.copyText(await this.#pendingUrl(profile));
    return null;
  }

  async unlink(profile: string): Promise<UnlinkView> {
    const result = await this.#accounts.unlink(profile);
    this.#errors.delete(profile);
    return { revoked: result.revoked, revocation: result.revocation, warning: result.warning };
  }

  /** The app's settings, for the Settings view and the link form. */
  async settings(): Promise<AppSettingsView> {
    const { window: _window, ...view } = SETTINGS_DEFAULTS;
    return this.#options.settings?.view() ?? view;
  }

  async updateSettings(update: SettingsUpdate): Promise<AppSettingsView> {
    if (!this.#options.settings) throw new BadStateError('Settings cannot be changed in this run of authtray.');
    return this.#options.settings.update(update);
  }

  /** The programs waiting for the person's answer, and those allowed for good. */
  async consent(): Promise<ConsentView> {
    return this.#options.consent?.view() ?? { questions: [], decisions: [] };
  }

  async answerConsent({ id, answer }: ConsentAnswerRequest): Promise<ConsentView> {
    return this.#consent().answer(id, answer);
  }

  async revokeConsent(decision: ConsentRevokeRequest): Promise<ConsentView> {
    return this.#consent().revoke(decision);
  }

  /** Called after each change to the questions or decisions; returns the unsubscribe function. */
  onConsentChanged(listener: (view: ConsentView) => void): () => void {
    return this.#options.consent?.onChange(listener) ?? (() => {});
  }

  /** The account a consent question names ("Dropbox — alice@example.com"); null when the profile is not linked. */
  async accountLabel(profile: string): Promise<string | null> {
    const view = (await this.profiles()).find((p) => p.profile === profile);
    return view?.account ? accountLine(view) : null;
  }

  #consent(): Consent {
    if (!this.#options.consent) throw new BadStateError('This run of authtray serves no agent that asks for consent: there is nothing to answer or revoke.');
    return this.#options.consent;
  }

  /** Called with every profile after each change (coalesced); returns the unsubscribe function. */
  onChange(listener: (profiles: ProfileView[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.profiles().then(
        (profiles) => {
          for (const listener of this.#listeners) listener(profiles);
        },
        () => {
          // The config could not be read: the next call from the window reports it with what to do.
        },
      );
    }, this.#options.changeDelayMs ?? 20);
  }

  /** Stops listening to the accounts service. */
  close(): void {
    this.#unsubscribe();
    if (this.#timer) clearTimeout(this.#timer);
    this.#listeners.clear();
  }
}

/** Field by field, so nothing the service adds to a pending link crosses IPC unseen. */
function pendingView(pending: PendingLink): PendingLinkView {
  return {
    profile: pending.profile,
    provider: pending.provider,
    url: pending.url,
    mode: pending.mode,
    redirectUri: pending.redirectUri,
    expiresAt: pending.expiresAt,
    waiting: pending.waiting,
  };
}
