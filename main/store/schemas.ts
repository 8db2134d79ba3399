/**
 * The shapes of the files authtray reads, checked at the boundary. A pending link's file
 * (pending/*.json) that does not fit is ignored (the person starts the link again), never cast and
 * trusted. config.json is read by every `authtray token`, and loading zod would double that
 * command's start-up time: config.ts checks it by hand (`isConfigShape`, the same rules as
 * `configSchema`, which a test holds them to) and loads this module only when that check fails, for
 * the message. Its entries are checked one by one where they are used (damaged.ts), so one damaged
 * entry hides none of the others. Objects are loose: a field a newer authtray added survives a rewrite.
 * The provider is a string here; which providers exist is the provider layer's to say, with a
 * message that names them.
 */
import { z } from 'zod';

const optionalString = z.string().optional();

const settings = z.looseObject({
  provider: z.string(),
  clientId: z.string(),
  issuer: optionalString,
  scopes: z.array(z.string()).optional(),
  redirect: z.enum(['paste', 'loopback']).optional(),
  port: z.number().int().optional(),
  endpoints: z.looseObject({ authorize: optionalString, token: optionalString, revoke: optionalString, userinfo: optionalString, api: optionalString }).optional(),
  confidential: z.boolean().optional(),
  metadata: z.looseObject({ issuer: z.string(), authorization_endpoint: z.string(), token_endpoint: z.string(), scopes_supported: z.array(z.string()).nullable().optional() }).optional(),
  sandbox: z.boolean().optional(),
  jwt: z
    .looseObject({
      publicKeyId: z.string(),
      subject: z.looseObject({ type: z.enum(['enterprise', 'user']), id: z.string() }),
      algorithm: z.string(),
    })
    .optional(),
});

const pending = z.looseObject({
  profile: z.string(),
  settings,
  state: z.string(),
  codeVerifier: z.string().nullable(),
  nonce: optionalString,
  redirectUri: z.string().nullable(),
  mode: z.enum(['paste', 'loopback']),
  backend: optionalString,
  createdAt: z.number(),
  expiresAt: z.number(),
});

/** config.json: version 1 and an object of profiles (each entry is checked where it is used). */
export const configSchema = z.looseObject({ version: z.literal(1), profiles: z.record(z.string(), z.unknown()) });

/** What is wrong with a config file's content, in words a person can act on; null when nothing is. */
export function configProblem(value: unknown): string | null {
  const result = configSchema.safeParse(value);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  const at = issue.path.length ? ` at "${issue.path.join('.')}"` : '';
  const expected = issue.code === 'invalid_value' ? 'version 1' : issue.code === 'invalid_type' && (issue.expected === 'record' || issue.expected === 'object') ? 'an object' : 'another value';
  return `expected ${expected}${at}`;
}

/** A pending authorization's fields, or null when the file does not have its shape. */
export function parsePendingAuthorization(value: unknown): z.infer<typeof pending> | null {
  const result = pending.safeParse(value);
  return result.success ? result.data : null;
}
