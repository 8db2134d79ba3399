/**
 * authtray as a library: `import { Accounts } from 'authtray'`. The same core the CLI and the desktop
 * app use, for a sync engine, a script or a server: the accounts service, the session per profile
 * (single-flight refresh, cross-process lock, close / `await using`), sessions over tokens someone
 * else keeps (callback, cooperative, remote), Box server auth and developer tokens, downscoping, the
 * credential stores and the typed errors. Importing it loads no Electron and no UI, and opens
 * nothing: every server or file is touched only when a method is called.
 *
 * @example
 * ```ts
 * import { Accounts } from 'authtray';
 * const accounts = new Accounts({ home: '/var/lib/sync/authtray' });
 * await using session = await accounts.session('work');
 * const token = await session.accessToken();
 * ```
 */

// The service: link / finish / unlink / status / tokens, per profile.
export { Accounts, LinkOutcome, type AccountsOptions, type LinkOptions, type LinkStarted, type LinkState, type ProfileStatus, type RevocationResult, type UnlinkResult } from './accounts.js';

// Sessions.
export { OAuthSession, processLocalLock, DEFAULT_REFRESH_MARGIN_MS, isFresh, type CloseOptions, type IssuedToken, type SessionOptions, type TokenOptions } from './auth/session.js';
export {
  cooperativeSession,
  remoteSession,
  InProcessRefreshLock,
  type CooperativeSessionOptions,
  type RemoteSessionOptions,
  type RemoteToken,
  type TokenPair,
} from './auth/managed.js';

// Box server auth, developer tokens, downscoping.
export {
  JWT_ALGORITHMS,
  JWT_BEARER_GRANT,
  createBoxAssertion,
  loadBoxAppSettings,
  parseBoxAppSettings,
  type BoxAppSettings,
  type BoxJwtLinkOptions,
  type BoxJwtProfile,
  type BoxJwtSubject,
  type JwtAlgorithm,
} from './auth/box-jwt.js';
export { DEVELOPER_TOKEN_PROMPT, type DeveloperTokenOptions } from './auth/developer-token.js';
export {
  ACCESS_TOKEN_TYPE,
  BOX_DOWNSCOPE_SCOPES,
  TOKEN_EXCHANGE_GRANT,
  type BoxDownscopeScope,
  type DownscopedToken,
  type DownscopeOptions,
} from './auth/token-exchange.js';

// Providers and the outside world.
export type { AccountInfo, EndpointOverrides, ProfileSettings, RedirectMode } from './auth/providers/index.js';
export type { DeviceFlowSupport } from './auth/providers/common.js';
export type { DriveInfo } from './model.js';
// Google Drive and OneDrive: their documented scopes and tenants (docs/providers/).
export {
  CONSUMERS_TENANT_ID,
  GOOGLE_DEFAULT_DRIVE_SCOPE,
  GOOGLE_DEVICE_SCOPES,
  GOOGLE_ISSUER,
  googleScopes,
  MICROSOFT_AUTHORITY,
  MICROSOFT_REMOVE_ACCESS,
  ONEDRIVE_DEFAULT_SCOPES,
  onedriveScopes,
} from './auth/providers/facts.js';
export { checkTenant, TenantError } from './link-request.js';
export { defaultAuthDeps, type AuthDeps } from './auth/deps.js';

// Stores.
export { MemoryCredentialStore } from './store/memory.js';
export { PlaintextCredentialStore } from './store/plaintext.js';
export { FileRefreshLock, type FileLockOptions } from './store/file-lock.js';
export { ConfigFile, authtrayHome, type ConfigData, type ProfileConfig } from './store/config.js';
export { parseCredentialRecord, serializeCredentialRecord, RecordFormatError } from './store/record.js';
export type { CredentialRecord, CredentialStore, JwtKeyMaterial, ProviderKind, RefreshLock, ServerTokenKind, StoreInfo, TokenKind } from './store/types.js';

// Errors: `instanceof AuthtrayError` and a stable `code`.
export * from './errors.js';
