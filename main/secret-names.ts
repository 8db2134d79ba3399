/**
 * The one list of names whose values are secret: OAuth parameters, headers, JSON members, and the
 * fields of our own records. The protocol log (auth/protocol-log.ts) and the app's log
 * (log/redact.ts) both redact by it. Names match whatever their case or separators
 * (`access_token`, `accessToken`, `Access-Token`).
 */
export const SECRET_NAMES = [
  'code',
  'code_verifier',
  'verifier',
  'state',
  'nonce',
  'client_secret',
  'secret',
  'client_assertion',
  'assertion',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'subject_token',
  'actor_token',
  'device_code',
  'user_code',
  'password',
  'passphrase',
  'private_key',
  'jwt_key',
  'developer_token',
  'authorization',
  'cookie',
  'set-cookie',
  'dpop',
] as const;

/** What a secret's value becomes. */
export const REDACTED = '[redacted]';

const fold = (name: string) => name.toLowerCase().replace(/[-_]/g, '');
const FOLDED = new Set(SECRET_NAMES.map(fold));

/** True when a parameter, header or field of this name holds a secret. */
export function isSecretName(name: string): boolean {
  return FOLDED.has(fold(name));
}

/** The value after `name=` in a query, form or text, for each secret name (written as on the wire). */
export const SECRET_PARAM = new RegExp(`((?:^|[?&#\\s"'])(?:${SECRET_NAMES.map((n) => n.replace('-', '\\-')).join('|')})=)[^&#\\s"']*`, 'gi');
