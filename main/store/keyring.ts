/**
 * The system keyring: macOS Keychain, Windows Credential Manager, and on Linux the Secret Service
 * (GNOME Keyring; KWallet 5.97+ and KeePassXC speak it too), through `@napi-rs/keyring`. On Linux
 * the store is pinned to the Secret Service: the kernel keyring is emptied at logout, so it is never
 * a fallback. Each profile's whole credential record is one item (service `authtray`, account = the
 * profile name). Every call is bounded by a timeout: an unlock prompt nobody answers must not hang
 * the app or a script.
 */
import { KeyringAccessError, type KeyringProblem } from '../errors.js';
import { assertProfileName } from './profile-name.js';
import { parseCredentialRecord, RecordFormatError, serializeCredentialRecord } from './record.js';
import type { CredentialRecord, CredentialStore, StoreInfo } from './types.js';

export const KEYRING_SERVICE = 'authtray';
export const DEFAULT_KEYRING_TIMEOUT_MS = 10_000;

export interface KeyringOptions {
  /** The keyring service name items are filed under (default `authtray`). */
  service?: string;
  /** Upper bound for one keyring call, in ms. */
  timeoutMs?: number;
  platform?: NodeJS.Platform;
}

/** The keyring's name as users know it on this platform. */
export function keyringName(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service keyring (e.g. GNOME Keyring)';
}

/** Sorts a binding error into a problem by its text (the binding gives no finer codes). */
export function classifyKeyringError(err: unknown): KeyringProblem {
  const text = err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err);
  // "No reply" first: libdbus's text for it mentions a security policy that "blocked" the reply.
  if (/did not receive a reply|timed? ?out/i.test(text)) return 'timeout';
  if (/\blocked\b|unlock|dismissed|prompt|user canceled|interaction is not allowed/i.test(text)) return 'locked';
  if (/not provided by any \.service|failed to connect to socket|no such file|serviceunknown|autolaunch|DBUS_SESSION_BUS_ADDRESS|no storage access|no default store|platform failure/i.test(text)) {
    return 'unavailable';
  }
  return 'failed';
}

/** The error for a keyring problem, with maestral's habit: the cause and what to do. */
export function keyringError(problem: KeyringProblem, platform: NodeJS.Platform, options: { cause?: unknown; timeoutMs?: number } = {}): KeyringAccessError {
  const name = keyringName(platform);
  const message = {
    locked: `Your ${name} is locked. Unlock it and try again.`,
    timeout: `Your ${name} did not answer within ${Math.round((options.timeoutMs ?? DEFAULT_KEYRING_TIMEOUT_MS) / 1000)} s (an unlock prompt may be waiting). Unlock it and try again.`,
    unavailable: `The ${name} is not available (is it installed and running in this session?). Start it and try again; authtray keeps this profile's credentials there and will not move them elsewhere on its own.`,
    failed: `The ${name} refused the request. Check that it is working, then try again.`,
  }[problem];
  return new KeyringAccessError(message, { cause: options.cause, problem });
}

type Entry = import('@napi-rs/keyring').AsyncEntry;

export class KeyringCredentialStore implements CredentialStore {
  readonly info: StoreInfo;
  readonly #service: string;
  readonly #timeoutMs: number;
  readonly #platform: NodeJS.Platform;

  constructor(options: KeyringOptions = {}) {
    this.#service = options.service ?? KEYRING_SERVICE;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_KEYRING_TIMEOUT_MS;
    this.#platform = options.platform ?? process.platform;
    this.info = { backend: 'keyring', location: `${keyringName(this.#platform)}, service "${this.#service}"`, secure: true };
  }

  async #entry(profile: string): Promise<Entry> {
    assertProfileName(profile);
    const { AsyncEntry } = await import('@napi-rs/keyring');
    try {
      // Pinned on Linux: without it the binding would fall back to the kernel keyring.
      return new AsyncEntry(this.#service, profile, { linux: { store: 'secret-service' } });
    } catch (err) {
      throw keyringError(classifyKeyringError(err), this.#platform, { cause: err });
    }
  }

  /** Runs one keyring call under the timeout, mapping every failure to a KeyringAccessError. */
  async #call<T>(profile: string, op: (entry: Entry, signal: AbortSignal) => Promise<T>): Promise<T> {
    const entry = await this.#entry(profile);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(keyringError('timeout', this.#platform, { timeoutMs: this.#timeoutMs }));
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([op(entry, controller.signal), timeout]);
    } catch (err) {
      if (err instanceof KeyringAccessError) throw err;
      throw keyringError(classifyKeyringError(err), this.#platform, { cause: err, timeoutMs: this.#timeoutMs });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Whether the keyring can take a secret now: resolves when it can, rejects with a
   * KeyringAccessError whose `problem` says why not. It writes and deletes a probe item, because a
   * locked Secret Service answers a read of a missing item with "nothing there" rather than "locked".
   */
  async probe(): Promise<void> {
    await this.#call('authtray-probe', async (entry, signal) => {
      await entry.setPassword('probe: safe to delete', signal);
      await entry.deletePassword(signal);
    });
  }

  async load(profile: string): Promise<CredentialRecord | null> {
    const text = await this.#call(profile, (entry, signal) => entry.getPassword(signal));
    if (text === null || text === undefined) return null;
    try {
      return parseCredentialRecord(text);
    } catch (err) {
      const why = err instanceof RecordFormatError ? err.message : 'unreadable';
      throw new KeyringAccessError(`The ${keyringName(this.#platform)} item for profile "${profile}" is damaged (${why}). Unlink the profile and link it again.`);
    }
  }

  async save(profile: string, record: CredentialRecord): Promise<void> {
    // One item replaced in one call: the keyring keeps the old secret until the new one is stored.
    await this.#call(profile, (entry, signal) => entry.setPassword(serializeCredentialRecord(record), signal));
  }

  async delete(profile: string): Promise<void> {
    await this.#call(profile, (entry, signal) => entry.deletePassword(signal));
  }
}
