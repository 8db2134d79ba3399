/**
 * The Memcached store, for fleets (python-oauth2's MemcacheTokenStore), over memjs and the binary
 * protocol: one sealed record per profile, the profile's settings beside it, and the refresh lock as
 * an `add` with expiry. Memcached is a cache: run it with enough memory that nothing is evicted, and
 * know that a restart forgets every profile (Redis with persistence does not).
 *
 * Renewing and releasing the lock must act only while the key still holds our token. memjs's
 * high-level calls carry no CAS, so those two read the key with its CAS value and send the SET or
 * DELETE with that CAS through memjs's own request builder: the server refuses it if anyone changed
 * the key in between, so there is no window in which we could delete someone else's lock.
 *
 * memjs loads on first use, with a bound on every operation and no retries.
 */
import type { Client } from 'memjs';
import { explainNetworkFailure, KeyValueCredentialStore, messageOf, withTimeout, type FailureExplanation, type KeyValueClient, type SharedStoreOptions } from './kv-store.js';
import { parseMemcachedUrl, type MemcachedTarget } from './store-url.js';

/** Binary protocol opcodes and statuses (memcached's protocol_binary.h). */
const OP = { get: 0x00, set: 0x01, delete: 0x04 } as const;
const STATUS = { ok: 0x00, notFound: 0x01, exists: 0x02 } as const;

export class MemcachedCredentialStore extends KeyValueCredentialStore {
  constructor(url: string | URL, options: SharedStoreOptions = {}) {
    const target = parseMemcachedUrl(url);
    // Memcached counts expiry in whole seconds; a lock shorter than 2 s could expire at once.
    const lockTtlMs = Math.max(2_000, options.lockTtlMs ?? 30_000);
    super('memcached', target.location, new MemcachedClient(target, options.timeoutMs ?? 5_000), { ...options, lockTtlMs });
  }
}

interface Response {
  header: { status: number; cas: Buffer };
  val: Buffer;
}

class MemcachedClient implements KeyValueClient {
  readonly where: string;
  #client: Promise<Client> | null = null;
  #memjs: typeof import('memjs') | null = null;

  constructor(
    readonly target: MemcachedTarget,
    readonly timeoutMs: number,
  ) {
    this.where = `Memcached at ${target.address.hostPort}`;
  }

  async get(key: string): Promise<string | null> {
    return (await this.#gets(key))?.value ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    const client = await this.#mc();
    await this.#bounded(client.set(key, value, { expires: 0 }));
  }

  async delete(keys: readonly string[]): Promise<void> {
    const client = await this.#mc();
    for (const key of keys) await this.#bounded(client.delete(key));
  }

  async acquire(key: string, token: string, ttlMs: number): Promise<boolean> {
    const client = await this.#mc();
    return this.#bounded(client.add(key, token, { expires: seconds(ttlMs) }));
  }

  async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
    const current = await this.#gets(key);
    if (current?.value !== token) return false;
    const extras = Buffer.concat([Buffer.alloc(4), (await this.#lib()).Utils.makeExpiration(seconds(ttlMs))]);
    return (await this.#request(OP.set, key, extras, token, current.cas)).header.status === STATUS.ok;
  }

  async release(key: string, token: string): Promise<void> {
    const current = await this.#gets(key);
    if (current?.value !== token) return;
    // NOT_FOUND (expired) and EXISTS (someone else's now) both mean: not ours to delete.
    await this.#request(OP.delete, key, '', '', current.cas);
  }

  explain(err: unknown): FailureExplanation {
    const text = messageOf(err);
    if (/authentication (failed|error)/i.test(text)) {
      return { reason: 'it refused the user name or password of the store URL', hint: 'Check the credentials in the store URL.', transient: false };
    }
    const { hostPort } = this.target.address;
    const network = explainNetworkFailure(err, 'Memcached', hostPort, this.timeoutMs, /No servers available|socket/i);
    if (network) return network;
    if (/Value too large/i.test(text)) return { reason: 'the value is larger than the server accepts', hint: 'Raise the item size limit of Memcached (-I).', transient: false };
    if (/Out of memory/i.test(text)) return { reason: 'the server is out of memory', hint: 'Give Memcached more memory (-m).', transient: false };
    // memjs's own messages ("MemJS SET: Item not stored") and ours name a protocol status: safe to show.
    const code = (err as { code?: unknown } | null)?.code;
    const reason = /^(MemJS [A-Z]+: [\w /]+|Memcached answered status 0x[0-9a-f]+)$/.test(text) ? text : typeof code === 'string' ? code : 'unexpected error';
    return { reason, hint: `Is Memcached running at ${hostPort}? Check the store URL.`, transient: false };
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => null);
    this.#client = null;
    client?.close();
  }

  /** The value of `key` and its CAS version, or null when absent. */
  async #gets(key: string): Promise<{ value: string; cas: Buffer } | null> {
    const response = await this.#request(OP.get, key, '', '');
    if (response.header.status === STATUS.notFound) return null;
    if (response.header.status !== STATUS.ok) throw new Error(`Memcached answered status 0x${response.header.status.toString(16)}`);
    return { value: response.val.toString('utf8'), cas: Buffer.from(response.header.cas) };
  }

  /** One binary-protocol request built by memjs, with a CAS value when given. */
  async #request(opcode: number, key: string, extras: string | Buffer, value: string, cas?: Buffer): Promise<Response> {
    const [client, memjs] = await Promise.all([this.#mc(), this.#lib()]);
    client.incrSeq();
    const seq = client.seq;
    const request = memjs.Utils.makeRequestBuffer(opcode, key, extras, value, seq);
    cas?.copy(request, 16); // the header's CAS field
    const response = new Promise<Response>((resolve, reject) => {
      client.perform(key, request, seq, (err: unknown, res: Response) => (err ? reject(asError(err)) : resolve(res)));
    });
    return this.#bounded(response);
  }

  /**
   * memjs bounds a request only while its socket lives: one the server closes cleanly leaves the
   * request waiting forever, so every operation gets its own bound too.
   */
  #bounded<T>(promise: Promise<T>): Promise<T> {
    return withTimeout(
      promise.catch((err: unknown) => Promise.reject(asError(err))),
      this.timeoutMs + 500,
    );
  }

  async #lib(): Promise<typeof import('memjs')> {
    this.#memjs ??= await import('memjs');
    return this.#memjs;
  }

  #mc(): Promise<Client> {
    this.#client ??= this.#lib().then((memjs) => {
      const { host, port, username, password } = this.target.address;
      const seconds = this.timeoutMs / 1000;
      const server = new memjs.Server(host, port, username, password, { timeout: seconds, conntimeout: seconds, keepAlive: true });
      // No retries: a retried `add` whose first answer was lost would report our own lock as taken.
      return new memjs.Client([server], { retries: 1, failover: false, expires: 0, logger: { log: () => {} } });
    });
    return this.#client;
  }
}

/** memjs sometimes fails with a bare string. */
const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
