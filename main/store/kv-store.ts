/**
 * What the shared stores (Redis, Memcached) have in common: key names under a prefix, sealing
 * (seal.ts), one record per profile written with one atomic SET, the profile's non-secret settings
 * beside it, a refresh lock kept in the server itself, and errors that name the server and the next
 * step. Each backend only supplies a small {@link KeyValueClient}.
 */
import { randomBytes } from 'node:crypto';
import { AuthtrayError, CredentialStoreError, UsageError } from '../errors.js';
import { holderIsGone, parseHolder, thisHolder } from './lock-holder.js';
import { assertProfileName } from './profile-name.js';
import { parseCredentialRecord, RecordFormatError, serializeCredentialRecord } from './record.js';
import { Sealer } from './seal.js';
import { checkedPrefix } from './store-url.js';
import type { CredentialRecord, RefreshLock, SharedCredentialStore, SharedStore, StoreInfo } from './types.js';

/** The few operations a shared store needs from its server. Errors are thrown raw; see `explain`. */
export interface KeyValueClient {
  /** Names the server in messages ("Redis at 127.0.0.1:6379"); never holds a password. */
  readonly where: string;
  get(key: string): Promise<string | null>;
  /** Stores `value` under `key`, replacing any old value in one atomic write, with no expiry. */
  set(key: string, value: string): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** Stores `token` under `key` for `ttlMs` only if `key` is absent; true when it did. */
  acquire(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Gives `key` another `ttlMs` if it still holds `token`; true when it did. */
  renew(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only if it still holds `token`. */
  release(key: string, token: string): Promise<void>;
  /** Why an operation failed and what to do, in words safe to show (no password, no value). */
  explain(err: unknown): FailureExplanation;
  close(): Promise<void>;
}

export interface FailureExplanation {
  reason: string;
  hint: string;
  /** A lost or refused connection, a timeout, a server still loading: worth retrying a save. */
  transient: boolean;
}

export interface SharedStoreOptions {
  /** The `AUTHTRAY_STORE_KEY` (see `parseStoreKey`); without it records are stored unencrypted. */
  key?: Buffer | undefined;
  /** Keys are `<prefix>:record:<profile>`, `<prefix>:profile:<profile>`, `<prefix>:lock:<profile>`. */
  prefix?: string | undefined;
  /** Bound for connecting and for one command, in ms (default 5 s): a CLI run never hangs on a dead server. */
  timeoutMs?: number | undefined;
  /** A lock whose holder stopped renewing it (crashed) expires after this long (default 30 s). */
  lockTtlMs?: number | undefined;
  /** A waiter gives up after this long (default 60 s, longer than `lockTtlMs`). */
  lockWaitMs?: number | undefined;
  /**
   * A save keeps trying through a lost connection for this long (default 10 s): the record being
   * saved may hold a rotated refresh token that exists nowhere else.
   */
  saveRetryMs?: number | undefined;
}


/** Field names that mean a secret: profile settings shared with a fleet must hold none. */
const SECRET_FIELDS = /^(client_?secret|access_?token|refresh_?token|id_?token|password|private_?key|passphrase)$/i;

export class KeyValueCredentialStore implements SharedCredentialStore {
  readonly info: StoreInfo;
  readonly lock: RefreshLock;
  readonly shared: SharedStore = this;
  readonly #client: KeyValueClient;
  readonly #sealer: Sealer;
  readonly #prefix: string;
  readonly #lockTtlMs: number;
  readonly #lockWaitMs: number;
  readonly #saveRetryMs: number;

  constructor(backend: string, location: string, client: KeyValueClient, options: SharedStoreOptions = {}) {
    const prefix = checkedPrefix(options.prefix);
    this.#client = client;
    this.#prefix = prefix;
    this.#sealer = new Sealer(options.key, client.where);
    this.#lockTtlMs = options.lockTtlMs ?? 30_000;
    this.#lockWaitMs = options.lockWaitMs ?? 60_000;
    this.#saveRetryMs = options.saveRetryMs ?? 10_000;
    this.info = { backend, location, secure: this.#sealer.secure };
    this.lock = { withLock: (profile, fn) => this.#withLock(profile, fn) };
  }

  /** The server key of one of a profile's entries. */
  keyOf(kind: 'record' | 'profile' | 'lock', profile: string): string {
    assertProfileName(profile);
    return `${this.#prefix}:${kind}:${profile}`;
  }

  async load(profile: string): Promise<CredentialRecord | null> {
    const text = await this.#read('record', profile, `the credentials of profile "${profile}"`);
    if (text === null) return null;
    try {
      return parseCredentialRecord(text);
    } catch (err) {
      const why = err instanceof RecordFormatError ? err.message : 'unreadable';
      throw new CredentialStoreError(`The credentials of profile "${profile}" in ${this.#client.where} are damaged (${why}). Link the profile again.`);
    }
  }

  async save(profile: string, record: CredentialRecord): Promise<void> {
    // One SET replaces the old value in one step: there is never a moment without a record, and the
    // old one is never deleted first.
    await this.#write('record', profile, serializeCredentialRecord(record), `store the credentials of profile "${profile}" in`);
  }

  /** Removes the profile from the store: its record and its shared settings. */
  async delete(profile: string): Promise<void> {
    const keys = [this.keyOf('record', profile), this.keyOf('profile', profile)];
    await this.#run(`delete profile "${profile}" from`, () => this.#client.delete(keys));
  }

  /** Keeps the profile's non-secret settings (provider, client id, endpoints, account) for other hosts. */
  async saveProfile(profile: string, config: unknown): Promise<void> {
    const secret = findSecretField(config);
    if (secret) throw new UsageError(`Profile settings kept in a shared store must hold no secret (found "${secret}"); secrets belong in the credential record.`);
    await this.#write('profile', profile, JSON.stringify(config), `store the settings of profile "${profile}" in`);
  }

  /** The settings saved by `saveProfile`, or null. */
  async loadProfile(profile: string): Promise<unknown> {
    const text = await this.#read('profile', profile, `the settings of profile "${profile}"`);
    if (text === null) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CredentialStoreError(`The settings of profile "${profile}" in ${this.#client.where} are damaged (not JSON). Link the profile again.`);
    }
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  async #read(kind: 'record' | 'profile', profile: string, what: string): Promise<string | null> {
    const name = this.keyOf(kind, profile);
    const stored = await this.#run(`read ${what} from`, () => this.#client.get(name));
    return stored === null ? null : this.#sealer.open(name, stored, what);
  }

  async #write(kind: 'record' | 'profile', profile: string, text: string, action: string): Promise<void> {
    const name = this.keyOf(kind, profile);
    const value = this.#sealer.seal(name, text);
    await this.#run(action, () => this.#client.set(name, value), this.#saveRetryMs);
  }

  /** Runs one server operation; retries transient failures until `retryMs` has passed; maps errors. */
  async #run<T>(action: string, op: () => Promise<T>, retryMs = 0): Promise<T> {
    const deadline = Date.now() + retryMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      try {
        return await op();
      } catch (err) {
        if (err instanceof AuthtrayError) throw err;
        const { reason, hint, transient } = this.#client.explain(err);
        if (!transient || Date.now() + delay > deadline) {
          throw new CredentialStoreError(`Cannot ${action} ${this.#client.where} (${reason}). ${hint}`, { cause: err });
        }
        await sleep(delay);
      }
    }
  }

  /**
   * Whoever stores its token under the lock key first refreshes; the others poll with backoff until
   * the key is gone, then take it and run `fn`, which reads the record again (OAuthSession does) and
   * finds it refreshed. The token names its holder (lock-holder.ts): a waiter on the holder's host
   * that sees the holder gone (killed mid-refresh) deletes the key at once — only if it still holds
   * that token — instead of waiting for it to expire. A holder elsewhere renews the key while `fn`
   * runs, so a slow refresh keeps it and a crashed one's key expires after `lockTtlMs`. There is no
   * fencing: a server that loses the key while it is held (a restart without persistence) lets a
   * second holder in.
   */
  async #withLock<T>(profile: string, fn: () => Promise<T>): Promise<T> {
    const key = this.keyOf('lock', profile);
    const token = JSON.stringify({ ...thisHolder(), nonce: randomBytes(16).toString('base64url') });
    const deadline = Date.now() + this.#lockWaitMs;
    const action = `take the refresh lock of profile "${profile}" in`;
    for (let delay = 5; !(await this.#run(action, () => this.#client.acquire(key, token, this.#lockTtlMs))); delay = Math.min(delay * 2, 250)) {
      const seen = await this.#run(action, () => this.#client.get(key));
      const holder = seen === null ? null : parseHolder(seen);
      if (seen !== null && holder && holderIsGone(holder)) {
        await this.#run(action, () => this.#client.release(key, seen));
        delay = 2; // try again at once
        continue;
      }
      if (Date.now() >= deadline) {
        throw new CredentialStoreError(
          `Another authtray process${holder ? ` (${holder.pid} on ${holder.host})` : ''} has been refreshing profile "${profile}" for over ${Math.ceil(this.#lockWaitMs / 1000)} s (its lock is in ${this.#client.where}). Try again; a lock whose holder stopped expires within ${Math.ceil(this.#lockTtlMs / 1000)} s.`,
        );
      }
      if (seen === null) continue; // released meanwhile
      await sleep(delay * (0.5 + Math.random()));
    }
    // A renewal that fails (server gone) is not fatal: the save that follows reports the outage.
    const renewal = setInterval(() => void this.#client.renew(key, token, this.#lockTtlMs).catch(() => {}), Math.max(50, this.#lockTtlMs / 3));
    renewal.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renewal);
      // If the release fails the key expires by itself; the caller's result stands either way.
      await this.#client.release(key, token).catch(() => {});
    }
  }
}

/** The name of the first field in `value` that looks like a secret, searched in depth. */
function findSecretField(value: unknown, depth = 0): string | null {
  if (depth > 16 || typeof value !== 'object' || value === null) return null;
  for (const [name, inner] of Object.entries(value)) {
    if (SECRET_FIELDS.test(name) && inner !== undefined && inner !== null) return name;
    const found = findSecretField(inner, depth + 1);
    if (found) return found;
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The failures every network client shares (refused, unknown host, timeout, connection lost), or
 * null for anything else. `server` is "Redis" or "Memcached"; `lost` matches a client's own words
 * for a dropped connection.
 */
export function explainNetworkFailure(err: unknown, server: string, hostPort: string, timeoutMs: number, lost: RegExp): FailureExplanation | null {
  const { code, message } = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  const running = `Is ${server} running at ${hostPort}? Check the store URL.`;
  if (code === 'ECONNREFUSED') return { reason: 'connection refused', hint: running, transient: true };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: 'host not found', hint: 'Check the host name in the store URL.', transient: code === 'EAI_AGAIN' };
  if (code === 'ETIMEDOUT' || /timed out/i.test(text)) return { reason: `no answer within ${timeoutMs} ms`, hint: running, transient: true };
  if (code === 'ECONNRESET' || code === 'EPIPE' || lost.test(text)) return { reason: 'connection lost', hint: running, transient: true };
  return null;
}

/** The message text of whatever a client threw ('' when there is none). */
export function messageOf(err: unknown): string {
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : err;
  return typeof message === 'string' ? message : '';
}

/** Wraps a promise so it rejects with a timeout error after `ms`: for clients without their own bound. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
