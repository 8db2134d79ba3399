/**
 * The shape of a pending link's file (pending/*.json), checked when it is read: a file that does not
 * fit is ignored (the person starts the link again), never cast and trusted. (config.json is read by
 * every `authtray token`, so it keeps the light check in config.ts: loading zod would double that
 * command's start-up time.) Objects are loose: a field a newer authtray added survives a rewrite.
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

/** A pending authorization's fields, or null when the file does not have its shape. */
export function parsePendingAuthorization(value: unknown): z.infer<typeof pending> | null {
  const result = pending.safeParse(value);
  return result.success ? result.data : null;
}
