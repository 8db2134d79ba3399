/**
 * The IPC contract between the main process and the window: channel names and the types that cross
 * them, shared type-only by main/app, preload and the renderer. Nothing here is secret-bearing:
 * responses and events carry account display data and token metadata, never a token or a client
 * secret (SECURITY.md, Windows and IPC #10). A client secret only ever travels the other way, typed
 * by the user into the link form, and is never sent back.
 */
import type { ErrorCode } from '../main/errors.js';
import type { ProviderChoice, ProviderOption, TokenKind } from '../main/model.js';

/** The providers the window offers (`sandbox` only when the app runs from source) and what each form asks for. */
export type { ProviderChoice, ProviderOption } from '../main/model.js';

/** Codes of the IPC layer itself, beside the service's own {@link ErrorCode}s. */
export type IpcErrorCode =
  /** The payload did not parse: a bug in the window, or someone else talking. */
  | 'INVALID_ARGUMENT'
  /** The sender is not our window's main frame on our own page. */
  | 'FORBIDDEN'
  /** Anything unexpected; the message names no details that could hold a secret. */
  | 'INTERNAL';

export interface ApiError {
  code: ErrorCode | IpcErrorCode;
  /** Says what happened and what to do next. */
  message: string;
}

/** Every call answers with a result instead of throwing: errors do not survive the bridge intact. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export interface StoreView {
  backend: string;
  location: string;
  /** False for plain text on disk: the window says so, before a link and after. */
  secure: boolean;
}

export interface PendingLinkView {
  profile: string;
  provider: string;
  /** The authorization URL: open it in the browser or copy it. Holds no secret. */
  url: string;
  mode: 'paste' | 'loopback';
  redirectUri: string | null;
  expiresAt: string;
  /** The browser's redirect is awaited (loopback); the code box works too. */
  waiting: boolean;
}

export interface ProfileView {
  profile: string;
  provider: string;
  linked: boolean;
  needsRelink: boolean;
  /** `drive`: Google Drive's user or OneDrive's drive, as their APIs name it. */
  account: { id: string; name: string | null; email: string | null; drive?: { id: string; type: string | null; owner: string | null } | null } | null;
  token: { kind: TokenKind; expiresAt: string | null } | null;
  store: StoreView | null;
  /** Linking this profile again asks for its client secret (Box, Google, confidential OpenID clients). */
  needsClientSecret: boolean;
  /** False where unlink can only delete here (OneDrive: Microsoft offers apps no revocation). */
  unlinkRevokes: boolean;
  /** The link in progress, if any: it survives closing and reopening the window. */
  pending: PendingLinkView | null;
  /** The latest problem: the store could not be read (KEYRING_ACCESS), or the browser's redirect failed. */
  error: ApiError | null;
  /**
   * How the link is: null while not linked (new, linking). `needs-relink`, `keyring-locked` and
   * `store-unreachable` need the person; `provider-unreachable` is a provider out of reach after
   * retries (offline), which authtray keeps retrying on its own.
   */
  health: LinkHealth | null;
}

export type LinkHealth = 'linked' | 'needs-relink' | 'keyring-locked' | 'store-unreachable' | 'provider-unreachable';

export interface AppInfo {
  /** Offered only when run from source: the local sandbox provider (`npm run sandbox`). */
  sandbox: { issuer: string } | null;
  /** The providers the link form offers, in order, and what each asks for: the window has no rules of its own. */
  providers: ProviderOption[];
  /**
   * Where a new link's credentials will be kept: the window warns first when that is plain text.
   * Null when that cannot be told now (a locked keyring): linking then fails and says why.
   */
  newLinkStore: StoreView | null;
}

export interface AppInfoRequest {
  /** The person asked to try again: the keyring is probed afresh. */
  retry?: boolean | undefined;
}

export interface LinkRequest {
  profile: string;
  /** Absent: link again with the profile's saved settings (after "needs relink"). */
  provider?: ProviderChoice | undefined;
  clientId?: string | undefined;
  /** OpenID Connect: the issuer to discover. */
  issuer?: string | undefined;
  /** OneDrive: the Microsoft tenant (common, consumers, organizations, or a tenant id or domain). */
  tenant?: string | undefined;
  /** Box and confidential clients; travels only towards main and is never echoed. */
  clientSecret?: string | undefined;
}

export interface FinishRequest {
  profile: string;
  /** The code, or the whole redirect URL from the browser's address bar. */
  input: string;
}

export interface ProfileRequest {
  profile: string;
}

export interface UnlinkView {
  /** True only when the provider answered the revocation request with success. */
  revoked: boolean;
  /** What happened at the provider: revoked, no-endpoint, refused, unreachable, not-revocable, none. */
  revocation: 'revoked' | 'no-endpoint' | 'refused' | 'unreachable' | 'not-revocable' | 'none';
  warning: string | null;
}

/** The app's own settings, as the Settings view shows them. Nothing secret: a client id is not a secret. */
export interface AppSettingsView {
  /** Desktop notifications when a link needs you, the keyring is locked, or a link finished in the browser. */
  notifications: boolean;
  /** Renew refresh tokens before they lapse unused (Box, Microsoft, Google). */
  keepAlive: boolean;
  /** Started at login: tray only, no window (macOS keeps this itself). */
  startHidden: boolean;
  /** The link form's last choice, to fill it next time. */
  linkForm: { provider?: ProviderChoice | undefined; clientId?: string | undefined; issuer?: string | undefined };
}

export interface SettingsUpdate {
  notifications?: boolean | undefined;
  keepAlive?: boolean | undefined;
  startHidden?: boolean | undefined;
}

/** What the person answers when a program asks the app's agent for an account's token. */
export type ConsentAnswer = 'once' | 'always' | 'deny';

/** A program waiting for the person's answer. Names and paths only: never a token. */
export interface ConsentQuestionView {
  id: string;
  /** The executable's path (verified), or the name the program gave itself (unverified). */
  program: string;
  verified: boolean;
  pid: number | null;
  /** The executable of the process that started it, when the OS says. */
  parent: string | null;
  profile: string;
  /** "Dropbox — alice@example.com", when the profile is linked here. */
  account: string | null;
  /** Requests from this program for this profile waiting on this one answer. */
  requests: number;
  /** "Always for this program" is offered only for a program with a name to match. */
  canRemember: boolean;
  askedAt: string;
  /** When it is taken as a denial. */
  expiresAt: string;
}

/** "Always for this program": kept in the app's settings until revoked in Settings. */
export interface ConsentDecisionView {
  program: string;
  verified: boolean;
  profile: string;
  decidedAt: string;
}

export interface ConsentView {
  questions: ConsentQuestionView[];
  decisions: ConsentDecisionView[];
}

export interface ConsentAnswerRequest {
  id: string;
  answer: ConsentAnswer;
}

export type ConsentRevokeRequest = Omit<ConsentDecisionView, 'decidedAt'>;

/** Request/response channels: `ipcMain.handle` on one side, `ipcRenderer.invoke` on the other. */
export interface Channels {
  /** `retry`: ask the keyring afresh (the window's Retry); otherwise its last answer is used. */
  'app:info': { request: AppInfoRequest | null; response: AppInfo };
  'profiles:list': { request: null; response: ProfileView[] };
  'link:start': { request: LinkRequest; response: PendingLinkView };
  /** Answers null: the linked profile arrives on `status:changed`, like every profile change. */
  'link:finish': { request: FinishRequest; response: null };
  'link:cancel': { request: ProfileRequest; response: null };
  /** Opens the pending link's URL in the system browser (main checks it against the allow-list). */
  'link:open': { request: ProfileRequest; response: null };
  /** Copies the pending link's URL to the clipboard (main does it: the window has no permissions). */
  'link:copy': { request: ProfileRequest; response: null };
  'account:unlink': { request: ProfileRequest; response: UnlinkView };
  'settings:get': { request: null; response: AppSettingsView };
  'settings:set': { request: SettingsUpdate; response: AppSettingsView };
  /** The questions waiting for the person and the programs allowed for good. */
  'consent:list': { request: null; response: ConsentView };
  'consent:answer': { request: ConsentAnswerRequest; response: ConsentView };
  'consent:revoke': { request: ConsentRevokeRequest; response: ConsentView };
}

export type Channel = keyof Channels;
export type RequestOf<C extends Channel> = Channels[C]['request'];
export type ResponseOf<C extends Channel> = Channels[C]['response'];

/** What the tray asks the window to show. */
export type UiCommand = { command: 'link' } | { command: 'unlink'; profile: string } | { command: 'show'; profile: string } | { command: 'settings' };

/** Events from main to the window: `webContents.send` on one side, a subscription on the other. */
export interface Events {
  /** Every profile, after any change (link, finish, cancel, unlink, refresh, needs relink). */
  'status:changed': ProfileView[];
  'ui:command': UiCommand;
  /** A question asked, answered or expired; a decision kept or revoked. */
  'consent:changed': ConsentView;
}

export type EventChannel = keyof Events;

/** What the preload exposes as `window.authtray`: one method per channel, one subscription per event. */
export interface AuthtrayApi {
  appInfo(options?: AppInfoRequest): Promise<Result<AppInfo>>;
  profiles(): Promise<Result<ProfileView[]>>;
  startLink(request: LinkRequest): Promise<Result<PendingLinkView>>;
  finishLink(request: FinishRequest): Promise<Result<null>>;
  cancelLink(profile: string): Promise<Result<null>>;
  openLink(profile: string): Promise<Result<null>>;
  copyLink(profile: string): Promise<Result<null>>;
  unlink(profile: string): Promise<Result<UnlinkView>>;
  settings(): Promise<Result<AppSettingsView>>;
  updateSettings(update: SettingsUpdate): Promise<Result<AppSettingsView>>;
  consent(): Promise<Result<ConsentView>>;
  answerConsent(request: ConsentAnswerRequest): Promise<Result<ConsentView>>;
  revokeConsent(decision: ConsentRevokeRequest): Promise<Result<ConsentView>>;
  /** Called with every profile after each change; returns the unsubscribe function. */
  onStatusChanged(listener: (profiles: ProfileView[]) => void): () => void;
  /** Called when the tray asks for the link form or an unlink confirmation; returns the unsubscribe function. */
  onCommand(listener: (command: UiCommand) => void): () => void;
  /** Called when a program asks for consent, or a question or decision changes; returns the unsubscribe function. */
  onConsentChanged(listener: (view: ConsentView) => void): () => void;
}
