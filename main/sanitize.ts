/* eslint-disable no-control-regex -- this module is where control characters are matched, on purpose */
/**
 * Text a provider says, made safe to show: the one rule for every error code and description from a
 * callback or a token answer, and every account name, email and id. Applied where that text enters
 * (the callback check, the error types, the account a provider returns), so the terminal, the
 * window, the tray and the config file all get clean text from the same place.
 *
 * What goes: C0 controls (U+0000–U+001F, ESC and BEL among them), DEL, C1 controls (U+0080–U+009F,
 * with the one-byte CSI U+009B and OSC U+009D), the bidirectional overrides and isolates that make a
 * terminal show text in another order than it is (Trojan Source), and the line and paragraph
 * separators. Whitespace controls become a space; the text is bounded, cut on a code point with "…".
 * Imports nothing: errors.ts and every layer above it use it.
 */

const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SPACES = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
/** The same as CONTROLS, without the line feed: our own multi-line messages keep their lines. */
const CONTROLS_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Longest provider text shown: an error description, an account name or email. */
export const PROVIDER_TEXT_MAX = 300;

/** `text` without control characters, on one line, trimmed, at most `max` code points. */
export function cleanText(text: string, max = PROVIDER_TEXT_MAX): string {
  const clean = text.replace(SPACES, ' ').replace(CONTROLS, '').replace(/ {2,}/g, ' ').trim();
  const points = Array.from(clean);
  return points.length <= max ? clean : `${points.slice(0, max - 1).join('')}…`;
}

/** A provider's value as clean text, or null when it is not a string or nothing is left of it. */
export function providerText(value: unknown, max = PROVIDER_TEXT_MAX): string | null {
  if (typeof value !== 'string') return null;
  const clean = cleanText(value, max);
  return clean.length > 0 ? clean : null;
}

/**
 * An OAuth error answer (oauth4webapi's ResponseBodyError: `error`, and the body as `cause`) as
 * "code" or "code: description", clean and bounded.
 */
export function oauthErrorText(err: { error: string; cause?: unknown }): string {
  const code = providerText(err.error, 100) ?? 'unknown_error';
  const body = err.cause as { error_description?: unknown } | undefined;
  const description = providerText(body?.error_description, 200);
  return description ? `${code}: ${description}` : code;
}

/** An account as a provider described it, every field clean; null when no usable id is left. */
export function cleanAccount<A extends { id: string; name: string | null; email: string | null; drive?: { id: string; type: string | null; owner: string | null } | null | undefined }>(
  account: A,
): A | null {
  const id = providerText(account.id, 255);
  if (!id) return null;
  const driveId = account.drive ? providerText(account.drive.id, 255) : null;
  const drive = account.drive && driveId ? { id: driveId, type: providerText(account.drive.type, 40), owner: providerText(account.drive.owner) } : undefined;
  return { ...account, id, name: providerText(account.name), email: providerText(account.email), ...(account.drive !== undefined ? { drive: drive ?? null } : {}) };
}

/** Our own message with any control character a value brought in removed (line feeds stay: usage text has lines). */
export function cleanMessage(message: string): string {
  return message.replace(CONTROLS_BUT_LF, '');
}
