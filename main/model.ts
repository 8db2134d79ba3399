/**
 * The plain data every layer shares: provider and token kinds, the credential record, a profile's
 * settings and config, the account's display data, a store's description. Types and constants
 * only; this module imports nothing of the project (the dependency rules check it), so the store,
 * the protocol code, the faces and the IPC contract can all name these without reaching into
 * each other.
 */

/**
 * `box-jwt`: Box server auth (a JWT app acting for its enterprise or an app user).
 * `box-developer-token`: a Box developer token pasted by the user.
 */
export type ProviderKind = 'dropbox' | 'box' | 'oidc' | 'box-jwt' | 'box-developer-token';
export const PROVIDER_KINDS: readonly ProviderKind[] = ['dropbox', 'box', 'oidc', 'box-jwt', 'box-developer-token'];

/** The providers a person picks for a browser link; `sandbox` is an OIDC provider on this machine. */
export const PROVIDER_CHOICES = ['dropbox', 'box', 'oidc', 'sandbox'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

/** What a provider's link form asks for (main/link-request.ts says it; the window renders it). */
export interface ProviderOption {
  choice: ProviderChoice;
  /** `required`: the client always authenticates (Box); `optional`: a confidential client may (OIDC). */
  clientSecret: 'required' | 'optional' | 'none';
  /** The person gives the issuer URL to discover. */
  issuer: boolean;
  /** What the provider calls the client id ("App key" at Dropbox). */
  clientIdLabel: string;
  /** Where the person finds it. */
  clientIdHint: string;
  /** Used when the person gives none (the sandbox's own client); null: it must be given. */
  defaultClientId: string | null;
}

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
export const TOKEN_KINDS: readonly TokenKind[] = ['offline', 'legacy', 'online', 'jwt', 'developer'];

/** The JWT app's signing key (Box server auth), as the app settings gave it. Secret. */
export interface JwtKeyMaterial {
  /** PEM, PKCS#8 or PKCS#1, possibly encrypted. */
  readonly privateKey: string;
  /** The passphrase of an encrypted private key. */
  readonly passphrase?: string | undefined;
}

/**
 * Everything secret about one profile, in one record (python-oauth2's `AccessToken`: client id,
 * grant, token, data, expiry, refresh token, scopes), so a store keeps one secret per profile.
 */
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
  /**
   * When the access token was received, in ms since the epoch: its lifetime sets when it is
   * refreshed, and since the refresh token was last used then, the app's keep-alive counts a
   * provider's idle lifetime from it. Absent in older records.
   */
  readonly issuedAt?: number | undefined;
  readonly refreshToken: string | null;
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
  /** `memory`, `plaintext`, `keyring`, `redis`, `memcached`. */
  readonly backend: string;
  /** Where the records are: a file path, a keyring name, a server address without credentials. */
  readonly location: string;
  /** False when records sit readable on disk or unencrypted in a shared store. */
  readonly secure: boolean;
}

export type RedirectMode = 'paste' | 'loopback';

/** Endpoint overrides, per profile (tests, proxies, enterprise gateways). */
export interface EndpointOverrides {
  authorize?: string | undefined;
  token?: string | undefined;
  revoke?: string | undefined;
  userinfo?: string | undefined;
  /** Dropbox: base of the `2/...` endpoints; Box: base of the `2.0/...` endpoints. */
  api?: string | undefined;
}

/** Server metadata kept after discovery, so later runs need no discovery request. */
export interface ServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string | undefined;
  userinfo_endpoint?: string | undefined;
  authorization_response_iss_parameter_supported?: boolean | undefined;
  /** The scopes the server says it has; null when it published none (undefined: cached before this was kept). */
  scopes_supported?: string[] | null | undefined;
}

export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Who the token acts as: Box's `box_sub_type` and `sub`. */
export interface BoxJwtSubject {
  type: 'enterprise' | 'user';
  id: string;
}

/** The non-secret part of a `box-jwt` profile, kept in its config. */
export interface BoxJwtProfile {
  publicKeyId: string;
  subject: BoxJwtSubject;
  algorithm: JwtAlgorithm;
}

/** A profile's settings as kept in the config file: nothing secret. */
export interface ProfileSettings {
  provider: ProviderKind;
  clientId: string;
  /** OIDC: the issuer URL to discover. */
  issuer?: string | undefined;
  /** Requested scopes; empty or missing means the provider's default. */
  scopes?: string[] | undefined;
  redirect?: RedirectMode | undefined;
  /** Fixed loopback port (Dropbox needs one registered; others may pin one). */
  port?: number | undefined;
  endpoints?: EndpointOverrides | undefined;
  /** The client authenticates with a secret (Box always; some OIDC clients). */
  confidential?: boolean | undefined;
  /** OIDC: metadata found by discovery, cached. */
  metadata?: ServerMetadata | undefined;
  /** Made by `--provider sandbox`: shown in status, otherwise an OIDC profile like any other. */
  sandbox?: boolean | undefined;
  /** Box server auth (`box-jwt`): key id, subject and algorithm; the key itself is in the credential record. */
  jwt?: BoxJwtProfile | undefined;
}

/** Display data of the linked account. */
export interface AccountInfo {
  id: string;
  name: string | null;
  email: string | null;
}

/** One profile's entry in the config file (and its copy in a shared store). Nothing secret. */
export interface ProfileConfig {
  settings: ProfileSettings;
  account: AccountInfo;
  /** The credential backend chosen at link time, used until unlink. */
  store: { backend: string };
  /** The provider refused the grant: the user must link again. */
  needsRelink: boolean;
  linkedAt: string;
}

/** The config file's content. */
export interface ConfigData {
  version: 1;
  profiles: Record<string, ProfileConfig>;
}
