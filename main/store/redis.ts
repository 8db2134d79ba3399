/**
 * The Redis store, for fleets (the Box SDK's RedisManagedOAuth2): one sealed record per profile, the
 * profile's settings beside it, and the refresh lock in Redis itself: `SET key token NX PX ttl`,
 * renewed and released by Lua scripts that act only while the key still holds our token.
 *
 * ioredis loads on first use. It is set up to fail fast rather than wait: no offline queue, no
 * automatic reconnect loop, bounded connect and command times. A lost connection is replaced by a
 * new one on the next operation, so a long-running app recovers when Redis comes back.
 */
import type { Redis } from 'ioredis';
import { explainNetworkFailure, KeyValueCredentialStore, messageOf, type FailureExplanation, type KeyValueClient, type SharedStoreOptions } from './kv-store.js';
import { parseRedisUrl, type RedisTarget } from './store-url.js';

/** Deletes the key only while it holds our token (compare-and-delete). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Extends the key only while it holds our token. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export class RedisCredentialStore extends KeyValueCredentialStore {
  constructor(url: string | URL, options: SharedStoreOptions = {}) {
    const target = parseRedisUrl(url);
    super('redis', target.location, new RedisClient(target, options.timeoutMs ?? 5_000), options);
  }
}

class RedisClient implements KeyValueClient {
  readonly where: string;
  #client: Redis | null = null;
  #connecting: Promise<Redis> | null = null;
  #lastError: unknown = null;

  constructor(
    readonly target: RedisTarget,
    readonly timeoutMs: number,
  ) {
    this.where = `Redis at ${target.address.hostPort}`;
  }

  async get(key: string): Promise<string | null> {
    return (await this.#redis()).get(key);
  }

  async set(key: string, value: string): Promise<void> {
    await (await this.#redis()).set(key, value);
  }

  async delete(keys: readonly string[]): Promise<void> {
    await (await this.#redis()).del(...keys);
  }

  async acquire(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await (await this.#redis()).set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await (await this.#redis()).eval(RENEW, 1, key, token, String(ttlMs))) === 1;
  }

  async release(key: string, token: string): Promise<void> {
    await (await this.#redis()).eval(RELEASE, 1, key, token);
  }

  explain(err: unknown): FailureExplanation {
    const text = messageOf(err);
    if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(text)) {
      return { reason: 'it refused the user name or password of the store URL', hint: 'Check the credentials in the store URL.', transient: false };
    }
    const { hostPort } = this.target.address;
    const network = explainNetworkFailure(err, 'Redis', hostPort, this.timeoutMs, /Connection is closed|Stream isn't writeable|ECONNRESET|EPIPE/i);
    if (network) return network;
    if ((err as { name?: unknown } | null)?.name === 'ReplyError') {
      // A Redis error reply starts with its code word (OOM, READONLY, LOADING, ...): safe to show.
      const word = /^[A-Z]+/.exec(text)?.[0] ?? 'ERR';
      return { reason: `Redis answered ${word}`, hint: 'Check the Redis server (its log says more).', transient: ['LOADING', 'READONLY', 'TRYAGAIN', 'BUSY', 'MASTERDOWN'].includes(word) };
    }
    const code = (err as { code?: unknown } | null)?.code;
    return { reason: typeof code === 'string' ? code : 'unexpected error', hint: `Is Redis running at ${hostPort}? Check the store URL.`, transient: false };
  }

  async close(): Promise<void> {
    const client = this.#client ?? (await this.#connecting?.catch(() => null));
    this.#client = null;
    if (!client) return;
    // QUIT lets Redis finish what was sent; a dead server gets a plain disconnect.
    await Promise.race([client.quit().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 200).unref())]);
    client.disconnect();
  }

  /** The connected client, connecting (again) when there is none or the last one was lost. */
  #redis(): Promise<Redis> {
    if (this.#client?.status === 'ready') return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<Redis> {
    this.#client?.disconnect();
    this.#client = null;
    const { Redis } = await import('ioredis');
    const { address, db, tls } = this.target;
    const client = new Redis({
      host: address.host,
      port: address.port,
      username: address.username,
      password: address.password,
      db,
      ...(tls ? { tls: { servername: address.host } } : {}),
      connectionName: 'authtray',
      lazyConnect: true,
      connectTimeout: this.timeoutMs,
      commandTimeout: this.timeoutMs,
      // Fail at once instead of queueing while disconnected, and never loop reconnecting: the next
      // operation connects afresh.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      autoResubscribe: false,
    });
    // ioredis reports the real cause (ECONNREFUSED, WRONGPASS) only as an event; keep it for explain().
    client.on('error', (err: unknown) => {
      this.#lastError = err;
    });
    this.#lastError = null;
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw this.#lastError ?? err;
    }
    this.#client = client;
    return client;
  }
}
