/**
 * The app's watch over the links, with no Electron in it: each link's health (linked, needs relink,
 * keyring locked, store unreachable, provider unreachable), worked out at start, after resume / a
 * clock change / the network coming back (`replan`), and whenever a renewal fails; and the
 * keep-alive, one timer per profile from its record and its provider's idle-lifetime rule (no
 * polling). A renewal goes through the profile's session, so it shares the single flight and the
 * refresh lock of every refresh and reads the record again under them: a token some program renewed
 * meanwhile is not renewed again.
 */
import type { Accounts } from '../accounts.js';
import { idleRefreshLifetime } from '../auth/providers/index.js';
import { AuthtrayError, ErrorCodes } from '../errors.js';
import { isFresh } from '../auth/tokens.js';
import type { CredentialRecord, ProfileConfig, ProfileSettings } from '../model.js';
import { healthOfError, NEEDS_PERSON, type LinkHealth } from './health.js';
import { issuedAtOf, renewalDue, timerDelay } from './keepalive.js';

export { healthOfError, NEEDS_PERSON, type LinkHealth } from './health.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock; its timers do not keep a process alive on their own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface HealthChange {
  profile: string;
  from: LinkHealth | null;
  /** null: the profile is gone (unlinked) or not linked. */
  to: LinkHealth | null;
  /** Why, for the log: the error's code, never its details. */
  code: string | null;
}

/** What happened, for the app's log: no secret, only names, codes and times. */
export type WatchEvent =
  | { event: 'planned'; profile: string; due: string }
  | { event: 'renewed'; profile: string }
  | { event: 'refreshed'; profile: string; why: 'expired' }
  | { event: 'renewal-skipped'; profile: string; why: 'renewed-elsewhere' }
  | { event: 'renewal-failed'; profile: string; code: string; attempt: number }
  | { event: 'checked'; profile: string; health: LinkHealth | null };

export type WatchedAccounts = Pick<Accounts, 'snapshot' | 'session' | 'onStatusChanged'>;

export interface WatchOptions {
  accounts: WatchedAccounts;
  clock?: Clock;
  /** The idle lifetime rule (default: the providers' `IDLE_REFRESH_LIFETIMES`); tests pass seconds. */
  idleLifetime?: (settings: ProfileSettings) => number | null;
  /** Waits before each retry when the provider cannot be reached; it is "unreachable" only after the last. */
  retryDelaysMs?: readonly number[];
  /** The keep-alive setting; read at each plan. Default on. */
  keepAlive?: () => boolean;
  log?: (event: WatchEvent) => void;
}

interface Planned {
  handle: unknown;
  due: number;
  issuedAt: number;
}

const DEFAULT_RETRY_DELAYS_MS = [10_000, 60_000, 300_000];

export class LinkWatch {
  readonly #accounts: WatchedAccounts;
  readonly #clock: Clock;
  readonly #idleLifetime: (settings: ProfileSettings) => number | null;
  readonly #retryDelays: readonly number[];
  readonly #keepAlive: () => boolean;
  readonly #log: (event: WatchEvent) => void;
  readonly #health = new Map<string, LinkHealth>();
  readonly #timers = new Map<string, Planned>();
  /** A check to repeat because the provider was out of reach. */
  readonly #rechecks = new Map<string, unknown>();
  /** One check or renewal at a time per profile. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #listeners = new Set<(change: HealthChange) => void>();
  #unsubscribe: (() => void) | null = null;
  #stopped = false;

  constructor(options: WatchOptions) {
    this.#accounts = options.accounts;
    this.#clock = options.clock ?? systemClock;
    this.#idleLifetime = options.idleLifetime ?? ((settings) => idleRefreshLifetime(settings));
    this.#retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.#keepAlive = options.keepAlive ?? (() => true);
    this.#log = options.log ?? (() => {});
  }

  /** Works out every link's health (renewing expired tokens), plans the timers, then follows status changes. */
  async start(): Promise<void> {
    this.#unsubscribe ??= this.#accounts.onStatusChanged((profile) => void this.#queue(profile, () => this.#check(profile, false)));
    await this.replan();
  }

  /** After resume, a clock change, the network back, a setting changed: every link checked and planned again. */
  async replan(): Promise<void> {
    const names = [...(await this.#configs()).keys()];
    for (const gone of [...this.#health.keys(), ...this.#timers.keys()]) {
      if (!names.includes(gone)) void this.#queue(gone, () => this.#check(gone, false));
    }
    await Promise.all(names.map((name) => this.#queue(name, () => this.#check(name, true))));
  }

  /** The link's health, or null for a profile that is not linked (or not known yet). */
  healthOf(profile: string): LinkHealth | null {
    return this.#health.get(profile) ?? null;
  }

  /** The profiles whose link needs the person now. */
  needingPerson(): string[] {
    return [...this.#health].filter(([, health]) => NEEDS_PERSON.has(health)).map(([profile]) => profile);
  }

  /** When each profile's renewal is planned (ms since the epoch), for tests and the log. */
  planned(): Map<string, number> {
    return new Map([...this.#timers].map(([profile, planned]) => [profile, planned.due]));
  }

  /** Called once per change of a link's health; returns the unsubscribe function. */
  onChange(listener: (change: HealthChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every timer and listener; running work finishes. */
  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const profile of [...this.#timers.keys()]) this.#clear(profile);
    for (const handle of this.#rechecks.values()) this.#clock.clearTimeout(handle);
    this.#rechecks.clear();
    this.#listeners.clear();
  }

  /** Resolves when every queued check and renewal has finished (tests). */
  async idle(): Promise<void> {
    while (this.#queues.size) await Promise.all(this.#queues.values());
  }

  /** The linked profiles' configs (links in progress have none yet). */
  async #configs(): Promise<Map<string, ProfileConfig>> {
    const snapshot = await this.#accounts.snapshot();
    return new Map(snapshot.flatMap((p) => (p.config ? [[p.profile, p.config] as const] : [])));
  }

  #queue(profile: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#queues.get(profile) ?? Promise.resolve();
    const next = previous.then(() => (this.#stopped ? undefined : work())).catch(() => {});
    this.#queues.set(profile, next);
    void next.then(() => {
      if (this.#queues.get(profile) === next) this.#queues.delete(profile);
    });
    return next;
  }

  #set(profile: string, to: LinkHealth | null, code: string | null = null): void {
    const from = this.#health.get(profile) ?? null;
    if (to === null) this.#health.delete(profile);
    else this.#health.set(profile, to);
    if (from === to) return;
    for (const listener of this.#listeners) {
      try {
        listener({ profile, from, to, code });
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  #clear(profile: string): void {
    const planned = this.#timers.get(profile);
    if (planned) this.#clock.clearTimeout(planned.handle);
    this.#timers.delete(profile);
  }

  /**
   * Reads the profile's config and record (the store read shows a locked keyring or a store that
   * is gone); with `renewExpired`, an expired access token is renewed now, which shows a refused
   * grant or a provider out of reach; then plans the keep-alive timer.
   */
  async #check(profile: string, renewExpired: boolean): Promise<void> {
    const config = (await this.#configs()).get(profile);
    if (!config || config.needsRelink) {
      this.#clear(profile);
      this.#set(profile, config ? 'needs-relink' : null, config ? ErrorCodes.NEEDS_RELINK : null);
      this.#log({ event: 'checked', profile, health: this.healthOf(profile) });
      return;
    }
    let record: CredentialRecord;
    try {
      const session = await this.#accounts.session(profile);
      record = await session.record();
      if (renewExpired && record.refreshToken && !isFresh(record, this.#clock.now(), 0)) {
        await this.#retrying(profile, () => session.accessToken());
        record = await session.record();
        this.#log({ event: 'refreshed', profile, why: 'expired' });
      }
    } catch (err) {
      this.#failed(profile, err);
      this.#log({ event: 'checked', profile, health: this.healthOf(profile) });
      // Out of reach after the retries: check again after the longest wait (or at the next replan).
      if (healthOfError(err) === 'provider-unreachable' && !this.#stopped) {
        this.#clock.clearTimeout(this.#rechecks.get(profile));
        this.#rechecks.set(profile, this.#clock.setTimeout(() => void this.#queue(profile, () => this.#check(profile, true)), this.#retryDelays.at(-1) ?? 60_000));
      }
      return;
    }
    this.#clock.clearTimeout(this.#rechecks.get(profile));
    this.#rechecks.delete(profile);
    this.#set(profile, 'linked');
    this.#log({ event: 'checked', profile, health: 'linked' });
    this.#plan(profile, record, config.settings, Date.parse(config.linkedAt));
  }

  #failed(profile: string, err: unknown): void {
    const health = healthOfError(err);
    const code = err instanceof AuthtrayError ? err.code : 'INTERNAL';
    // Not linked any more: it has no health to show. An error that says nothing about the link keeps the last state.
    if (code === ErrorCodes.NOT_LINKED) this.#set(profile, null, code);
    else if (health) this.#set(profile, health, code);
    if (health !== 'provider-unreachable') this.#clear(profile);
  }

  #plan(profile: string, record: CredentialRecord, settings: ProfileSettings, linkedAt: number): void {
    this.#clear(profile);
    if (this.#stopped || !this.#keepAlive()) return;
    const now = this.#clock.now();
    const input = { record, idleLifetimeMs: this.#idleLifetime(settings), linkedAt: Number.isFinite(linkedAt) ? linkedAt : null, needsRelink: false };
    const due = renewalDue(input, now);
    if (due === null) return;
    const issuedAt = issuedAtOf(input, now);
    this.#arm(profile, due, issuedAt);
    this.#log({ event: 'planned', profile, due: new Date(due).toISOString() });
  }

  #arm(profile: string, due: number, issuedAt: number): void {
    const handle = this.#clock.setTimeout(() => void this.#queue(profile, () => this.#fire(profile, due, issuedAt)), timerDelay(due, this.#clock.now()));
    this.#timers.set(profile, { handle, due, issuedAt });
  }

  async #fire(profile: string, due: number, issuedAt: number): Promise<void> {
    const planned = this.#timers.get(profile);
    if (!planned || planned.due !== due) return; // planned again meanwhile
    this.#timers.delete(profile);
    // A due time past the longest timer is reached in steps; a clock set back lands here early too.
    if (this.#clock.now() < due) return this.#arm(profile, due, issuedAt);
    try {
      const session = await this.#accounts.session(profile);
      const { renewed } = await this.#retrying(profile, () => session.renewUnlessIssuedAfter(issuedAt));
      this.#log(renewed ? { event: 'renewed', profile } : { event: 'renewal-skipped', profile, why: 'renewed-elsewhere' });
    } catch (err) {
      this.#failed(profile, err);
      // The provider stayed out of reach: try again after the longest wait (or at the next replan).
      if (healthOfError(err) === 'provider-unreachable') this.#arm(profile, this.#clock.now() + (this.#retryDelays.at(-1) ?? 60_000), issuedAt);
      return;
    }
    await this.#check(profile, false);
  }

  /** Retries a request the provider did not answer, with growing waits; other failures at once. */
  async #retrying<T>(profile: string, request: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (err) {
        const code = err instanceof AuthtrayError ? err.code : 'INTERNAL';
        this.#log({ event: 'renewal-failed', profile, code, attempt });
        const wait = this.#retryDelays[attempt - 1];
        if (code !== ErrorCodes.CONNECTION_FAILED || wait === undefined || this.#stopped) throw err;
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, wait));
      }
    }
  }
}
