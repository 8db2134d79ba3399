/**
 * The system keyring: macOS Keychain, Windows Credential Manager, and on Linux the Secret Service
 * (GNOME Keyring; KWallet 5.97+ and KeePassXC speak it too), through `@napi-rs/keyring`. On Linux
 * the store is pinned to the Secret Service: the kernel keyring is emptied at logout, so it is never
 * a fallback. Each profile's whole credential record is one item (service `authtray`, account = the
 * profile name). Every call is bounded by a timeout: an unlock prompt nobody answers must not hang
 * the app or a script.
 */
import { KeyringAccessError, type KeyringProblem } from '../errors.js';
import { withFileSlot } from './file-lock.js';
import { assertProfileName } from './profile-name.js';
import { parseCredentialRecord, RecordFormatError, serializeCredentialRecord } from './record.js';
import type { CredentialRecord, CredentialStore, StoreInfo } from './types.js';

export const KEYRING_SERVICE = 'authtray';
export const DEFAULT_KEYRING_TIMEOUT_MS = 10_000;

export interface KeyringOptions {
  /** The keyring service name items are filed under (default `authtray`). */
  service?: string;
  /** Upper bound for one keyring call, in ms (AUTHTRAY_KEYRING_TIMEOUT_MS), retries included. */
  timeoutMs?: number;
  platform?: NodeJS.Platform;
  /**
   * Where the keyring's call slots live (the `locks` folder beside the config): at most
   * `slotCount` (default 4) processes of this user talk to the keyring at once, so a storm of CLI
   * runs queues instead of overwhelming the Secret Service. Without it, calls are not bounded.
   */
  slotsDir?: string;
  slotCount?: number;
}

/** The slots' lock names: `+` is not allowed in profile names, so no refresh lock is called so. */
const SLOT_PREFIX = '+keyring-';
export const DEFAULT_KEYRING_SLOTS = 4;

/** libdbus's words for a call that got no answer in time (the Secret Service was too busy, or gone quiet). */
const NO_REPLY = /did not receive a reply/i;

const causeText = (err: unknown): string => (err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : String(err));

/** The keyring's name as users know it on this platform. */
export function keyringName(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service keyring (e.g. GNOME Keyring)';
}

/** Sorts a binding error into a problem by its text (the binding gives no finer codes). */
export function classifyKeyringError(err: unknown): KeyringProblem {
  const text = causeText(err);
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
  const within = `within ${Math.max(1, Math.round((options.timeoutMs ?? DEFAULT_KEYRING_TIMEOUT_MS) / 1000))} s`;
  const message = {
    locked: `Your ${name} is locked. Unlock it and try again.`,
    // The real cause when D-Bus gave one: a busy keyring, not only a prompt nobody answered.
    timeout: NO_REPLY.test(causeText(options.cause))
      ? `Your ${name} did not answer ${within} (D-Bus: "Did not receive a reply"; it may be busy, or an unlock prompt may be waiting). Unlock it, or raise AUTHTRAY_KEYRING_TIMEOUT_MS, and try again.`
      : `Your ${name} did not answer ${within} (an unlock prompt may be waiting). Unlock it and try again.`,
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
  readonly #slotsDir: string | undefined;
  readonly #slotCount: number;
  /** The last probe's outcome (or what a keyring call showed since); null: not asked yet. */
  #probed: Promise<void> | null = null;

  constructor(options: KeyringOptions = {}) {
    this.#service = options.service ?? KEYRING_SERVICE;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_KEYRING_TIMEOUT_MS;
    this.#platform = options.platform ?? process.platform;
    this.#slotsDir = options.slotsDir;
    this.#slotCount = options.slotCount ?? DEFAULT_KEYRING_SLOTS;
    this.info = { backend: 'keyring', location: `${keyringName(this.#platform)}, service "${this.#service}"`, secure: true };
  }

  /**
   * Runs one keyring call: in a slot (see `slotsDir`), bounded by the timeout, retried with backoff
   * while D-Bus reports no reply and time is left, every failure mapped to a KeyringAccessError
   * that keeps the real cause. A failure becomes the probe's outcome (the keyring cannot be used
   * now), until a fresh probe asks again.
   */
  async #call<T>(profile: string, op: (entry: Entry, signal: AbortSignal) => Promise<T>): Promise<T> {
    assertProfileName(profile);
    try {
      if (!this.#slotsDir) return await this.#attempts(profile, op);
      // Waiting for a slot is bounded apart from the call: a queue of busy processes is not a keyring that hangs.
      const wait = { waitMs: 6 * this.#timeoutMs, what: `the ${keyringName(this.#platform)}` };
      return await withFileSlot(this.#slotsDir, SLOT_PREFIX, this.#slotCount, wait, () => this.#attempts(profile, op));
    } catch (err) {
      if (err instanceof KeyringAccessError) this.#keepProbe(Promise.reject(err));
      throw err;
    }
  }

  #keepProbe(outcome: Promise<void>): Promise<void> {
    // Kept for later callers; whoever awaits it sees the rejection, no one else has to.
    outcome.catch(() => {});
    this.#probed = outcome;
    return outcome;
  }

  async #attempts<T>(profile: string, op: (entry: Entry, signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#timeoutMs;
    let lastCause: unknown;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await this.#once(profile, op, deadline - Date.now(), lastCause);
      } catch (err) {
        const noReply = err instanceof KeyringAccessError && err.problem === 'timeout' && NO_REPLY.test(causeText(err.cause));
        if (!noReply || Date.now() + delay >= deadline) throw err;
        lastCause = err.cause;
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
      }
    }
  }

  async #once<T>(profile: string, op: (entry: Entry, signal: AbortSignal) => Promise<T>, remainingMs: number, lastCause: unknown): Promise<T> {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(keyringError('timeout', this.#platform, { cause: lastCause, timeoutMs: this.#timeoutMs }));
      }, Math.max(0, remainingMs));
    });
    try {
      // Pinned on Linux: without it the binding would fall back to the kernel keyring. The
      // constructor opens the D-Bus session synchronously, so it can fail with "no reply" too.
      const entry = new AsyncEntry(this.#service, profile, { linux: { store: 'secret-service' } });
      return await Promise.race([op(entry, controller.signal), timeout]);
    } catch (err) {
      if (err instanceof KeyringAccessError) throw err;
      throw keyringError(classifyKeyringError(err), this.#platform, { cause: err, timeoutMs: this.#timeoutMs });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Whether the keyring can take a secret: resolves when it can, rejects with a KeyringAccessError
   * whose `problem` says why not. It writes and deletes a probe item, because a locked Secret
   * Service answers a read of a missing item with "nothing there" rather than "locked"; so the
   * outcome is kept, and later calls answer from it, until `fresh` asks again (a retry, a link
   * about to write) or a keyring call fails or a save succeeds.
   */
  probe(options: { fresh?: boolean } = {}): Promise<void> {
    if (!options.fresh && this.#probed) return this.#probed;
    return this.#keepProbe(
      this.#call('authtray-probe', async (entry, signal) => {
        await entry.setPassword('probe: safe to delete', signal);
        await entry.deletePassword(signal);
      }),
    );
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
    // It took a secret: that is what a probe asks.
    this.#keepProbe(Promise.resolve());
  }

  async delete(profile: string): Promise<void> {
    await this.#call(profile, (entry, signal) => entry.deletePassword(signal));
  }
}
