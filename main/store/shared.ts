/**
 * The shared stores, for fleets: `redis://…` / `rediss://…` and `memcached://…` URLs, records sealed
 * with `AUTHTRAY_STORE_KEY` when it is set. Backend selection calls {@link openSharedStore}. Nothing
 * here loads the store code (its clients, node:crypto) until a shared store is first used, so
 * `authtray token` on a local store never pays for it.
 */
import { UsageError } from '../errors.js';
import type { SharedStoreOptions } from './kv-store.js';
import { checkedPrefix, sharedStoreLocation, STORE_KEY_ENV } from './store-url.js';
import type { CredentialRecord, RefreshLock, SharedCredentialStore, SharedStore, StoreInfo } from './types.js';

export { DEFAULT_PREFIX, isSharedStoreUrl, sharedStoreLocation, STORE_KEY_ENV } from './store-url.js';

export type { SharedStoreOptions } from './kv-store.js';


/**
 * The shared store a URL names: Redis for `redis://` and `rediss://`, Memcached for `memcached://`.
 * Nothing connects until the first operation. A URL of another scheme is a UsageError.
 */
export function openSharedStore(url: string, options: SharedStoreOptions & { env?: NodeJS.ProcessEnv } = {}): SharedCredentialStore {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss' && scheme !== 'memcached') {
    throw new UsageError('A shared store is redis://[user:pass@]host:port[/db], rediss://… or memcached://[user:pass@]host:port.');
  }
  return new DeferredSharedStore(url, scheme === 'memcached' ? 'memcached' : 'redis', options);
}

/**
 * The Redis or Memcached store, loaded on first use. `key` in the options wins; else the key is
 * read from `env` (AUTHTRAY_STORE_KEY) then, so a bad key is reported when the store is used.
 */
class DeferredSharedStore implements SharedCredentialStore {
  readonly lock: RefreshLock;
  readonly shared: SharedStore = this;
  readonly #info: StoreInfo;
  #store: Promise<SharedCredentialStore> | null = null;
  #loaded: SharedCredentialStore | null = null;

  constructor(
    readonly url: string,
    readonly backend: 'redis' | 'memcached',
    readonly options: SharedStoreOptions & { env?: NodeJS.ProcessEnv },
  ) {
    checkedPrefix(options.prefix);
    const secure = options.key !== undefined || Boolean((options.env ?? process.env)[STORE_KEY_ENV]?.trim());
    this.#info = { backend, location: sharedStoreLocation(url), secure };
    this.lock = { withLock: async (profile, fn, recheck) => (await this.#open()).lock.withLock(profile, fn, recheck) };
  }

  /** The real store's description once it is open; until then the same, worked out from the URL. */
  get info(): StoreInfo {
    return this.#loaded?.info ?? this.#info;
  }

  #open(): Promise<SharedCredentialStore> {
    this.#store ??= (async () => {
      const { env, ...options } = this.options;
      const key = options.key ?? (await import('./seal.js')).parseStoreKey(env ?? process.env);
      const store =
        this.backend === 'memcached'
          ? new (await import('./memcached.js')).MemcachedCredentialStore(this.url, { ...options, key })
          : new (await import('./redis.js')).RedisCredentialStore(this.url, { ...options, key });
      this.#loaded = store;
      return store;
    })();
    return this.#store;
  }

  async load(profile: string): Promise<CredentialRecord | null> {
    return (await this.#open()).load(profile);
  }
  async save(profile: string, record: CredentialRecord): Promise<void> {
    return (await this.#open()).save(profile, record);
  }
  async delete(profile: string): Promise<void> {
    return (await this.#open()).delete(profile);
  }
  async saveProfile(profile: string, config: unknown): Promise<void> {
    return (await this.#open()).saveProfile(profile, config);
  }
  async loadProfile(profile: string): Promise<unknown> {
    return (await this.#open()).loadProfile(profile);
  }
  async close(): Promise<void> {
    if (this.#store) await (await this.#store).close?.();
  }
}
