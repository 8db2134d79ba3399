/**
 * Box's server-side grants, played by the sandbox (registered on oidc-provider with
 * `registerGrantType`):
 *
 * - JWT bearer (`urn:ietf:params:oauth:grant-type:jwt-bearer`) for a Box JWT app: the assertion is
 *   verified with the app's public key and every claim is checked the way Box documents it (`iss` =
 *   client id, `aud` = the token URL, `sub` + `box_sub_type`, `jti` of 16-128 characters used once,
 *   `exp` in the future and at most 60 s away, `kid` naming the app's public key, RS256/384/512).
 *   No refresh token: the client signs a new assertion when the token runs out.
 * - Token exchange (`urn:ietf:params:oauth:grant-type:token-exchange`, RFC 8693) for downscoping:
 *   an active access token in, a token restricted to Box's item scopes (and optionally one file,
 *   folder or shared link) out, with `restricted_to` and `issued_token_type`. Box takes these
 *   requests without client authentication; oidc-provider authenticates every token request, so the
 *   sandbox's Box token URL (`/box/oauth2/token`) names an internal public client for them.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify, errors as joseErrors } from 'jose';
import Provider, { errors, type ClientMetadata, type KoaContextWithOIDC } from 'oidc-provider';
// Box's grant names and scope list are facts shared with the client; the checks below are the sandbox's own.
import { JWT_BEARER_GRANT as JWT_BEARER } from '../../main/auth/box-jwt.js';
import { ACCESS_TOKEN_TYPE, BOX_DOWNSCOPE_SCOPES, TOKEN_EXCHANGE_GRANT as TOKEN_EXCHANGE } from '../../main/auth/token-exchange.js';

export { ACCESS_TOKEN_TYPE, BOX_DOWNSCOPE_SCOPES, JWT_BEARER, TOKEN_EXCHANGE };

/** The Box JWT app registered on the sandbox; its secret is a test fixture, valid only here. */
export const BOX_JWT_APP = { clientId: 'authtray-box-jwt', clientSecret: 'sandbox-box-jwt-secret', enterpriseId: '4242' } as const;

/** Takes Box's client-less downscoping requests (see the header). */
export const BOX_DOWNSCOPE_CLIENT = 'sandbox-box-downscope';

/** Where the sandbox serves Box's token and revoke endpoints (Box has them on its API host). */
export const BOX_TOKEN_PATH = '/box/oauth2/token';
export const BOX_REVOKE_PATH = '/box/oauth2/revoke';

export const boxClients = (): ClientMetadata[] => [
  {
    client_id: BOX_JWT_APP.clientId,
    client_secret: BOX_JWT_APP.clientSecret,
    redirect_uris: [],
    response_types: [],
    grant_types: [JWT_BEARER],
    token_endpoint_auth_method: 'client_secret_post',
  },
  { client_id: BOX_DOWNSCOPE_CLIENT, redirect_uris: [], response_types: [], grant_types: [TOKEN_EXCHANGE], token_endpoint_auth_method: 'none' },
];

/** The app's key pair: the sandbox keeps the public key; tests get the private key in a settings file. */
export interface BoxJwtKeys {
  publicKeyId: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

export function loadOrCreateBoxJwtKeys(dataDir: string): BoxJwtKeys {
  const path = join(dataDir, 'box-jwt-app.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as BoxJwtKeys;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys: BoxJwtKeys = {
    publicKeyId: randomBytes(4).toString('hex'),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  writeFileSync(path, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** The settings JSON the Box Developer Console hands out for a JWT app. */
export interface BoxConsoleSettings {
  boxAppSettings: { clientID: string; clientSecret: string; appAuth: { publicKeyID: string; privateKey: string; passphrase: string } };
  enterpriseID: string;
}

/** A Box-style settings object for the sandbox's JWT app, its private key encrypted with `passphrase`. */
export function boxConsoleSettings(keys: BoxJwtKeys, passphrase: string, privateKeyPem = keys.privateKeyPem): BoxConsoleSettings {
  const encrypted = createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
  return {
    boxAppSettings: {
      clientID: BOX_JWT_APP.clientId,
      clientSecret: BOX_JWT_APP.clientSecret,
      appAuth: { publicKeyID: keys.publicKeyId, privateKey: encrypted, passphrase },
    },
    enterpriseID: BOX_JWT_APP.enterpriseId,
  };
}

/** The account a JWT token acts as: the app's service account, or the app user named in `sub`. */
export const serviceAccountOf = (enterpriseId: string) => `AutomationUser_${enterpriseId}`;

/**
 * A grant for tokens issued outside the authorization-code flow, so introspection and revocation
 * treat them like every other token (a grant belongs to one client and one account).
 */
export async function saveGrant(provider: Provider, accountId: string, clientId: string, scope: string): Promise<string> {
  const grant = new provider.Grant({ accountId, clientId });
  grant.addResourceScope('urn:sandbox:box', scope);
  return grant.save();
}

/** invalid_grant with the reason in error_description, as Box words it, so the client can pass it on. */
function refused(reason: string): Error {
  return Object.assign(new errors.InvalidGrant(reason), { error_description: reason });
}

const MAX_ASSERTION_LIFETIME_S = 60;
const CLOCK_SKEW_S = 5;

/** Registers both grants on `provider`. `tokenUrls`: the audiences an assertion may name. */
export function registerBoxGrants(provider: Provider, keys: BoxJwtKeys, tokenUrls: readonly string[]): void {
  const publicKey: KeyObject = createPublicKey(keys.publicKeyPem);
  /** jti → expiry (s): each one is accepted once while its assertion could still be valid. */
  const usedJti = new Map<string, number>();

  provider.registerGrantType(
    JWT_BEARER,
    async (ctx: KoaContextWithOIDC) => {
      const { client, params } = ctx.oidc;
      if (client?.clientId !== BOX_JWT_APP.clientId) throw new errors.UnauthorizedClient('this client is not a JWT app');
      const assertion = String(params?.assertion ?? '');
      if (!assertion) throw new errors.InvalidRequest('missing required parameter assertion');
      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(assertion).kid;
      } catch {
        throw refused('the assertion is not a JWT');
      }
      if (kid !== keys.publicKeyId) throw refused('the assertion names an unknown public key (kid)');
      let claims;
      try {
        ({ payload: claims } = await jwtVerify(assertion, publicKey, {
          algorithms: ['RS256', 'RS384', 'RS512'],
          issuer: client.clientId,
          audience: [...tokenUrls],
          requiredClaims: ['iss', 'sub', 'aud', 'jti', 'exp', 'box_sub_type'],
          clockTolerance: CLOCK_SKEW_S,
        }));
      } catch (err) {
        if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw refused('the assertion signature does not verify with the public key');
        if (err instanceof joseErrors.JWTExpired) throw refused('the assertion has expired (exp)');
        if (err instanceof joseErrors.JWTClaimValidationFailed) throw refused(`the assertion's "${err.claim}" claim is wrong or missing`);
        throw refused('the assertion could not be verified');
      }
      const now = Math.floor(Date.now() / 1000);
      const exp = claims.exp!;
      if (exp - now > MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) throw refused('the assertion expires too late (exp must be within 60 seconds)');
      const jti = claims.jti!;
      if (jti.length < 16 || jti.length > 128) throw refused('jti must be 16 to 128 characters');
      for (const [seen, until] of usedJti) if (until + CLOCK_SKEW_S < now) usedJti.delete(seen);
      if (usedJti.has(jti)) throw refused('the assertion was already used (jti)');
      usedJti.set(jti, exp);
      const subType = claims.box_sub_type;
      let accountId: string;
      if (subType === 'enterprise') {
        if (claims.sub !== BOX_JWT_APP.enterpriseId) throw refused('sub is not the enterprise this app belongs to');
        accountId = serviceAccountOf(claims.sub);
      } else if (subType === 'user') {
        if (!/^\d{1,20}$/.test(claims.sub!)) throw refused('sub is not a Box user id');
        accountId = claims.sub!;
      } else {
        throw refused('box_sub_type must be enterprise or user');
      }
      const grantId = await saveGrant(provider, accountId, client.clientId, 'root_readwrite');
      const token = new provider.AccessToken({ accountId, client, grantId, gty: 'jwt-bearer', scope: 'root_readwrite' });
      ctx.body = { access_token: await token.save(), expires_in: token.expiration, token_type: 'bearer', restricted_to: [] };
    },
    ['assertion'],
  );

  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx: KoaContextWithOIDC) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
      const subject = params.subject_token ? await provider.AccessToken.find(params.subject_token) : undefined;
      if (!subject || subject.isExpired) throw refused('subject_token is not an active access token');
      const scopes = (params.scope ?? '').split(' ').filter(Boolean);
      if (scopes.length === 0) throw new errors.InvalidRequest('missing required parameter scope');
      const unknown = scopes.filter((s) => !(BOX_DOWNSCOPE_SCOPES as readonly string[]).includes(s));
      if (unknown.length) throw new errors.InvalidScope('requested scope is not a downscope scope', unknown.join(' '));
      if (params.resource && params.box_shared_link) throw new errors.InvalidRequest('give resource or box_shared_link, not both');
      let object: Record<string, string> | null = null;
      if (params.resource) {
        const match = /\/2\.0\/(files|folders)\/(\d+)$/.exec(new URL(params.resource, 'http://invalid').pathname);
        if (!match) throw new errors.InvalidTarget('resource must be the API URL of a file or folder');
        object = { type: match[1] === 'files' ? 'file' : 'folder', id: match[2]! };
      } else if (params.box_shared_link) {
        object = { type: 'shared_link', url: params.box_shared_link };
      }
      const restrictedTo = object ? scopes.map((scope) => ({ scope, object })) : [];
      const client = ctx.oidc.client!;
      const grantId = await saveGrant(provider, subject.accountId, client.clientId, scopes.join(' '));
      const token = new provider.AccessToken({ accountId: subject.accountId, client, grantId, gty: 'token-exchange', scope: scopes.join(' '), extra: { restricted_to: restrictedTo } });
      // A restricted token never outlives the token it came from.
      const expiresIn = Math.max(1, Math.min(token.expiration, (subject.exp ?? Infinity) - Math.floor(Date.now() / 1000)));
      (token as unknown as { expiresIn: number }).expiresIn = expiresIn;
      ctx.body = {
        access_token: await token.save(),
        expires_in: expiresIn,
        token_type: 'bearer',
        issued_token_type: ACCESS_TOKEN_TYPE,
        restricted_to: restrictedTo,
      };
    },
    ['subject_token', 'subject_token_type', 'scope', 'resource', 'box_shared_link', 'actor_token', 'actor_token_type'],
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** oidc-provider warns once that a body was read before it; here that is on purpose. */
let muted = 0;
let savedWarn: typeof console.warn | null = null;
async function withoutBodyWarning<T>(fn: () => Promise<T>): Promise<T> {
  if (muted++ === 0) {
    savedWarn = console.warn;
    const warn = savedWarn;
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).includes('already parsed request body')) warn(...args);
    };
  }
  try {
    return await fn();
  } finally {
    if (--muted === 0 && savedWarn) {
      console.warn = savedWarn;
      savedWarn = null;
    }
  }
}

/**
 * Box's token and revoke URLs on the sandbox: `/box/oauth2/token` is the token endpoint, taking
 * downscoping requests without client authentication as Box does; `/box/oauth2/revoke` revokes.
 */
export function boxTokenEndpoints() {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    if (ctx.method !== 'POST') return next();
    if (ctx.path === BOX_REVOKE_PATH) {
      ctx.path = '/token/revocation';
      return next();
    }
    if (ctx.path !== BOX_TOKEN_PATH) return next();
    ctx.path = '/token';
    if (!ctx.is('application/x-www-form-urlencoded') || ctx.get('authorization')) return next();
    const params = new URLSearchParams(await readBody(ctx.req));
    if (params.get('grant_type') === TOKEN_EXCHANGE && !params.has('client_id')) params.set('client_id', BOX_DOWNSCOPE_CLIENT);
    (ctx.req as IncomingMessage & { body?: string }).body = params.toString();
    return withoutBodyWarning(next);
  };
}
