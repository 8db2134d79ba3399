/**
 * Links in progress: start (state, PKCE, the pending authorization kept on disk, a loopback listener
 * when the browser can come back), finish (by paste or by the browser's redirect: the code
 * exchange, then the account), cancel, and the links in progress as a reopened window shows them.
 */
import { redactUrl } from '../auth/protocol-log.js';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { RedirectMode, ProfileSettings, StoreInfo } from '../model.js';
import type { AuthorizationInput } from '../auth/flow.js';
import type { LoopbackListener } from '../auth/loopback.js';
import { recordFromGrant } from '../auth/tokens.js';
import { FilePendingStore, type PendingStore } from '../store/pending.js';
import { assertProfileName } from '../store/profile-name.js';
import { flow, loopback, providers, type AccountsContext } from './context.js';
import { clientSecretMissing, providerName } from '../link-request.js';
import type { NewLink, Profiles, ProfileStatus } from './profiles.js';
import { checkLinkTarget } from '../store/writable.js';

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

/** Keeps a finished link (record, config) and answers with the profile's status. */
export type KeepLink = (profile: string, linked: NewLink, backend: string) => Promise<ProfileStatus>;

export class Linking {
  readonly #ctx: AccountsContext;
  readonly #profiles: Profiles;
  readonly #keep: KeepLink;
  readonly #pending: PendingStore;
  readonly #listeners = new Map<string, LoopbackListener<ProfileStatus>>();
  /** Client secrets of links in progress: memory only, never in the pending file. */
  readonly #secrets = new Map<string, string>();

  constructor(ctx: AccountsContext, profiles: Profiles, keep: KeepLink) {
    this.#ctx = ctx;
    this.#profiles = profiles;
    this.#keep = keep;
    this.#pending = ctx.options.pending ?? new FilePendingStore(join(ctx.options.home, 'pending'));
  }

  get pendingStore(): PendingStore {
    return this.#pending;
  }

  async start(profile: string, settings: ProfileSettings, options: LinkOptions = {}): Promise<LinkStarted> {
    assertProfileName(profile);
    if (settings.provider === 'box-jwt' || settings.provider === 'box-developer-token') {
      const said = `A ${settings.provider} profile links without a browser`;
      throw new UsageError(`${said}: link it again with its Box app settings or developer token (linkBoxJwt / linkDeveloperToken).`, {
        cliMessage: `${said}: use linkBoxJwt / linkDeveloperToken (authtray link --provider ${settings.provider}).`,
      });
    }
    const [{ resolveProvider, forLinking }, { startLoopbackListener }, { buildAuthorization }] = await Promise.all([providers(), loopback(), flow()]);
    const { deps, warn, changed } = this.#ctx;
    const provider = await resolveProvider(forLinking(settings), deps);
    if (provider.needsClientSecret && !options.clientSecret) throw clientSecretMissing();
    const chosen = await this.#profiles.backendForLink(profile);
    // Before the address is shown: the store can take the record (nothing is pending yet).
    await checkLinkTarget(chosen.store, profile);
    // Told before anything secret is written there (SECURITY.md, storage).
    if (chosen.fallbackWarning) warn(chosen.fallbackWarning, chosen.fallbackCliWarning);
    this.cancel(profile);
    let mode = options.redirect ?? settings.redirect ?? provider.defaultRedirect;
    let listener: LoopbackListener<ProfileStatus> | null = null;
    if (mode === 'loopback') {
      if (provider.loopbackPort === null) {
        const said = `${provider.kind} matches redirect URIs exactly`;
        throw new UsageError(`${said}: give the port registered with the provider, or use the paste redirect.`, { cliMessage: `${said}: give the registered port with --port, or use --redirect paste.` });
      }
      try {
        listener = await startLoopbackListener({
          port: provider.loopbackPort,
          timeoutMs: this.#ctx.options.loopbackTimeoutMs,
          handle: (params) => this.#complete(profile, { params, bareCode: false }, undefined, true),
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
        if (provider.pasteRedirectUri !== null) {
          const said = `Port ${provider.loopbackPort} on 127.0.0.1 is in use`;
          throw new UsageError(`${said}: choose another port, or give none to use any free port.`, { cliMessage: `${said}: choose another --port, or leave it out to use any free port.` });
        }
        // Dropbox: the registered port is busy, so let the provider show the code instead.
        warn(`Port ${provider.loopbackPort} on 127.0.0.1 is in use, so the browser cannot hand the code back: copy the code the provider shows and paste it here.`);
        mode = 'paste';
      }
    }
    const redirectUri = listener ? listener.redirectUri : provider.pasteRedirectUri;
    const started = await buildAuthorization(provider, { profile, mode, redirectUri, now: deps.now() });
    this.#ctx.log?.(`authorization request: ${redactUrl(started.url)}`);
    listener?.expectState(started.pending.state);
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
        changed(profile);
      };
      listener.result.then(done, done);
    }
    changed(profile);
    return {
      profile,
      url: started.url.href,
      mode,
      redirectUri,
      expiresAt: new Date(pending.expiresAt).toISOString(),
      store: chosen.store.info,
      redirected: listener?.result ?? null,
    };
  }

  /** Finishes a link with what the user pasted: the code, or the whole redirect URL. */
  async finish(profile: string, input: string, clientSecret: string | undefined): Promise<ProfileStatus> {
    assertProfileName(profile);
    const { parseAuthorizationInput } = await flow();
    return this.#complete(profile, parseAuthorizationInput(input), clientSecret);
  }

  /** The settings of the link in progress, or null; nothing secret. */
  async settings(profile: string): Promise<ProfileSettings | null> {
    assertProfileName(profile);
    return (await this.#pending.get(profile))?.settings ?? null;
  }

  /** Stops waiting for a loopback redirect and forgets the client secret. */
  cancel(profile: string): void {
    this.#listeners.get(profile)?.cancel();
    this.#listeners.delete(profile);
    this.#secrets.delete(profile);
  }

  /** Forgets the pending authorization too (the user chose Cancel). */
  async abandon(profile: string): Promise<void> {
    this.cancel(profile);
    await this.#pending.delete(profile);
    this.#ctx.changed(profile);
  }

  /** The link in progress, or null (none, or expired); the URL is rebuilt from the stored pending authorization. */
  async pendingLink(profile: string): Promise<PendingLink | null> {
    assertProfileName(profile);
    const pending = await this.#pending.get(profile);
    if (!pending || pending.expiresAt <= this.#ctx.deps.now()) return null;
    const [{ resolveProvider }, { authorizationUrl }] = await Promise.all([providers(), flow()]);
    const provider = await resolveProvider(pending.settings, this.#ctx.deps);
    return {
      profile,
      provider: providerName(pending.settings),
      url: (await authorizationUrl(provider, pending)).href,
      mode: pending.mode,
      redirectUri: pending.redirectUri,
      expiresAt: new Date(pending.expiresAt).toISOString(),
      waiting: this.#listeners.has(profile),
    };
  }

  /** The host of the pending link's authorization endpoint (where the browser may be sent), or null. */
  async authorizationHost(profile: string): Promise<string | null> {
    const settings = await this.settings(profile);
    if (!settings) return null;
    const { resolveProvider } = await providers();
    return new URL((await resolveProvider(settings, this.#ctx.deps)).as.authorization_endpoint!).host;
  }

  /** Every link in progress, by profile name. */
  async pendingLinks(): Promise<PendingLink[]> {
    const names = ((await this.#pending.list?.()) ?? []).sort();
    // One unreadable attempt (settings no provider accepts) must not hide the others.
    const links = await Promise.all(names.map((name) => this.pendingLink(name).catch(() => null)));
    return links.filter((link): link is PendingLink => link !== null);
  }

  /** Two provider requests: the token exchange, then the account. */
  async #complete(profile: string, input: AuthorizationInput, clientSecret: string | undefined, fromListener = false): Promise<ProfileStatus> {
    const [{ resolveProvider }, { checkAuthorizationResponse, exchangeCode, noPendingAuthorization }] = await Promise.all([providers(), flow()]);
    const { deps } = this.#ctx;
    const pending = await this.#pending.get(profile);
    if (!pending) throw noPendingAuthorization();
    const provider = await resolveProvider(pending.settings, deps);
    const callback = checkAuthorizationResponse(provider, pending, input, deps.now());
    const secret = clientSecret ?? this.#secrets.get(profile);
    if (provider.needsClientSecret && !secret) throw clientSecretMissing();
    const tokens = await exchangeCode(provider, pending, callback, secret, deps);
    const account = await provider.fetchAccount(tokens, deps);
    const record = recordFromGrant(tokens, {
      provider: provider.kind,
      clientId: provider.client.client_id,
      accountId: account.id,
      now: deps.now(),
      scopes: pending.settings.scopes ?? [],
      clientSecret: provider.needsClientSecret ? secret : undefined,
    });
    const backend = pending.backend ?? (await this.#profiles.backendForLink(profile)).backend;
    const status = await this.#keep(profile, { settings: provider.settings, account, record }, backend);
    await this.#pending.delete(profile, pending.state);
    this.#secrets.delete(profile);
    // Finished by paste while a listener waits: stop it (its result then rejects as cancelled).
    if (!fromListener) this.#listeners.get(profile)?.cancel();
    this.#ctx.changed(profile);
    return status;
  }
}
