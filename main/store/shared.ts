/**
 * The shared stores, for fleets: `redis://…` / `rediss://…` and `memcached://…` URLs, records sealed
 * with `AUTHTRAY_STORE_KEY` when it is set. Backend selection calls {@link openSharedStore}; the
 * clients (ioredis, memjs) load only when the store is first used.
 */
import { UsageError } from '../errors.js';
import type { SharedStoreOptions } from './kv-store.js';
import { MemcachedCredentialStore } from './memcached.js';
import { RedisCredentialStore } from './redis.js';
import type { CredentialStore } from './types.js';

export { DEFAULT_PREFIX, type SharedStoreOptions } from './kv-store.js';
export { parseStoreKey, STORE_KEY_ENV } from './seal.js';

/** True when `value` names a shared store (a redis://, rediss:// or memcached:// URL). */
export function isSharedStoreUrl(value: string): boolean {
  return /^(redis|rediss|memcached):\/\//i.test(value);
}

/**
 * The shared store a URL names: Redis for `redis://` and `rediss://`, Memcached for `memcached://`.
 * Nothing connects until the first operation. A URL of another scheme is a UsageError.
 */
export function openSharedStore(url: string, options: SharedStoreOptions = {}): CredentialStore {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') return new RedisCredentialStore(url, options);
  if (scheme === 'memcached') return new MemcachedCredentialStore(url, options);
  throw new UsageError('A shared store is redis://[user:pass@]host:port[/db], rediss://… or memcached://[user:pass@]host:port.');
}

/** The store URL without user name or password: safe to show, log or keep in the config file. */
export function redactStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return '(not a URL)';
  }
}
