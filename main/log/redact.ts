/**
 * The one redaction choke point of the app's log: every entry passes here before it is written.
 * Fields named like a secret lose their value; strings lose what looks like one (query parameters
 * of OAuth URLs, bearer credentials, JWTs, passwords in store URLs); the names are main/secret-names.ts's,
 * the protocol log's too. The log's own entries carry
 * names, codes and times only; this is the net under them.
 */

import { isSecretName, REDACTED, SECRET_PARAM } from '../secret-names.js';

const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
/** `redis://user:password@host`: the password (and the user) go. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]*:[^/@\s]*@/gi;
const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** An error code (`NEEDS_RELINK`) is not an authorization code: the log keeps it. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]*$/;

function isSecretField(key: string, value: unknown): boolean {
  if (value === null || value === undefined || !isSecretName(key)) return false;
  return !(key === 'code' && typeof value === 'string' && ERROR_CODE.test(value));
}

export function redactText(text: string): string {
  return text
    .replace(PEM, REDACTED)
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(SECRET_PARAM, `$1${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED);
}

/** A copy of `value` fit for the log: secret fields emptied, secret-looking text cut out; errors by name, code and message. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[…]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, ...(typeof code === 'string' ? { code } : {}), message: redactText(value.message) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = isSecretField(key, v) ? REDACTED : redact(v, depth + 1);
  return out;
}
