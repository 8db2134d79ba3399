/**
 * The profiles: the config file and, for a shared store, its copy beside the records; which backend
 * a profile's credentials live in (chosen at link time, kept until unlink, moved only by migrate);
 * the needs-relink flag; and each profile's status.
 */
import { join } from 'node:path';
import { AuthtrayError, CredentialStoreError, NotLinkedError, UsageError } from '../errors.js';
import type { AccountInfo, ConfigData, CredentialRecord, ProfileConfig, ProfileSettings, StoreInfo, TokenKind } from '../model.js';
import { Backends, type ChosenBackend } from '../store/backends.js';
import { ConfigFile } from '../store/config.js';
import { assertProfileName } from '../store/profile-name.js';
import { serializeCredentialRecord } from '../store/record.js';
import { isSharedStoreUrl, sharedStoreLocation } from '../store/store-url.js';
import type { CredentialStore, RefreshLock } from '../store/types.js';
import { providerName } from '../link-request.js';
import { entryProblem } from '../store/damaged.js';
import { cleanAccount } from '../sanitize.js';
import type { AccountsContext } from './context.js';

export interface ProfileStatus {
  profile: string;
  provider: string;
  linked: boolean;
  needsRelink: boolean;
  account: AccountInfo | null;
  token: { kind: TokenKind; expiresAt: string | null } | null;
  store: StoreInfo | null;
  /** Only for a profile that cannot be used as it is (a damaged record or config entry): what is wrong and what to do. */
  problem?: string;
  /** The same in the command's words, where they differ. */
  cliProblem?: string;
}

/** What a new link keeps: nothing secret but the record, which goes to the credential store only. */
export interface NewLink {
  settings: ProfileSettings;
  account: AccountInfo;
  record: CredentialRecord;
}

export class Profiles {
  readonly #ctx: AccountsContext;
  readonly #config: ConfigFile;
  readonly #backends: Backends;
  readonly #storeChoice: string;

  constructor(ctx: AccountsContext) {
    this.#ctx = ctx;
    const { options } = ctx;
    this.#config = new ConfigFile(options.home);
    this.#storeChoice = options.store ?? 'auto';
    this.#backends = new Backends({
      home: options.home,
      // Keyring calls take a slot beside the config: a storm of processes queues (store/keyring.ts).
      keyring: { slotsDir: join(options.home, 'locks'), ...options.keyring },
      open: options.openStore,
      sharedUrl: isSharedStoreUrl(this.#storeChoice) ? this.#storeChoice : undefined,
      env: options.env,
    });
  }

  /** The whole config, read once. */
  read(): Promise<ConfigData> {
    return this.#config.read();
  }

  /** The store of a remembered backend name. */
  store(backend: string): CredentialStore {
    return this.#backends.open(backend);
  }

  /**
   * The backend a link will write to: a linked profile keeps the one it has (never switched while
   * linked); a new one gets the configured choice. A keyring that cannot be used now fails here,
   * before the user approves anything.
   */
  async backendForLink(profile: string): Promise<ChosenBackend> {
    const previous = (await this.#config.read()).profiles[profile];
    // About to write: the keyring is asked afresh, not from the last probe.
    if (!previous) return this.#backends.choose(this.#storeChoice, { fresh: true });
    const remembered = previous.store.backend;
    const wanted = this.#storeChoice === 'auto' || !isSharedStoreUrl(this.#storeChoice) ? this.#storeChoice : sharedStoreLocation(this.#storeChoice);
    if (wanted !== 'auto' && wanted !== remembered) {
      const said = `Profile "${profile}" keeps its credentials in ${remembered} until it is unlinked.`;
      throw new UsageError(`${said} To move them, migrate the profile to ${wanted}.`, { cliMessage: `${said} To move them, run: authtray store migrate --profile ${profile} --to ${wanted}` });
    }
    return this.#backends.choose(remembered, { fresh: true });
  }

  /** Where a new link's credentials would be stored, as linking would choose; from the last keyring probe unless `retry`. */
  async newLinkStore(options: { retry?: boolean } = {}): Promise<StoreInfo> {
    return (await this.#backends.choose(this.#storeChoice, { fresh: options.retry === true })).store.info;
  }

  /**
   * Keeps a new link: the record in its backend, the settings in the config (and, for a shared
   * store, beside the record, nothing secret, for hosts that never linked). Returns the config.
   */
  async save(profile: string, linked: NewLink, backend: string): Promise<ProfileConfig> {
    const previous = (await this.#config.read()).profiles[profile];
    const store = this.#backends.open(backend);
    await store.save(profile, linked.record);
    // The profile was unlinked and linked again elsewhere meanwhile: no copy stays behind.
    if (previous && previous.store.backend !== backend) await this.#backends.open(previous.store.backend).delete(profile);
    const config: ProfileConfig = {
      settings: linked.settings,
      account: linked.account,
      store: { backend },
      needsRelink: false,
      linkedAt: new Date(this.#ctx.deps.now()).toISOString(),
    };
    await store.shared?.saveProfile(profile, config);
    await this.#config.update((data) => {
      data.profiles[profile] = config;
    });
    return config;
  }

  /** The profile's config; NotLinkedError when there is none, CredentialStoreError when its entry is damaged. */
  async require(profile: string): Promise<ProfileConfig> {
    const config = await this.find(profile);
    if (!config) throw new NotLinkedError(profile);
    this.assertUsable(profile, config);
    return config;
  }

  /** A config entry that cannot be used is a store error that says how to recover, not a crash. */
  assertUsable(profile: string, config: ProfileConfig): void {
    const problem = entryProblem(config);
    if (!problem) return;
    const said = `The entry of profile "${profile}" in ${this.#config.path} is damaged (${problem}).`;
    throw new CredentialStoreError(`${said} Unlink the profile, then link it again.`, { cliMessage: `${said} Run: authtray unlink --profile ${profile}, then link it again.` });
  }

  /** Where the config file is, for messages. */
  get configPath(): string {
    return this.#config.path;
  }

  /**
   * The profile's config: this machine's, else — when a shared store was given (`--store redis://…`)
   * — the one the linking host left there, so a fleet needs one link and then only `token`.
   */
  async find(profile: string, data?: ConfigData): Promise<ProfileConfig | null> {
    assertProfileName(profile);
    const local = (data ?? (await this.#config.read())).profiles[profile];
    if (local) return local;
    const shared = this.#sharedStore()?.shared;
    if (!shared) return null;
    const copy = ((await shared.loadProfile(profile)) as ProfileConfig | null) ?? null;
    if (!copy) return null;
    // Whoever can write the store could have left it: its account is provider text, cleaned as at link time.
    const account = copy.account && typeof copy.account === 'object' ? cleanAccount(copy.account) : null;
    if (!account) throw new CredentialStoreError(`The settings of profile "${profile}" in the shared store are damaged (no account id). Link the profile again.`);
    return { ...copy, account };
  }

  /** The shared store this run was pointed at, if any. */
  #sharedStore(): CredentialStore | null {
    return isSharedStoreUrl(this.#storeChoice) ? this.#backends.open(sharedStoreLocation(this.#storeChoice)) : null;
  }

  statusOf(profile: string, config: ProfileConfig, record: CredentialRecord | null): ProfileStatus {
    return {
      profile,
      provider: providerName(config.settings),
      linked: record !== null,
      needsRelink: config.needsRelink,
      account: config.account,
      token: record && { kind: record.tokenKind, expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString() },
      store: this.#backends.open(config.store.backend).info,
    };
  }

  /** The profile's status from its config (null: not linked); reads the credential store. */
  async status(profile: string, config: ProfileConfig | null, unlinkedProvider: () => Promise<string>): Promise<ProfileStatus> {
    if (!config) {
      return { profile, provider: await unlinkedProvider(), linked: false, needsRelink: false, account: null, token: null, store: null };
    }
    this.assertUsable(profile, config);
    const record = await this.#backends.open(config.store.backend).load(profile);
    return this.statusOf(profile, config, record);
  }

  async markNeedsRelink(profile: string): Promise<void> {
    const config = await this.find(profile);
    await this.#config.update((data) => {
      const entry = data.profiles[profile];
      if (entry) entry.needsRelink = true;
    });
    // A fleet learns it too: every host would otherwise try the dead grant again.
    const shared = config && this.#backends.open(config.store.backend).shared;
    if (config && shared) await shared.saveProfile(profile, { ...config, needsRelink: true });
  }

  /**
   * Moves a linked profile's record to another backend: write, read back, remember the new
   * backend, then delete the old copy. Under `lock`, so no refresh writes the old place meanwhile.
   * A failure before the switch leaves everything as it was.
   */
  async migrate(profile: string, to: string, lockFor: (store: CredentialStore) => RefreshLock): Promise<{ from: StoreInfo; to: StoreInfo }> {
    const config = await this.require(profile);
    const fromBackend = config.store.backend;
    if (fromBackend === to) throw new UsageError(`Profile "${profile}" already keeps its credentials in ${to}.`);
    const from = this.#backends.open(fromBackend);
    const target = await this.#backends.choose(to, { fresh: true });
    if (!target.store.info.secure) {
      this.#ctx.warn(`The credentials of profile "${profile}" will be stored in plain text in ${target.store.info.location}, readable by anyone who can read your files.`);
    }
    await lockFor(from).withLock(profile, async () => {
      const record = await from.load(profile);
      if (!record) throw new NotLinkedError(profile);
      await target.store.save(profile, record);
      const copy = await target.store.load(profile);
      if (!copy || serializeCredentialRecord(copy) !== serializeCredentialRecord(record)) {
        throw new CredentialStoreError(`The copy in ${target.store.info.location} did not read back the same; the credentials stay in ${from.info.location}. Try again.`);
      }
      await this.#config.update((data) => {
        const entry = data.profiles[profile];
        if (entry) entry.store = { backend: target.backend };
      });
      try {
        await from.delete(profile);
      } catch (err) {
        this.#ctx.warn(`The old copy in ${from.info.location} could not be deleted (${err instanceof AuthtrayError ? err.message : 'unknown error'}); remove it by hand.`);
      }
    });
    return { from: from.info, to: target.store.info };
  }

  /**
   * Deletes the record and forgets the profile. The profile is forgotten even when its record
   * cannot be deleted (or its entry names no store), so nothing calls it linked or serves its token
   * afterwards; that failure is returned, for the caller to report with what is left behind.
   */
  async remove(profile: string, config: ProfileConfig): Promise<{ store: CredentialStore; error: unknown } | null> {
    let leftBehind: { store: CredentialStore; error: unknown } | null = null;
    const store = this.#storeOf(config);
    try {
      await store?.delete(profile);
    } catch (error) {
      leftBehind = { store: store!, error };
    }
    await this.#config.update((data) => {
      delete data.profiles[profile];
    });
    return leftBehind;
  }

  /** The store a (possibly damaged) entry names, or null when it names none authtray knows. */
  #storeOf(config: ProfileConfig): CredentialStore | null {
    try {
      return this.#backends.open(config.store.backend);
    } catch {
      return null;
    }
  }

  /** Releases what the stores hold open (connections), so a CLI run can exit. */
  close(): Promise<void> {
    return this.#backends.closeAll();
  }
}
