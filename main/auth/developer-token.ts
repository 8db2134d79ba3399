/**
 * Box developer tokens (Box's `DeveloperTokenAuth`): a token the developer copies from the Box
 * Developer Console, good for 60 minutes. No refresh and no revoke: when it runs out, the profile
 * needs a new one (relink).
 */
import { AuthtrayError, InvalidTokenError } from '../errors.js';
import type { AccountInfo, CredentialRecord, EndpointOverrides, ProfileSettings } from '../model.js';
import type { AuthDeps } from './http.js';
import { resolveProvider } from './providers/index.js';
import { credentialRecord } from './tokens.js';

/** What Box's SDK asks with (`ENTER_TOKEN_PROMPT`). */
export const DEVELOPER_TOKEN_PROMPT = 'Enter developer token: ';

/** Box developer tokens last 60 minutes from when they are made; authtray counts from the link. */
export const DEVELOPER_TOKEN_LIFETIME_MS = 60 * 60_000;

const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{8,2048}$/;

export interface DeveloperTokenOptions {
  /** The app's client id, if known; nothing requires it. */
  clientId?: string | undefined;
  /** Box's endpoints elsewhere (a proxy, the sandbox). */
  endpoints?: EndpointOverrides | undefined;
}

export interface DeveloperTokenLink {
  settings: ProfileSettings;
  account: AccountInfo;
  record: CredentialRecord;
}

/** Checks the token with Box (one request: the account) and returns what to store. */
export async function linkDeveloperToken(input: string, options: DeveloperTokenOptions, deps: AuthDeps): Promise<DeveloperTokenLink> {
  const token = input.trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new InvalidTokenError('That does not look like a developer token. Copy it again from the Box Developer Console (Configuration → Developer Token).');
  }
  const settings: ProfileSettings = { provider: 'box-developer-token', clientId: options.clientId ?? '', endpoints: options.endpoints };
  const provider = await resolveProvider(settings, deps);
  let account: AccountInfo;
  try {
    account = await provider.fetchAccount({ access_token: token, token_type: 'bearer' }, deps);
  } catch (err) {
    if (err instanceof AuthtrayError && err.code === 'PROVIDER_ERROR') {
      throw new InvalidTokenError('Box did not accept the developer token: it may have expired (they last 60 minutes). Generate a new one in the Box Developer Console and link again.', { cause: err });
    }
    throw err;
  }
  const record = credentialRecord({
    provider: 'box-developer-token',
    clientId: settings.clientId,
    accountId: account.id,
    tokenKind: 'developer',
    accessToken: token,
    expiresAt: deps.now() + DEVELOPER_TOKEN_LIFETIME_MS,
    refreshToken: null,
    scopes: [],
  });
  return { settings, account, record };
}
