/**
 * The agent's wire format, shared by the server and the tiny client (no zod here: the client loads
 * on every `authtray token` and must stay small). One JSON object per line each way, one answer per
 * request, in order. The server validates every request with the schemas in protocol.ts.
 *
 *   → {"v":1,"op":"token","profile":"work","home":"/home/me/.config/authtray","minValidMs":600000}
 *   ← {"v":1,"ok":true,"token":"…","expiresAt":1767225600000}
 *   → {"v":1,"op":"status"}
 *   ← {"v":1,"ok":true,"agent":{"pid":123,"home":"…","socket":"…","protocol":1,"profiles":{…}}}
 *   ← {"v":1,"ok":false,"error":{"code":"NEEDS_RELINK","message":"Profile \"work\" needs to be linked again: …"}}
 *
 * Before an answer the agent may send one waiting line: the tray app asks the person whether this
 * program may have the token, and answers within `timeoutMs` (a client waits that long, plus
 * the usual bound, instead of going without the agent). `client` names the caller where the OS
 * cannot tell the agent which program it is (shown as unverified).
 *
 *   → {"v":1,"op":"token","profile":"work","client":"backup.sh"}
 *   ← {"v":1,"waiting":"consent","timeoutMs":120000}
 *   ← {"v":1,"ok":false,"error":{"code":"NOT_APPROVED","message":"You denied …"}}
 *
 * Error codes are the command's (`ErrorCodes`), so a client maps them to the same exit codes.
 */
export const PROTOCOL_VERSION = 1;
/** A request line, newline included; longer ones are refused and the connection closed. */
export const MAX_REQUEST_BYTES = 4096;
/** An answer line (access tokens can be long JWTs). */
export const MAX_ANSWER_BYTES = 65_536;

export interface AgentProfileInfo {
  /** The agent holds an open session for the profile. */
  session: boolean;
  /** Tokens handed out for it since the agent started. */
  served: number;
  /** The token file the agent keeps for it, if any. */
  tokenFile: string | null;
}

export interface AgentInfo {
  pid: number;
  home: string;
  socket: string;
  protocol: number;
  /** When the agent started (ISO 8601). */
  since: string;
  /** `everyone` (every process of the user), `consent` (the app asks the person) or the executables given with --allow. */
  serves: 'everyone' | 'consent' | string[];
  profiles: Record<string, AgentProfileInfo>;
}

export interface WireError {
  code: string;
  /** What happened and what to do, in words for any caller. */
  message: string;
  /** The same in the command's words (its flags), when they differ: what `authtray token` prints. */
  cliMessage?: string;
}

/** Sent before the answer while the person is asked (consent in the app). */
export interface Waiting {
  v: 1;
  waiting: 'consent';
  timeoutMs: number;
}

/** The longest a client waits for the person after a waiting line, whatever the agent says. */
export const MAX_CONSENT_WAIT_MS = 10 * 60_000;

export type Answer =
  | { v: 1; ok: true; token: string; expiresAt: number | null }
  | { v: 1; ok: true; agent: AgentInfo }
  | { v: 1; ok: false; error: WireError };
