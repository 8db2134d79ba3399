/**
 * Shared store URLs: which strings name one, how they parse, and the form that is safe to show and
 * to remember in the config file (no user name, no password); and the prefix of the keys a store
 * uses. Plain string work, nothing loaded.
 */
import { UsageError } from '../errors.js';

/** The environment variable that holds the key sealing shared records (see seal.ts). */
export const STORE_KEY_ENV = 'AUTHTRAY_STORE_KEY';

/** True when `value` names a shared store (a redis://, rediss:// or memcached:// URL). */
export function isSharedStoreUrl(value: string): boolean {
  return /^(redis|rediss|memcached):\/\//i.test(value);
}

/** Splits `user:pass@host:port` of a store URL; the password stays out of everything shown. */
export interface ServerAddress {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  /** `host:port`, with IPv6 hosts in brackets: for messages. */
  hostPort: string;
}

/**
 * Parses the server part of a store URL. `shape` is the documented form, for the message when it
 * does not match; the URL itself is never echoed (it may hold a password).
 */
export function parseServerUrl(url: string | URL, schemes: readonly string[], defaultPort: number, shape: string): { url: URL; address: ServerAddress } {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new UsageError(`A store URL looks like ${shape}.`);
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (!schemes.includes(scheme) || !parsed.hostname || parsed.search || parsed.hash) throw new UsageError(`A store URL looks like ${shape}.`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  const decode = (part: string) => (part ? decodeURIComponent(part) : undefined);
  return {
    url: parsed,
    address: {
      host,
      port,
      username: decode(parsed.username),
      password: decode(parsed.password),
      hostPort: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    },
  };
}

const REDIS_SHAPE = 'redis://[user:pass@]host:port[/db] (or rediss:// for TLS)';

export interface RedisTarget {
  address: ServerAddress;
  db: number;
  tls: boolean;
  /** The URL without credentials, for `info.location`. */
  location: string;
}

/** Parses `redis://[user:pass@]host:port[/db]` or `rediss://…`; a bad URL is a UsageError that does not echo it. */
export function parseRedisUrl(url: string | URL): RedisTarget {
  const { url: parsed, address } = parseServerUrl(url, ['redis', 'rediss'], 6379, REDIS_SHAPE);
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) throw new UsageError(`A store URL looks like ${REDIS_SHAPE}.`);
  const db = path === '' ? 0 : Number(path);
  const tls = parsed.protocol === 'rediss:';
  return { address, db, tls, location: `${tls ? 'rediss' : 'redis'}://${address.hostPort}/${db}` };
}

const MEMCACHED_SHAPE = 'memcached://[user:pass@]host:port';

export interface MemcachedTarget {
  address: ServerAddress;
  /** The URL without credentials, for `info.location`. */
  location: string;
}

/** Parses `memcached://[user:pass@]host:port`; a bad URL is a UsageError that does not echo it. */
export function parseMemcachedUrl(url: string | URL): MemcachedTarget {
  const { url: parsed, address } = parseServerUrl(url, ['memcached'], 11211, MEMCACHED_SHAPE);
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw new UsageError(`A store URL looks like ${MEMCACHED_SHAPE}.`);
  return { address, location: `memcached://${address.hostPort}` };
}

/**
 * The URL a profile remembers for its shared store: normalized, without credentials, so that the
 * same store given with or without a password is recognized as the same. A bad URL is a UsageError.
 */
export function sharedStoreLocation(url: string): string {
  return /^memcached:/i.test(url) ? parseMemcachedUrl(url).location : parseRedisUrl(url).location;
}

/** The default prefix of a shared store's keys (`authtray:record:<profile>`, …). */
export const DEFAULT_PREFIX = 'authtray';
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The key prefix to use: the default, or a given one that is plain enough to be a key part. */
export function checkedPrefix(prefix: string = DEFAULT_PREFIX): string {
  if (!PREFIX.test(prefix)) throw new UsageError('A store key prefix is 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit.');
  return prefix;
}
