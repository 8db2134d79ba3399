/**
 * `authtray`: link | finish | status | token | unlink | profiles. Parses, calls the accounts service,
 * prints, and maps errors to exit codes. No OAuth or storage logic lives here.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Accounts, type ProfileStatus } from '../accounts.js';
import { AuthtrayError, UsageError, type ErrorCode } from '../errors.js';
import type { ProfileSettings, RedirectMode } from '../auth/providers.js';
import { authtrayHome } from '../store/config.js';
import { LinkRequestError, needsClientSecret, PROVIDER_CHOICES, settingsFor, type ProviderChoice } from '../link-request.js';
import type { CliIO } from './io.js';
import { SANDBOX_CLIENT_ID, sandboxIssuer } from '../sandbox.js';

/** Terminal helpers load only for commands that prompt, so `authtray token` starts fast. */
const terminal = () => import('./io.js');

export const EXIT = { OK: 0, REJECTED: 1, UNREACHABLE: 2, STORE: 3, INTERNAL: 70, USAGE: 64 } as const;

export { SANDBOX_CLIENT_ID, SANDBOX_ISSUER } from '../sandbox.js';

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  USAGE: EXIT.USAGE,
  BAD_REQUEST: EXIT.REJECTED,
  BAD_STATE: EXIT.REJECTED,
  CSRF: EXIT.REJECTED,
  NOT_APPROVED: EXIT.REJECTED,
  PROVIDER_ERROR: EXIT.REJECTED,
  INVALID_TOKEN: EXIT.REJECTED,
  NOT_LINKED: EXIT.REJECTED,
  NEEDS_RELINK: EXIT.REJECTED,
  CANCELLED: EXIT.REJECTED,
  CONNECTION_FAILED: EXIT.UNREACHABLE,
  STORE_ERROR: EXIT.STORE,
  KEYRING_ACCESS: EXIT.STORE,
  SESSION_CLOSED: EXIT.REJECTED,
};

export const USAGE = `Usage:
  authtray link     [--profile NAME] --provider dropbox|box|oidc|sandbox [--client-id ID] [--issuer URL]
                    [--scope SCOPE]... [--redirect paste|loopback] [--port N] [--no-browser]
                    [--authorize-url URL] [--token-url URL] [--revoke-url URL] [--api-url URL]
  authtray link     [--profile NAME] --provider box-jwt --settings FILE [--user ID] [--algorithm RS256|RS384|RS512] [--api-url URL]
  authtray link     [--profile NAME] --provider box-developer-token [--client-id ID] [--api-url URL]
  authtray finish   [--profile NAME] [CODE_OR_REDIRECT_URL]
  authtray status   [--profile NAME] [--json]
  authtray token    [--profile NAME] [--scope SCOPE... [--resource URL | --shared-link URL]]
  authtray unlink   [--profile NAME]
  authtray profiles [--json]
  authtray store migrate [--profile NAME] --to keyring|plaintext

Every command takes --verbose (or set AUTHTRAY_DEBUG=1): print each request to the provider and its
answer on standard error, with every secret, code, verifier, nonce and token redacted.
Every command takes --store auto|keyring|plaintext|redis://…|memcached://… (default: AUTHTRAY_STORE,
else auto): where a new link keeps its credentials. A linked profile stays in the store it was linked
with until unlink. With a shared store, a host with no local profile finds it there.
A client secret (Box, confidential OIDC clients) comes from AUTHTRAY_CLIENT_SECRET or a hidden prompt;
the passphrase of a Box JWT app's key from its settings file, AUTHTRAY_KEY_PASSPHRASE or a hidden prompt.
AUTHTRAY_HOME sets where config and credentials live.
Exit codes: 0 ok, 1 rejected / not linked, 2 provider unreachable, 3 credential store error, 64 bad usage.`;

const common = { store: { type: 'string' }, verbose: { type: 'boolean', default: false } } as const;
const profileOption = { profile: { type: 'string', default: 'default' }, ...common } as const;
const OPTIONS = {
  link: {
    ...profileOption,
    provider: { type: 'string' },
    'client-id': { type: 'string' },
    issuer: { type: 'string' },
    scope: { type: 'string', multiple: true },
    redirect: { type: 'string' },
    port: { type: 'string' },
    'no-browser': { type: 'boolean', default: false },
    'authorize-url': { type: 'string' },
    'token-url': { type: 'string' },
    'revoke-url': { type: 'string' },
    'userinfo-url': { type: 'string' },
    'api-url': { type: 'string' },
    settings: { type: 'string' },
    user: { type: 'string' },
    algorithm: { type: 'string' },
  },
  finish: profileOption,
  status: { ...profileOption, json: { type: 'boolean', default: false } },
  token: { ...profileOption, scope: { type: 'string', multiple: true }, resource: { type: 'string' }, 'shared-link': { type: 'string' } },
  unlink: profileOption,
  profiles: { json: { type: 'boolean', default: false }, ...common },
  'store migrate': { ...profileOption, to: { type: 'string' } },
} satisfies Record<string, ParseArgsConfig['options']>;

type Command = keyof typeof OPTIONS;

function parse<C extends Command>(command: C, args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS[command], strict: true, allowPositionals: command === 'finish' });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
}

const line = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);

/**
 * The accounts service for one run: `--store` (else AUTHTRAY_STORE) chooses where new links go;
 * `--verbose` (or AUTHTRAY_DEBUG=1) writes the protocol exchange, redacted, to standard error.
 */
function openAccounts(io: CliIO, store: string | undefined, verbose = false): Accounts {
  const timeout = Number(io.env.AUTHTRAY_KEYRING_TIMEOUT_MS);
  return new Accounts({
    protocolLog: verbose || io.env.AUTHTRAY_DEBUG === '1' ? (l) => line(io.stderr, `authtray: ${l}`) : undefined,
    home: authtrayHome(io.env),
    store: store ?? (io.env.AUTHTRAY_STORE || undefined),
    env: io.env,
    keyring: Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : undefined,
    warn: (m) => line(io.stderr, `warning: ${m}`),
  });
}

/** Runs one command; resolves to the exit code. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  let accounts: Accounts | undefined;
  const verbose = argv.includes('--verbose');
  const open = (store: string | undefined) => (accounts = openAccounts(io, store, verbose));
  try {
    switch (command) {
      case 'link': {
        const { values } = parse('link', rest);
        return await link(open(values.store), values, io);
      }
      case 'finish': {
        const { values, positionals } = parse('finish', rest);
        return await finish(open(values.store), values.profile, positionals[0], io);
      }
      case 'status': {
        const { values } = parse('status', rest);
        const status = await open(values.store).status(values.profile);
        line(io.stdout, values.json ? JSON.stringify(status) : describe(status));
        return status.linked ? EXIT.OK : EXIT.REJECTED;
      }
      case 'token': {
        const { values } = parse('token', rest);
        const accounts = open(values.store);
        if (values.scope || values.resource !== undefined || values['shared-link'] !== undefined) return await downscoped(accounts, values, io);
        line(io.stdout, await accounts.accessToken(values.profile));
        return EXIT.OK;
      }
      case 'unlink': {
        const { values } = parse('unlink', rest);
        const result = await open(values.store).unlink(values.profile);
        // "Revoked" only when the provider answered the revocation with success; otherwise the warning said why not.
        line(io.stderr, `Unlinked profile "${values.profile}"${result.revoked ? ' and revoked its access at the provider' : ''}.`);
        return EXIT.OK;
      }
      case 'profiles': {
        const { values } = parse('profiles', rest);
        const all = await open(values.store).profiles();
        line(io.stdout, values.json ? JSON.stringify(all) : all.map(describe).join('\n') || 'No profiles. Link one with: authtray link --provider ...');
        return EXIT.OK;
      }
      case 'store': {
        if (rest[0] !== 'migrate') throw new UsageError(`Unknown command "store ${(rest[0] ?? '').slice(0, 40)}": did you mean "store migrate"?\n\n${USAGE}`);
        const { values } = parse('store migrate', rest.slice(1));
        if (values.to !== 'keyring' && values.to !== 'plaintext') throw new UsageError('--to must be keyring or plaintext.');
        const moved = await open(undefined).migrate(values.profile, values.to);
        line(io.stderr, `Moved the credentials of profile "${values.profile}" from ${moved.from.location} to ${moved.to.location}.`);
        return EXIT.OK;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        line(command === undefined ? io.stderr : io.stdout, USAGE);
        return command === undefined ? EXIT.USAGE : EXIT.OK;
      default:
        throw new UsageError(`Unknown command "${command.slice(0, 40)}".\n\n${USAGE}`);
    }
  } catch (err) {
    return report(err, io);
  } finally {
    await accounts?.close();
  }
}

function report(err: unknown, io: CliIO): number {
  if (err instanceof AuthtrayError) {
    line(io.stderr, `authtray: ${err.cliMessage ?? err.message}`);
    return EXIT_BY_CODE[err.code] ?? EXIT.INTERNAL;
  }
  // Not one of ours: name it without dumping objects that might hold tokens.
  line(io.stderr, `authtray: unexpected ${err instanceof Error ? `${err.name}: ${err.message}` : 'failure'}. Please report this.`);
  return EXIT.INTERNAL;
}

/** A human summary of one profile. */
export function describe(s: ProfileStatus): string {
  if (!s.linked && !s.account) return `Profile "${s.profile}": not linked.`;
  const lines = [`Profile "${s.profile}": ${s.needsRelink ? 'needs relink' : s.linked ? 'linked' : 'credentials missing: link again'} (${s.provider})`];
  if (s.account) lines.push(`  Account: ${s.account.name ?? s.account.id}${s.account.email ? ` <${s.account.email}>` : ''} (id ${s.account.id})`);
  if (s.token) lines.push(`  Token:   ${s.token.kind}${s.token.expiresAt ? `, access token expires ${s.token.expiresAt}` : ''}`);
  if (s.store) lines.push(`  Store:   ${s.store.backend} at ${s.store.location}${s.store.secure ? '' : ' (not encrypted: anyone who can read your files can read it)'}`);
  return lines.join('\n');
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a number from 1 to 65535, not "${value.slice(0, 20)}".`);
  return port;
}

type LinkFlags = ReturnType<typeof parse<'link'>>['values'];

/** Settings from the flags, on top of the profile's saved ones when relinking without --provider. */
async function linkSettings(accounts: Accounts, flags: LinkFlags, env: NodeJS.ProcessEnv): Promise<ProfileSettings> {
  const saved = (await accounts.savedSettings(flags.profile)) ?? undefined;
  const redirect = flags.redirect as RedirectMode | undefined;
  if (redirect !== undefined && redirect !== 'paste' && redirect !== 'loopback') throw new UsageError('--redirect must be paste or loopback.');
  const endpoints = {
    authorize: flags['authorize-url'],
    token: flags['token-url'],
    revoke: flags['revoke-url'],
    userinfo: flags['userinfo-url'],
    api: flags['api-url'],
  };
  const endpointsGiven = Object.values(endpoints).some((v) => v !== undefined);
  if (!flags.provider) {
    if (!saved) throw new UsageError(`Profile "${flags.profile}" is new: say which provider with --provider dropbox|box|oidc|sandbox.`);
    const changed = endpointsGiven || flags.issuer !== undefined;
    return {
      ...saved,
      ...(flags['client-id'] ? { clientId: flags['client-id'] } : {}),
      ...(flags.issuer ? { issuer: flags.issuer } : {}),
      ...(flags.scope ? { scopes: flags.scope } : {}),
      ...(redirect ? { redirect } : {}),
      ...(flags.port ? { port: parsePort(flags.port) } : {}),
      ...(endpointsGiven ? { endpoints: { ...saved.endpoints, ...withoutUndefined(endpoints) } } : {}),
      metadata: changed ? undefined : saved.metadata,
    };
  }
  const choice = flags.provider as ProviderChoice;
  if (!PROVIDER_CHOICES.includes(choice)) throw new UsageError(`Unknown provider "${flags.provider.slice(0, 40)}": use dropbox, box, oidc, sandbox, box-jwt or box-developer-token.`);
  try {
    return settingsFor(
      {
        provider: choice,
        clientId: flags['client-id'],
        issuer: flags.issuer,
        secretGiven: Boolean(env.AUTHTRAY_CLIENT_SECRET),
        scopes: flags.scope,
        redirect,
        port: parsePort(flags.port),
        endpoints: endpointsGiven ? withoutUndefined(endpoints) : undefined,
      },
      { issuer: sandboxIssuer(env), clientId: SANDBOX_CLIENT_ID },
    );
  } catch (err) {
    // The command names its flags.
    if (err instanceof LinkRequestError && err.missing === 'clientId') throw new UsageError(`--client-id is needed for ${choice}: the app key from your app registration.`);
    if (err instanceof LinkRequestError && err.missing === 'issuer') throw new UsageError('An OpenID Connect profile needs --issuer (or --authorize-url and --token-url).');
    throw err;
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function clientSecret(io: CliIO, needed: boolean): Promise<string | undefined> {
  if (!needed) return undefined;
  if (io.env.AUTHTRAY_CLIENT_SECRET) return io.env.AUTHTRAY_CLIENT_SECRET;
  if (!io.stdin.isTTY) throw new UsageError('This client needs its client secret: set AUTHTRAY_CLIENT_SECRET (there is no terminal to ask on).');
  const { readHidden } = await terminal();
  const secret = (await readHidden(io, 'Client secret (input hidden): ')).trim();
  if (!secret) throw new UsageError('No client secret entered.');
  return secret;
}

/** `token --scope ...`: a restricted token made from the profile's (RFC 8693); printed, not stored. */
async function downscoped(accounts: Accounts, flags: ReturnType<typeof parse<'token'>>['values'], io: CliIO): Promise<number> {
  if (!flags.scope?.length) throw new UsageError('--resource and --shared-link restrict a downscoped token: give --scope too (for Box: item_preview, item_read, ...).');
  const restricted = await accounts.downscope(flags.profile, flags.scope.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean), { resource: flags.resource, sharedLink: flags['shared-link'] });
  line(io.stdout, restricted.accessToken);
  return EXIT.OK;
}

async function link(accounts: Accounts, flags: LinkFlags, io: CliIO): Promise<number> {
  // Box server auth and developer tokens link without a browser (cli/box.ts).
  const saved = (await accounts.savedSettings(flags.profile)) ?? undefined;
  const kind = flags.provider ?? saved?.provider;
  if (kind === 'box-jwt' || kind === 'box-developer-token') {
    const { linkServerProfile } = await import('./box.js');
    line(io.stderr, `Linked: ${describe(await linkServerProfile(accounts, kind, flags, saved, io))}`);
    return EXIT.OK;
  }
  if (flags.settings !== undefined || flags.user !== undefined || flags.algorithm !== undefined) throw new UsageError('--settings, --user and --algorithm go with --provider box-jwt.');
  const settings = await linkSettings(accounts, flags, io.env);
  const secret = await clientSecret(io, needsClientSecret(settings));
  const started = await accounts.startLink(flags.profile, settings, { redirect: settings.redirect, clientSecret: secret });
  line(io.stdout, started.url);
  const { hasDisplay, readLine } = await terminal();
  const browser = !flags['no-browser'] && hasDisplay(io.env) && (await io.openBrowser(started.url));
  line(io.stderr, browser ? 'Your browser was opened at the address above: approve authtray there.' : 'Open the address above in your browser and approve authtray.');
  line(
    io.stderr,
    started.mode === 'loopback'
      ? `Waiting for the browser to come back to ${started.redirectUri}; or paste the address it shows here and press Enter:`
      : started.redirectUri === null
        ? 'Then paste the code the provider shows here and press Enter:'
        : 'Then paste the whole address from the browser’s address bar (it may say the page cannot be reached) and press Enter:',
  );
  const input = readLine(io.stdin);
  const pasted = input.line.then(async (text) => {
    if (text === null) {
      if (started.redirected) return started.redirected; // no input to read: wait for the browser
      throw new UsageError(`No code was entered. The link stays open until ${started.expiresAt}: finish it with "authtray finish --profile ${flags.profile} CODE".`);
    }
    return accounts.finishLink(flags.profile, text, { clientSecret: secret });
  });
  pasted.catch(() => {}); // when the browser wins the race, a late paste error has no one to tell
  try {
    const status = await (started.redirected ? Promise.race([started.redirected, pasted]) : pasted);
    line(io.stderr, `Linked: ${describe(status)}`);
    return EXIT.OK;
  } finally {
    input.cancel();
    accounts.cancelLink(flags.profile);
  }
}

async function finish(accounts: Accounts, profile: string, given: string | undefined, io: CliIO): Promise<number> {
  let text = given;
  if (text === undefined) {
    line(io.stderr, 'Paste the code, or the whole address from the browser, and press Enter:');
    const { readLine } = await terminal();
    const input = readLine(io.stdin);
    text = (await input.line) ?? '';
    input.cancel();
  }
  const settings = await accounts.pendingSettings(profile);
  const status = await accounts.finishLink(profile, text, { clientSecret: await clientSecret(io, needsClientSecret(settings)) });
  line(io.stderr, `Linked: ${describe(status)}`);
  return EXIT.OK;
}

/** Entry point for bin/authtray.js. */
export async function main(): Promise<void> {
  const code = await run(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    openBrowser: async (url) => (await terminal()).openSystemBrowser(url),
  });
  process.exitCode = code;
  // Everything is done and said. A keyring call that timed out may still be running inside the
  // native binding (it cannot be cancelled once started) and would keep the process alive: do not
  // wait for it. The timer is unref'd, so a run with nothing pending exits at once as usual.
  setTimeout(() => process.exit(code), 200).unref();
}
