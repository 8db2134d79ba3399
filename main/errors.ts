/**
 * Every error authtray raises on purpose: a stable string `code`, a message that names the cause and
 * the next step (maestral's habit), and the original `cause` where there is one. Messages never hold
 * a secret: build them from profile names, hosts and provider error codes only.
 */
import { cleanMessage, providerText } from './sanitize.js';

export const ErrorCodes = {
  /** Bad command-line usage or bad settings. */
  USAGE: 'USAGE',
  /** The redirect URL or pasted code was malformed (Dropbox's BadRequestException). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** No pending authorization, or it expired (Dropbox's BadStateException). */
  BAD_STATE: 'BAD_STATE',
  /** `state` did not match the pending authorization (Dropbox's CsrfException). */
  CSRF: 'CSRF',
  /** The user did not approve the app: `error=access_denied` (Dropbox's NotApprovedException). */
  NOT_APPROVED: 'NOT_APPROVED',
  /** The provider reported any other error on the redirect (Dropbox's ProviderException). */
  PROVIDER_ERROR: 'PROVIDER_ERROR',
  /** The provider rejected the authorization code (maestral's InvalidToken). */
  INVALID_TOKEN: 'INVALID_TOKEN',
  /** The provider could not be reached, timed out, or answered with a server error (5xx) (maestral's ConnectionFailed). */
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  /** The profile has no credentials. */
  NOT_LINKED: 'NOT_LINKED',
  /** The grant was revoked or expired (`invalid_grant` on refresh): the user must link again. */
  NEEDS_RELINK: 'NEEDS_RELINK',
  /** The credential store could not be read or written. */
  STORE_ERROR: 'STORE_ERROR',
  /** The system keyring is locked or unavailable. */
  KEYRING_ACCESS: 'KEYRING_ACCESS',
  /** The loopback listener gave up waiting, or was cancelled. */
  CANCELLED: 'CANCELLED',
  /** The session was closed (`close()` / `await using`): it hands out no more tokens. */
  SESSION_CLOSED: 'SESSION_CLOSED',
  /** Another agent already serves this user and home. */
  AGENT_RUNNING: 'AGENT_RUNNING',
  /** The agent's socket cannot be used safely (foreign owner, open permissions) or serves another home. */
  AGENT_UNAVAILABLE: 'AGENT_UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** How a revocation that did not happen is said, by unlink and by a revoking close. */
export const NO_REVOCATION_ENDPOINT = 'The provider has no revocation endpoint, so nothing was sent and the grant stays valid there';
export const REMOVE_ACCESS = "remove access in the provider's account settings";

/** What every error takes besides its message: the cause, and the command's wording where it differs. */
export interface ErrorOptions {
  cause?: unknown;
  /**
   * The same message in the command's words (its flags, `authtray ...` commands). The message itself
   * names no face's controls: the command prints this instead, the window adds its buttons.
   */
  cliMessage?: string | undefined;
}

/** Base class: `instanceof AuthtrayError` and a `code` from {@link ErrorCodes}. */
export class AuthtrayError extends Error {
  readonly code: ErrorCode;
  /** The same message in the command's words (flags instead of settings), where they differ. */
  readonly cliMessage: string | undefined;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    // Whatever a message quotes (a provider's words, a file's contents), no control character reaches a face.
    super(cleanMessage(message), options);
    this.code = code;
    this.name = new.target.name;
    this.cliMessage = options?.cliMessage === undefined ? undefined : cleanMessage(options.cliMessage);
  }
}

export class UsageError extends AuthtrayError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCodes.USAGE, message, options);
  }
}

/** The redirect or pasted input was malformed. */
export class BadRequestError extends AuthtrayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.BAD_REQUEST, message, options);
  }
}

/** No pending authorization for this profile, or it expired: start the link again. */
export class BadStateError extends AuthtrayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.BAD_STATE, message, options);
  }
}

/** `state` did not match: the pending authorization is kept, so the genuine redirect can still finish it. */
export class CsrfError extends AuthtrayError {
  constructor(message = 'The authorization response does not belong to this link attempt (state mismatch). It was ignored; finish with the URL from your own browser or start the link again.') {
    super(ErrorCodes.CSRF, message);
  }
}

export class NotApprovedError extends AuthtrayError {
  constructor(message = 'The link was not approved at the provider. Start the link again and choose Allow.') {
    super(ErrorCodes.NOT_APPROVED, message);
  }
}

/** The provider redirected back with an error other than `access_denied`: its words, cleaned and bounded (sanitize.ts). */
export class ProviderError extends AuthtrayError {
  readonly providerError: string;
  constructor(providerError: string, description: string | undefined) {
    const code = providerText(providerError, 100) ?? 'unknown_error';
    const said = providerText(description);
    super(ErrorCodes.PROVIDER_ERROR, `The provider reported "${code}"${said ? `: ${said}` : ''}. Start the link again; if it persists, check the app registration.`);
    this.providerError = code;
  }
}

/**
 * The provider answered, but not as asked: it refused (4xx, with `status` and its OAuth error if
 * any), or its answer is not OAuth (HTML, an ID token for someone else). Not a connectivity problem.
 */
export class ProviderAnswerError extends AuthtrayError {
  readonly status: number | null;
  readonly oauthError: string | null;
  constructor(message: string, options?: ErrorOptions & { status?: number; oauthError?: string | null }) {
    super(ErrorCodes.PROVIDER_ERROR, message, options);
    this.status = options?.status ?? null;
    this.oauthError = options?.oauthError ?? null;
  }
}

/** The provider rejected the authorization code (wrong, used or expired). */
export class InvalidTokenError extends AuthtrayError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCodes.INVALID_TOKEN, message, options);
  }
}

export class ConnectionFailedError extends AuthtrayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.CONNECTION_FAILED, message, options);
  }
}

export class NotLinkedError extends AuthtrayError {
  constructor(profile: string) {
    super(ErrorCodes.NOT_LINKED, `Profile "${profile}" is not linked. Link it first.`, { cliMessage: `Profile "${profile}" is not linked. Run: authtray link --profile ${profile} --provider ...` });
  }
}

export class NeedsRelinkError extends AuthtrayError {
  constructor(profile: string, reason = 'the provider no longer accepts its credentials') {
    super(ErrorCodes.NEEDS_RELINK, `Profile "${profile}" needs to be linked again: ${reason}. Link it again to use it.`, {
      cliMessage: `Profile "${profile}" needs to be linked again: ${reason}. Run: authtray link --profile ${profile}`,
    });
  }
}

export class CredentialStoreError extends AuthtrayError {
  constructor(message: string, options?: ErrorOptions & { code?: ErrorCode }) {
    super(options?.code ?? ErrorCodes.STORE_ERROR, message, options);
  }
}

/** config.json cannot be used as it is (not JSON, not authtray's shape). It is left as it is: nothing overwrites it. */
export class ConfigFileError extends CredentialStoreError {
  constructor(
    readonly path: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`The config file ${path} cannot be read as authtray's settings: ${problem}. authtray changed nothing in it: correct it (or put back a backup), then try again.`, options);
  }
}

/**
 * Why the keyring could not be used: `locked` (or its unlock prompt was dismissed), `unavailable`
 * (no keyring service in this session), `timeout` (no answer in time), `failed` (anything else).
 */
export type KeyringProblem = 'locked' | 'unavailable' | 'timeout' | 'failed';

/** The system keyring cannot be used now: locked, gone, or not answering. Nothing was written elsewhere. */
export class KeyringAccessError extends CredentialStoreError {
  readonly problem: KeyringProblem;
  constructor(message: string, options?: { cause?: unknown; problem?: KeyringProblem }) {
    super(message, { cause: options?.cause, code: ErrorCodes.KEYRING_ACCESS });
    this.problem = options?.problem ?? 'failed';
  }
}

export class CancelledError extends AuthtrayError {
  constructor(message: string) {
    super(ErrorCodes.CANCELLED, message);
  }
}

/** A closed session was asked for a token (Box's closed `OAuth2`): open a new session instead. */
export class SessionClosedError extends AuthtrayError {
  constructor(profile: string) {
    super(ErrorCodes.SESSION_CLOSED, `The session for profile "${profile}" was closed and hands out no more tokens. Open a new session (accounts.session("${profile}")).`);
  }
}

/** The agent cannot start or be used: its socket or directory is unsafe, or another agent runs. */
export class AgentError extends AuthtrayError {
  constructor(code: typeof ErrorCodes.AGENT_RUNNING | typeof ErrorCodes.AGENT_UNAVAILABLE, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
