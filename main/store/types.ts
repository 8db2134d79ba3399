/**
 * The stores that keep credential records (the record itself is plain data, in main/model.ts).
 */

import type { CredentialRecord, StoreInfo } from '../model.js';

export type { CredentialRecord, JwtKeyMaterial, ProviderKind, ServerTokenKind, StoreInfo, TokenKind } from '../model.js';

/**
 * A place for credential records, one per profile. Implementations throw `CredentialStoreError`
 * (or its subclass `KeyringAccessError`) when they cannot read or write; they never fall back to
 * another place on their own.
 */
export interface CredentialStore {
  readonly info: StoreInfo;
  /** The profile's record, or null when there is none. */
  load(profile: string): Promise<CredentialRecord | null>;
  /**
   * Replaces the profile's record. The previous record stays readable until the new one is
   * complete (no moment without a record, no half-written record).
   */
  save(profile: string, record: CredentialRecord): Promise<void>;
  /** Removes the profile's record; no error when there is none. */
  delete(profile: string): Promise<void>;
  /**
   * Whether the store can take a secret: resolves when it can, rejects with a CredentialStoreError
   * saying why not (the system keyring: locked, missing, not answering). Stores that are always
   * ready have none. A store whose probe writes (the keyring) keeps the outcome until `fresh` asks
   * again or one of its calls shows it changed, so reading a status writes nothing.
   */
  probe?(options?: { fresh?: boolean }): Promise<void>;
  /** Set for stores several hosts share (Redis, Memcached): their lock and profile copies. */
  readonly shared?: SharedStore;
  /** Releases connections, so a CLI run can exit. */
  close?(): Promise<void>;
}

/**
 * Serializes refreshes of one profile: whoever holds it refreshes; the others wait, then read the
 * record again instead of refreshing.
 */
export interface RefreshLock {
  /**
   * Runs `fn` holding the profile's lock. `recheck`, where the lock supports it, runs without the
   * lock after a wait for another holder: that holder has most likely refreshed, so a crowd of
   * waiters reads the result side by side instead of one after the other. A value it returns ends
   * the wait; undefined takes the lock and runs `fn` as usual.
   */
  withLock<T>(profile: string, fn: () => Promise<T>, recheck?: () => Promise<T | undefined>): Promise<T>;
}

/**
 * What a store shared by a fleet offers besides records: a refresh lock held in the store itself
 * (Redis: `SET NX PX`; Memcached: `add`), and the profiles' non-secret config (provider, client,
 * endpoints, account), so a host with no local config can use a profile linked elsewhere. Stores
 * local to one machine have none: they lock with a file beside the config.
 */
export interface SharedStore {
  readonly lock: RefreshLock;
  saveProfile(profile: string, config: unknown): Promise<void>;
  loadProfile(profile: string): Promise<unknown>;
}

/** A shared store is both. */
export type SharedCredentialStore = CredentialStore & SharedStore;
