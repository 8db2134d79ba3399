/**
 * Box server auth (Box's `JWTAuth`): a JWT app signs a short assertion with its private key and
 * trades it for an access token for its enterprise (the service account) or one app user. There is
 * no refresh token: when the token runs out the session signs a new assertion (`renewWithAssertion`,
 * called from the session's single flight under its refresh lock).
 *
 * Everything starts from the app settings JSON the Box Developer Console hands out:
 * `boxAppSettings.{clientID, clientSecret, appAuth.{publicKeyID, privateKey, passphrase}}` and
 * `enterpriseID`. The client secret, the key and its passphrase go into the credential record only;
 * the profile's config keeps the key id, the subject and the algorithm.
 */
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { InvalidTokenError, UsageError } from '../errors.js';
import { oauthErrorText } from '../sanitize.js';
import { JWT_ALGORITHMS, type AccountInfo, type BoxJwtSubject, type CredentialRecord, type EndpointOverrides, type JwtAlgorithm, type JwtKeyMaterial, type ProfileSettings } from '../model.js';
import { requestOptions, type AuthDeps } from './http.js';
import { recordFromGrant, tokenEndpointCall } from './tokens.js';
import { resolveProvider, type Provider } from './providers.js';

/** RFC 7523 §2.1. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export { JWT_ALGORITHMS, type BoxJwtProfile, type BoxJwtSubject, type JwtAlgorithm } from '../model.js';

/** Box wants `exp` at most 60 s ahead; 45 s leaves room for a clock a little fast. */
export const ASSERTION_LIFETIME_S = 45;

/** The Box console's app settings, read and checked. `clientSecret`, `privateKey` and `passphrase` are secret. */
export interface BoxAppSettings {
  clientId: string;
  clientSecret: string;
  publicKeyId: string;
  privateKey: string;
  passphrase?: string | undefined;
  enterpriseId?: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed settings JSON; every problem names the field (never its value) and where it came from.
 */
export function parseBoxAppSettings(value: unknown, source = 'the Box app settings'): BoxAppSettings {
  const missing = (path: string) => new UsageError(`${path} is missing or empty in ${source}. Download the app's settings (JSON) again from the Box Developer Console, with a key pair.`);
  if (!isObject(value)) throw new UsageError(`${source} is not a JSON object like the one the Box Developer Console gives.`);
  const app = value.boxAppSettings;
  if (!isObject(app)) throw missing('boxAppSettings');
  const auth = app.appAuth;
  if (!isObject(auth)) throw missing('boxAppSettings.appAuth');
  const text = (from: Record<string, unknown>, key: string, path: string) => {
    const v = from[key];
    // Box writes ids as strings; some hand-made files have numbers.
    if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
    if (typeof v !== 'string' || v.trim() === '') throw missing(path);
    return v.trim();
  };
  const optional = (from: Record<string, unknown>, key: string, path: string) => {
    const v = from[key];
    if (v === undefined || v === null || v === '') return undefined;
    return text(from, key, path);
  };
  const privateKey = text(auth, 'privateKey', 'boxAppSettings.appAuth.privateKey');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
    throw new UsageError(`boxAppSettings.appAuth.privateKey in ${source} is not a PEM private key (it should start with -----BEGIN ENCRYPTED PRIVATE KEY-----).`);
  }
  const passphrase = auth.passphrase;
  if (passphrase !== undefined && passphrase !== null && typeof passphrase !== 'string') throw new UsageError(`boxAppSettings.appAuth.passphrase in ${source} is not a string.`);
  return {
    clientId: text(app, 'clientID', 'boxAppSettings.clientID'),
    clientSecret: text(app, 'clientSecret', 'boxAppSettings.clientSecret'),
    publicKeyId: text(auth, 'publicKeyID', 'boxAppSettings.appAuth.publicKeyID'),
    privateKey,
    passphrase: passphrase || undefined,
    enterpriseId: optional(value, 'enterpriseID', 'enterpriseID'),
  };
}

/** Reads the settings from a file path, or checks an object already in memory (Box's `from_settings_file` / `_dictionary`). */
export async function loadBoxAppSettings(settings: string | object): Promise<BoxAppSettings> {
  if (typeof settings !== 'string') return parseBoxAppSettings(settings);
  let text: string;
  try {
    text = await readFile(settings, 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read the Box app settings file ${settings} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error, which may be the key: leave it out.
    throw new UsageError(`The Box app settings file ${settings} is not valid JSON. Download it again from the Box Developer Console.`);
  }
  return parseBoxAppSettings(value, settings);
}

/** True when the key is encrypted and nothing gave its passphrase yet: the CLI then asks. */
export function needsPassphrase(settings: BoxAppSettings, passphrase?: string): boolean {
  return isEncryptedPem(settings.privateKey) && !(passphrase ?? settings.passphrase);
}

const isEncryptedPem = (pem: string) => /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem);

/**
 * Decrypts and checks the private key. A missing or wrong passphrase, or a key that is not RSA, is a
 * UsageError naming the setting; OpenSSL's own message is not passed on.
 */
export function loadSigningKey(key: JwtKeyMaterial): KeyObject {
  const encrypted = isEncryptedPem(key.privateKey);
  if (encrypted && !key.passphrase) {
    const said = 'boxAppSettings.appAuth.privateKey is encrypted and no passphrase was given: set boxAppSettings.appAuth.passphrase';
    throw new UsageError(`${said} or give the passphrase.`, { cliMessage: `${said} or AUTHTRAY_KEY_PASSPHRASE.` });
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: key.privateKey, format: 'pem', ...(encrypted ? { passphrase: key.passphrase } : {}) });
  } catch {
    if (!encrypted) throw new UsageError('boxAppSettings.appAuth.privateKey is not a readable PEM private key. Download the app settings again.');
    const said = 'The passphrase does not decrypt boxAppSettings.appAuth.privateKey: check boxAppSettings.appAuth.passphrase';
    throw new UsageError(`${said} (or the passphrase given).`, { cliMessage: `${said} (or AUTHTRAY_KEY_PASSPHRASE).` });
  }
  if (keyObject.asymmetricKeyType !== 'rsa') throw new UsageError('boxAppSettings.appAuth.privateKey is not an RSA key; Box signs assertions with RS256, RS384 or RS512.');
  return keyObject;
}

export interface AssertionOptions {
  clientId: string;
  subject: BoxJwtSubject;
  publicKeyId: string;
  algorithm: JwtAlgorithm;
  /** The token endpoint URL (Box: https://api.box.com/oauth2/token). */
  audience: string;
  key: KeyObject;
  /** ms since the epoch. */
  now: number;
  lifetimeS?: number;
}

/** Signs one assertion: `iss`, `sub`, `box_sub_type`, `aud`, a random `jti`, a short `exp`; `kid` in the header. */
export async function createBoxAssertion(options: AssertionOptions): Promise<string> {
  return new SignJWT({ box_sub_type: options.subject.type })
    .setProtectedHeader({ alg: options.algorithm, typ: 'JWT', kid: options.publicKeyId })
    .setIssuer(options.clientId)
    .setSubject(options.subject.id)
    .setAudience(options.audience)
    // 256 random bits, 43 characters (Box: 16 to 128), never reused.
    .setJti(randomBytes(32).toString('base64url'))
    .setExpirationTime(Math.floor(options.now / 1000) + (options.lifetimeS ?? ASSERTION_LIFETIME_S))
    .sign(options.key);
}

interface GrantSecrets {
  clientSecret: string;
  jwtKey: JwtKeyMaterial;
}

/** One token request with a fresh assertion. oauth4webapi's errors pass through unchanged. */
async function assertionGrant(provider: Provider, secrets: GrantSecrets, deps: AuthDeps): Promise<oauth.TokenEndpointResponse> {
  const profile = provider.settings.jwt;
  if (!profile) throw new UsageError("This profile has no JWT settings: link it again with the Box app's settings file.", { cliMessage: 'This profile has no JWT settings: link it again with --settings.' });
  const { as, client } = provider;
  const assertion = await createBoxAssertion({
    clientId: client.client_id,
    subject: profile.subject,
    publicKeyId: profile.publicKeyId,
    algorithm: profile.algorithm,
    audience: as.token_endpoint!,
    key: loadSigningKey(secrets.jwtKey),
    now: deps.now(),
  });
  const response = await oauth.genericTokenEndpointRequest(
    as,
    client,
    oauth.ClientSecretPost(secrets.clientSecret),
    JWT_BEARER_GRANT,
    { assertion },
    requestOptions(deps, as.token_endpoint!),
  );
  return oauth.processGenericTokenEndpointResponse(as, client, response);
}

/** The provider's `renew` for `jwt` records: a new assertion, signed with the key kept in the record. */
export function renewWithAssertion(provider: Provider, record: CredentialRecord, deps: AuthDeps): Promise<oauth.TokenEndpointResponse> {
  if (!record.jwtKey || !record.clientSecret) {
    throw new UsageError("The stored JWT credentials are incomplete: link the profile again with the Box app's settings file.", { cliMessage: 'The stored JWT credentials are incomplete: link the profile again with --settings.' });
  }
  return assertionGrant(provider, { clientSecret: record.clientSecret, jwtKey: record.jwtKey }, deps);
}

export interface BoxJwtLinkOptions {
  /** The Box console's app settings: a path to the JSON file, or the parsed object. */
  settings: string | object;
  /** Act as this app user (`box_sub_type` user); without it, the enterprise's service account. */
  user?: string | undefined;
  /** The private key's passphrase, over `boxAppSettings.appAuth.passphrase`. */
  passphrase?: string | undefined;
  /** Default RS256. */
  algorithm?: JwtAlgorithm | undefined;
  /** Box's endpoints elsewhere (a proxy, the sandbox): `api` moves the token and revoke URLs too. */
  endpoints?: EndpointOverrides | undefined;
}

export interface BoxJwtLink {
  settings: ProfileSettings;
  account: AccountInfo;
  record: CredentialRecord;
}

/** Refusals of the first assertion, with the setting most likely at fault. */
function refusal(err: oauth.ResponseBodyError): InvalidTokenError {
  const hint =
    err.error === 'invalid_client'
      ? 'Check boxAppSettings.clientID and boxAppSettings.clientSecret.'
      : err.error === 'unauthorized_client'
        ? 'The app may not use server authentication: check its authentication method and that it is authorized in the enterprise.'
        : null;
  const said = `Box refused the app's JWT assertion (${oauthErrorText(err)}).`;
  if (hint) return new InvalidTokenError(`${said} ${hint}`, { cause: err });
  const check = (user: string) => `${said} Check boxAppSettings.appAuth.privateKey and boxAppSettings.appAuth.publicKeyID (the key pair registered for the app), enterpriseID or ${user}, and the clock of this computer.`;
  return new InvalidTokenError(check('the app user id'), { cause: err, cliMessage: check('--user') });
}

/**
 * Links a JWT app: reads and checks the settings, decrypts the key (before any request), gets the
 * first token, then the account. Two requests. Returns what to store; stores nothing itself.
 */
export async function linkBoxJwt(options: BoxJwtLinkOptions, deps: AuthDeps): Promise<BoxJwtLink> {
  const app = await loadBoxAppSettings(options.settings);
  const algorithm = options.algorithm ?? 'RS256';
  if (!JWT_ALGORITHMS.includes(algorithm)) throw new UsageError(`The algorithm must be one of ${JWT_ALGORITHMS.join(', ')}.`);
  const user = options.user?.trim();
  if (options.user !== undefined && !/^\d{1,20}$/.test(user ?? '')) throw new UsageError('The app user must be a Box user id (digits).', { cliMessage: '--user must be a Box user id (digits).' });
  let subject: BoxJwtSubject;
  if (user) subject = { type: 'user', id: user };
  else if (app.enterpriseId && app.enterpriseId !== '0') subject = { type: 'enterprise', id: app.enterpriseId };
  else {
    const missing = (give: string) => `enterpriseID is missing in the Box app settings: give ${give} to act as an app user, or download settings that name the enterprise.`;
    throw new UsageError(missing('an app user id'), { cliMessage: missing('--user ID') });
  }
  const jwtKey: JwtKeyMaterial = { privateKey: app.privateKey, passphrase: options.passphrase ?? app.passphrase };
  loadSigningKey(jwtKey); // a wrong passphrase shows here, before anything is sent
  const settings: ProfileSettings = {
    provider: 'box-jwt',
    clientId: app.clientId,
    endpoints: options.endpoints,
    confidential: true,
    jwt: { publicKeyId: app.publicKeyId, subject, algorithm },
  };
  const provider = await resolveProvider(settings, deps);
  const tokens = await tokenEndpointCall(provider.as.token_endpoint!, () => assertionGrant(provider, { clientSecret: app.clientSecret, jwtKey }, deps), {
    what: 'the JWT assertion',
    next: "check the app's settings in the Box Developer Console",
    refused: refusal,
  });
  const account = await provider.fetchAccount(tokens, deps);
  const record = recordFromGrant(tokens, {
    provider: 'box-jwt',
    clientId: app.clientId,
    accountId: account.id,
    now: deps.now(),
    scopes: [],
    tokenKind: 'jwt',
    clientSecret: app.clientSecret,
    jwtKey: jwtKey.passphrase ? jwtKey : { privateKey: jwtKey.privateKey },
  });
  return { settings, account, record };
}
