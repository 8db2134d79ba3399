/**
 * What the parts of the accounts service share: the options it was made with, the outside world
 * (fetch, clock), the warning channel and the change feed; and the protocol modules, loaded on
 * first use: `authtray token` with a fresh cached token reads two files and never needs them, and
 * a CLI that starts fast is one scripts can call freely.
 */
import type { AuthDeps } from '../auth/deps.js';
import type { PendingStore } from '../store/pending.js';
import type { KeyringOptions } from '../store/keyring.js';
import type { CredentialRecord, CredentialStore, RefreshLock } from '../store/types.js';

export interface AccountsOptions {
  /** Directory of the config file and the file stores (see `authtrayHome()`). */
  home: string;
  deps?: Partial<AuthDeps>;
  /**
   * Where new links keep their credentials (`--store`, AUTHTRAY_STORE): `auto` (the system keyring
   * when it works, else plain text with a warning), `keyring`, `plaintext`, or a backend name
   * `openStore` knows. Default `auto`.
   */
  store?: string;
  /** Opens the credential store of a backend name (replaces the built-in ones: tests, embedders). */
  openStore?: (backend: string) => CredentialStore;
  /** System keyring settings (service name, per-call timeout). */
  keyring?: KeyringOptions;
  /** Where AUTHTRAY_STORE_KEY is read from (sealing records in shared stores); default process.env. */
  env?: NodeJS.ProcessEnv;
  pending?: PendingStore;
  lock?: RefreshLock;
  /**
   * The protocol log: every provider request and answer, secrets redacted (auth/protocol-log.ts).
   * Default: standard error when AUTHTRAY_DEBUG=1 in `env`, else none.
   */
  protocolLog?: ((line: string) => void) | undefined;
  /** Non-fatal problems the user should hear about (a failed revocation, a fallback). */
  warn?: (message: string, cliMessage?: string) => void;
  loopbackTimeoutMs?: number;
  refreshMarginMs?: number;
  /**
   * Called with the profile's new record on every token change, after it is stored: a link, a
   * refresh, a JWT renewal (Box's `store_tokens`). Awaited; its failure reaches the caller.
   */
  onTokens?: (profile: string, record: CredentialRecord) => void | Promise<void>;
}

export interface AccountsContext {
  readonly options: AccountsOptions;
  readonly deps: AuthDeps;
  /** The protocol log, if on. */
  readonly log: ((line: string) => void) | undefined;
  /** A warning, and the same in the command's words where they differ. */
  readonly warn: (message: string, cliMessage?: string) => void;
  /** Tells the status listeners that `profile` may have changed. */
  readonly changed: (profile: string) => void;
}

export const flow = () => import('../auth/flow.js');
export const providers = () => import('../auth/providers.js');
export const loopback = () => import('../auth/loopback.js');
export const sessions = () => import('../auth/session.js');
export const boxJwt = () => import('../auth/box-jwt.js');
export const developerTokens = () => import('../auth/developer-token.js');
