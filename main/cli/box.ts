/**
 * `authtray link` for the Box profiles that need no browser: `box-jwt` (server auth from the Box
 * console's settings file) and `box-developer-token` (a pasted developer token). Secrets come from
 * the settings file, the environment or a hidden prompt, never from a flag, and are never printed.
 */
import type { Accounts, ProfileStatus } from '../accounts.js';
import { UsageError } from '../errors.js';
import type { EndpointOverrides, ProfileSettings } from '../auth/providers/index.js';
import type { CliIO } from './io.js';

export type ServerProvider = 'box-jwt' | 'box-developer-token';

/** The link flags this module reads (a subset of the link command's). */
export interface ServerLinkFlags {
  profile: string;
  provider?: string | undefined;
  settings?: string | undefined;
  user?: string | undefined;
  algorithm?: string | undefined;
  'client-id'?: string | undefined;
  'api-url'?: string | undefined;
  'token-url'?: string | undefined;
  'revoke-url'?: string | undefined;
  [flag: string]: unknown;
}

/** Flags of the browser flow, which mean nothing here. */
const BROWSER_FLAGS = ['issuer', 'scope', 'redirect', 'port', 'authorize-url', 'userinfo-url'] as const;

function endpointsOf(flags: ServerLinkFlags, saved: ProfileSettings | undefined): EndpointOverrides | undefined {
  const given = { api: flags['api-url'], token: flags['token-url'], revoke: flags['revoke-url'] };
  const merged = { ...saved?.endpoints, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  return Object.keys(merged).length ? merged : undefined;
}

async function hidden(io: CliIO, prompt: string): Promise<string> {
  const { readHidden } = await import('./io.js');
  return (await readHidden(io, prompt)).trim();
}

/** Links `kind`; `saved` is the profile's config when relinking without --provider. */
export async function linkServerProfile(accounts: Accounts, kind: ServerProvider, flags: ServerLinkFlags, saved: ProfileSettings | undefined, io: CliIO): Promise<ProfileStatus> {
  for (const flag of BROWSER_FLAGS) if (flags[flag] !== undefined && flags[flag] !== false) throw new UsageError(`--${flag} does not apply to --provider ${kind}.`);
  const endpoints = endpointsOf(flags, saved?.provider === kind ? saved : undefined);
  if (kind === 'box-developer-token') {
    if (flags.settings !== undefined || flags.user !== undefined || flags.algorithm !== undefined) throw new UsageError('--settings, --user and --algorithm go with --provider box-jwt.');
    const token = await developerToken(io);
    return accounts.linkDeveloperToken(flags.profile, token, { clientId: flags['client-id'] ?? (saved?.clientId || undefined), endpoints });
  }
  if (flags['client-id'] !== undefined) throw new UsageError('--client-id does not apply to --provider box-jwt: the client id comes from the settings file.');
  if (!flags.settings) throw new UsageError('--settings FILE is needed: the app settings (JSON) from the Box Developer Console, with a key pair.');
  const algorithm = flags.algorithm?.toUpperCase();
  const { JWT_ALGORITHMS, loadBoxAppSettings, needsPassphrase } = await import('../auth/box-jwt.js');
  if (algorithm !== undefined && !(JWT_ALGORITHMS as readonly string[]).includes(algorithm)) throw new UsageError(`--algorithm must be one of ${JWT_ALGORITHMS.join(', ')}.`);
  // Relinking keeps the app user it acted as, unless told otherwise.
  const savedUser = saved?.provider === 'box-jwt' && saved.jwt?.subject.type === 'user' ? saved.jwt.subject.id : undefined;
  const app = await loadBoxAppSettings(flags.settings);
  let passphrase = io.env.AUTHTRAY_KEY_PASSPHRASE || undefined;
  if (needsPassphrase(app, passphrase)) {
    if (!io.stdin.isTTY) {
      throw new UsageError(`The private key in ${flags.settings} is encrypted and boxAppSettings.appAuth.passphrase is empty: set AUTHTRAY_KEY_PASSPHRASE (there is no terminal to ask on).`);
    }
    passphrase = await hidden(io, 'Passphrase of the private key (input hidden): ');
    if (!passphrase) throw new UsageError('No passphrase entered.');
  }
  return accounts.linkBoxJwt(flags.profile, {
    settings: flags.settings,
    user: flags.user ?? (flags.provider ? undefined : savedUser),
    passphrase,
    algorithm: algorithm as (typeof JWT_ALGORITHMS)[number] | undefined,
    endpoints,
  });
}

/** Asks "Enter developer token:" (Box's prompt): hidden on a terminal, else one line of stdin. */
async function developerToken(io: CliIO): Promise<string> {
  const { DEVELOPER_TOKEN_PROMPT } = await import('../auth/developer-token.js');
  let token: string;
  if (io.stdin.isTTY) {
    token = await hidden(io, DEVELOPER_TOKEN_PROMPT);
  } else {
    io.stderr.write(DEVELOPER_TOKEN_PROMPT);
    const { readLine } = await import('./io.js');
    const input = readLine(io.stdin);
    token = ((await input.line) ?? '').trim();
    input.cancel();
    io.stderr.write('\n');
  }
  if (!token) throw new UsageError('No developer token entered. Copy one from the Box Developer Console (Configuration → Developer Token).');
  return token;
}
