/**
 * The credential record and the stores that keep it. The record follows python-oauth2's `AccessToken`
 * (client id, grant, token, data, expiry, refresh token, scopes): everything secret about one profile
 * is in this one record, so a store keeps one secret per profile.
 */

/**
 * `box-jwt`: Box server auth (a JWT app acting for its enterprise or an app user).
 * `box-developer-token`: a Box developer token pasted by the user.
 */
export type ProviderKind = 'dropbox' | 'box' | 'oidc' | 'box-jwt' | 'box-developer-token';

/**
 * `offline`: a refresh token and an expiring access token. `legacy`: a long-lived access token, no
 * refresh token (Dropbox before short-lived tokens). `online`: an expiring access token and no way to
 * renew it; the profile needs relinking when it expires.
 */
export type TokenKind = 'offline' | 'legacy' | 'online' | ServerTokenKind;

/**
 * `jwt`: an expiring access token renewed with a new signed assertion (Box server auth), no refresh
 * token. `developer`: a Box developer token, good for 60 minutes; no refresh, no revoke, then relink.
 */
export type ServerTokenKind = 'jwt' | 'developer';

/** The JWT app's signing key (Box server auth), as the app settings gave it. Secret. */
export interface JwtKeyMaterial {
  /** PEM, PKCS#8 or PKCS#1, possibly encrypted. */
  readonly privateKey: string;
  /** The passphrase of an encrypted private key. */
  readonly passphrase?: string | undefined;
}

export interface CredentialRecord {
  /** Schema version of this record. */
  readonly version: 1;
  readonly provider: ProviderKind;
  readonly clientId: string;
  /** The provider's id of the linked account (Dropbox `account_id`, Box user id, OIDC `sub`). */
  readonly accountId: string;
  readonly tokenKind: TokenKind;
  readonly accessToken: string;
  /** When the access token expires, in ms since the epoch; null when it does not (legacy). */
  readonly expiresAt: number | null;
  readonly refreshToken: string | null;
  /**
   * When the provider last answered with these tokens (link or refresh), in ms since the epoch: the
   * refresh token was last used then, which is what an idle lifetime counts from (keep-alive).
   */
  readonly issuedAt?: number | undefined;
  readonly scopes: readonly string[];
  /** The client secret of a confidential client (Box, some OIDC clients); kept only here. */
  readonly clientSecret?: string | undefined;
  /** Extra token-response data worth keeping (e.g. an OIDC ID token for logout hints). */
  readonly data?: Readonly<Record<string, string>>;
  /** `jwt` records: the key that signs each new assertion; kept only here, never in the config. */
  readonly jwtKey?: JwtKeyMaterial | undefined;
}

/** What `status` may show about a store; never a secret. */
export interface StoreInfo {
  /** `memory`, `plaintext`, later `keyring`, `redis`, `memcached`. */
  readonly backend: string;
  /** Where the records are: a file path, a keyring name, a server address without credentials. */
  readonly location: string;
  /** False when records sit readable on disk or unencrypted in a shared store. */
  readonly secure: boolean;
}

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
