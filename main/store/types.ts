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
   * Serializes refreshes of a profile among everyone who shares this store (Redis: `SET NX PX`;
   * Memcached: `add`). Absent for stores local to one machine, which use a lock file instead.
   */
  readonly lock?: RefreshLock;
  /**
   * Shared stores also keep the profile's non-secret config (provider, client, endpoints, account),
   * so a host with no local config can use a profile linked elsewhere.
   */
  saveProfile?(profile: string, config: unknown): Promise<void>;
  loadProfile?(profile: string): Promise<unknown>;
  /** Releases connections, so a CLI run can exit. */
  close?(): Promise<void>;
}

/**
 * Serializes refreshes of one profile: whoever holds it refreshes; the others wait, then read the
 * record again instead of refreshing.
 */
export interface RefreshLock {
  withLock<T>(profile: string, fn: () => Promise<T>): Promise<T>;
}
