/**
 * `authtray`: link | finish | status | token | unlink | profiles. Parses, calls the accounts service,
 * prints, and maps errors to exit codes. No OAuth or storage logic lives here.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Accounts, type ProfileStatus } from '../accounts.js';
import { AuthtrayError, ConnectionFailedError, UsageError, type ErrorCode } from '../errors.js';
import type { ProfileSettings, RedirectMode } from '../auth/providers/index.js';
import { authtrayHome } from '../store/config.js';
import { isSharedStoreUrl } from '../store/store-url.js';
import { assertWritableDir, environmentProblem, isEnvironmentError } from '../store/writable.js';
import type { TokenKind } from '../model.js';
import { Interrupted, localTime } from './text.js';
import { CommandLineError, commandHelp, isCommand, USAGE, version, type CommandName } from './usage.js';
import { checkTenant, LinkRequestError, needsClientSecret, PROVIDER_CHOICES, settingsFor, TenantError, type ProviderChoice } from '../link-request.js';
import { agentCommand, agentNote, describeAgent, minValidOption } from './agent.js';
import type { CliIO } from './io.js';
import { SANDBOX_CLIENT_ID, sandboxIssuer } from '../sandbox.js';

/** Terminal helpers load only for commands that prompt, so `authtray token` starts fast. */
const terminal = () => import('./io.js');

export const EXIT = { OK: 0, REJECTED: 1, UNREACHABLE: 2, STORE: 3, USAGE: 64, INTERNAL: 70, INTERRUPTED: 130 } as const;

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
  AGENT_RUNNING: EXIT.REJECTED,
  AGENT_UNAVAILABLE: EXIT.STORE,
};

export { USAGE } from './usage.js';

const common = { store: { type: 'string' }, verbose: { type: 'boolean', default: false } } as const;
const profileOption = { profile: { type: 'string', default: 'default' }, ...common } as const;
const OPTIONS = {
  link: {
    ...profileOption,
    provider: { type: 'string' },
    'client-id': { type: 'string' },
    issuer: { type: 'string' },
    tenant: { type: 'string' },
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
  token: {
    ...profileOption,
    scope: { type: 'string', multiple: true },
    resource: { type: 'string' },
    'shared-link': { type: 'string' },
    'min-valid': { type: 'string' },
    'no-agent': { type: 'boolean', default: false },
  },
  unlink: profileOption,
  profiles: { json: { type: 'boolean', default: false }, ...common },
  'store migrate': { ...profileOption, to: { type: 'string' } },
} satisfies Record<string, ParseArgsConfig['options']>;

type Command = keyof typeof OPTIONS;

function parse<C extends Command>(command: C, args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS[command], strict: true, allowPositionals: command === 'finish' });
  } catch (err) {
    // Node's messages end with a hint of their own ("To specify a positional argument ..."): one sentence is enough.
    const first = (err as Error).message.split(/(?<=\.) /)[0]!;
    throw new CommandLineError(first.endsWith('.') ? first : `${first}.`, command === 'store migrate' ? 'store' : command);
  }
}

const STORE_CHOICE = /^(auto|keyring|plaintext)$/;

/** `--store` (else AUTHTRAY_STORE), checked by every command: a typo is exit 64, not a silent default. */
function storeChoice(io: CliIO, given: string | undefined, command: CommandName): string | undefined {
  const value = given ?? (io.env.AUTHTRAY_STORE || undefined);
  if (value === undefined || STORE_CHOICE.test(value) || isSharedStoreUrl(value)) return value;
  // Not echoed: a mistyped store URL may hold a password.
  throw new CommandLineError(`${given !== undefined ? '--store' : 'AUTHTRAY_STORE'} must be auto, keyring, plaintext, redis://host:port or memcached://host:port.`, command);
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
  const open = (store: string | undefined) => (accounts = openAccounts(io, storeChoice(io, store, command as CommandName), verbose));
  try {
    if (isCommand(command) && rest.some((a) => a === '--help' || a === '-h')) {
      line(io.stdout, commandHelp(command));
      return EXIT.OK;
    }
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
        const accounts = open(values.store);
        const [status, agent] = await Promise.all([accounts.status(values.profile), agentNote(io.env, accounts.home, values.profile)]);
        line(io.stdout, values.json ? JSON.stringify({ ...status, agent }) : [describe(status), ...(agent ? [describeAgent(agent)] : [])].join('\n'));
        return status.linked ? EXIT.OK : EXIT.REJECTED;
      }
      case 'token': {
        const { values } = parse('token', rest);
        const accounts = open(values.store);
        if (values.scope || values.resource !== undefined || values['shared-link'] !== undefined) return await downscoped(accounts, values, io);
        // A running agent was asked first (token-agent.ts), unless --no-agent or --store said not to.
        line(io.stdout, await accounts.accessToken(values.profile, { minValidMs: minValidOption(values['min-valid']) }));
        return EXIT.OK;
      }
      case 'agent':
        return await agentCommand(rest, io, open);
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
        if (rest[0] !== 'migrate') throw new CommandLineError(`Unknown command "store ${(rest[0] ?? '').slice(0, 40)}": did you mean "store migrate"?`, 'store');
        const { values } = parse('store migrate', rest.slice(1));
        if (values.to !== 'keyring' && values.to !== 'plaintext') throw new CommandLineError('--to must be keyring or plaintext.', 'store');
        const moved = await open(undefined).migrate(values.profile, values.to);
        line(io.stderr, `Moved the credentials of profile "${values.profile}" from ${moved.from.location} to ${moved.to.location}.`);
        return EXIT.OK;
      }
      case '--version':
      case '-V':
        line(io.stdout, version());
        return EXIT.OK;
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        if (topic !== undefined && !isCommand(topic)) throw new CommandLineError(`There is no command "${topic.slice(0, 40)}".`);
        line(io.stdout, topic === undefined ? USAGE : commandHelp(topic));
        return EXIT.OK;
      }
      case undefined:
        line(io.stderr, USAGE);
        return EXIT.USAGE;
      default:
        throw new CommandLineError(`Unknown command "${command.slice(0, 40)}".`);
    }
  } catch (err) {
    return report(err, io);
  } finally {
    await accounts?.close();
  }
}

export function report(err: unknown, io: Pick<CliIO, 'stderr' | 'interrupt'>): number {
  if (err instanceof Interrupted || io.interrupt?.aborted) {
    // The terminal echoed ^C where the cursor was: start the line afresh.
    if (io.interrupt?.aborted && (io.stderr as { isTTY?: boolean }).isTTY) io.stderr.write('\n');
    line(io.stderr, `authtray: ${err instanceof Interrupted ? err.message : new Interrupted().message}`);
    return EXIT.INTERRUPTED;
  }
  if (err instanceof AuthtrayError) {
    line(io.stderr, `authtray: ${err.cliMessage ?? err.message}`);
    return EXIT_BY_CODE[err.code] ?? EXIT.INTERNAL;
  }
  // The machine's folders (AUTHTRAY_HOME unwritable, read-only, a file, a full disk): not a bug.
  if (isEnvironmentError(err)) {
    line(io.stderr, `authtray: ${environmentProblem(err)}`);
    return EXIT.STORE;
  }
  // Not one of ours: name it without dumping objects that might hold tokens.
  line(io.stderr, `authtray: unexpected ${err instanceof Error ? `${err.name}: ${err.message}` : 'failure'}. Please report this.`);
  return EXIT.INTERNAL;
}

/** What each kind of token means to the person (status --json keeps the kind). */
const TOKEN_WORDS: Record<TokenKind, string> = {
  offline: 'renews itself',
  jwt: 'renews itself (server auth)',
  online: 'does not renew itself: link again when it expires',
  developer: 'from the Box console: link again when it runs out (60 minutes)',
  legacy: 'does not expire',
};

/** A human summary of one profile. */
export function describe(s: ProfileStatus): string {
  if (s.problem) return `Profile "${s.profile}": damaged (${s.provider})\n  Problem: ${s.problem}`;
  if (!s.linked && !s.account) return `Profile "${s.profile}": not linked.`;
  const lines = [`Profile "${s.profile}": ${s.needsRelink ? 'needs relink' : s.linked ? 'linked' : 'credentials missing: link again'} (${s.provider})`];
  if (s.account) lines.push(`  Account: ${s.account.name ?? s.account.id}${s.account.email ? ` <${s.account.email}>` : ''} (id ${s.account.id})`);
  if (s.account?.drive) lines.push(`  Drive:   ${s.account.drive.type ?? 'drive'} ${s.account.drive.id}${s.account.drive.owner ? ` of ${s.account.drive.owner}` : ''}`);
  if (s.token) lines.push(`  Token:   ${TOKEN_WORDS[s.token.kind]}${s.token.expiresAt ? `; the access token ${Date.parse(s.token.expiresAt) > Date.now() ? 'expires' : 'expired'} at ${localTime(new Date(s.token.expiresAt))}` : ''}`);
  if (s.store) lines.push(`  Store:   ${s.store.backend} at ${s.store.location}${s.store.secure ? '' : ' (not encrypted: anyone who can read your files can read it)'}`);
  return lines.join('\n');
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CommandLineError(`--port must be a number from 1 to 65535, not "${value.slice(0, 20)}".`, 'link');
  return port;
}

type LinkFlags = ReturnType<typeof parse<'link'>>['values'];

/** Settings from the flags, on top of the profile's saved ones when relinking without --provider. */
async function linkSettings(accounts: Accounts, flags: LinkFlags, env: NodeJS.ProcessEnv): Promise<ProfileSettings> {
  const saved = (await accounts.savedSettings(flags.profile)) ?? undefined;
  const redirect = flags.redirect as RedirectMode | undefined;
  if (redirect !== undefined && redirect !== 'paste' && redirect !== 'loopback') throw new CommandLineError('--redirect must be paste or loopback.', 'link');
  try {
    if (flags.tenant !== undefined) checkTenant(flags.tenant);
  } catch (err) {
    if (err instanceof TenantError) throw new CommandLineError(err.cliMessage!, 'link');
    throw err;
  }
  const endpoints = {
    authorize: flags['authorize-url'],
    token: flags['token-url'],
    revoke: flags['revoke-url'],
    userinfo: flags['userinfo-url'],
    api: flags['api-url'],
  };
  const endpointsGiven = Object.values(endpoints).some((v) => v !== undefined);
  if (!flags.provider) {
    if (!saved) throw new CommandLineError(`Profile "${flags.profile}" is new: say which provider with --provider dropbox|box|google|onedrive|oidc|sandbox.`, 'link');
    const changed = endpointsGiven || flags.issuer !== undefined || flags.tenant !== undefined;
    return {
      ...saved,
      ...(flags['client-id'] ? { clientId: flags['client-id'] } : {}),
      ...(flags.issuer ? { issuer: flags.issuer } : {}),
      ...(flags.tenant ? { tenant: checkTenant(flags.tenant) } : {}),
      ...(flags.scope ? { scopes: flags.scope } : {}),
      ...(redirect ? { redirect } : {}),
      ...(flags.port ? { port: parsePort(flags.port) } : {}),
      ...(endpointsGiven ? { endpoints: { ...saved.endpoints, ...withoutUndefined(endpoints) } } : {}),
      metadata: changed ? undefined : saved.metadata,
    };
  }
  const choice = flags.provider as ProviderChoice;
  if (!PROVIDER_CHOICES.includes(choice)) throw new CommandLineError(`Unknown provider "${flags.provider.slice(0, 40)}": use dropbox, box, google, onedrive, oidc, sandbox, box-jwt or box-developer-token.`, 'link');
  try {
    return settingsFor(
      {
        provider: choice,
        clientId: flags['client-id'],
        issuer: flags.issuer,
        tenant: flags.tenant,
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
    if (err instanceof LinkRequestError && err.missing === 'clientId') throw new CommandLineError(`--client-id is needed for ${choice}: ${choice === 'dropbox' ? 'the app key from the Dropbox App Console' : 'the client id from your app registration'}.`, 'link');
    if (err instanceof LinkRequestError && err.missing === 'issuer') throw new CommandLineError('An OpenID Connect profile needs --issuer (or --authorize-url and --token-url).', 'link');
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
  if (!flags.scope?.length) throw new CommandLineError('--resource and --shared-link restrict a downscoped token: give --scope too (for Box: item_preview, item_read, ...).', 'token');
  const restricted = await accounts.downscope(flags.profile, flags.scope.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean), { resource: flags.resource, sharedLink: flags['shared-link'] });
  line(io.stdout, restricted.accessToken);
  return EXIT.OK;
}

async function link(accounts: Accounts, flags: LinkFlags, io: CliIO): Promise<number> {
  // The home takes the config, the pending link and plain-text credentials: checked before anything is asked.
  await assertWritableDir(accounts.home);
  // Box server auth and developer tokens link without a browser (cli/box.ts).
  const saved = (await accounts.savedSettings(flags.profile)) ?? undefined;
  const kind = flags.provider ?? saved?.provider;
  if (kind === 'box-jwt' || kind === 'box-developer-token') {
    const { linkServerProfile } = await import('./box.js');
    line(io.stderr, linkedLine(await linkServerProfile(accounts, kind, flags, saved, io)));
    return EXIT.OK;
  }
  if (flags.settings !== undefined || flags.user !== undefined || flags.algorithm !== undefined) throw new CommandLineError('--settings, --user and --algorithm go with --provider box-jwt.', 'link');
  const settings = await linkSettings(accounts, flags, io.env);
  const secret = await clientSecret(io, needsClientSecret(settings));
  const started = await accounts.startLink(flags.profile, settings, { redirect: settings.redirect, clientSecret: secret }).catch((err: unknown) => {
    if (settings.sandbox && err instanceof AuthtrayError && err.code === 'CONNECTION_FAILED') {
      throw new ConnectionFailedError(`The sandbox provider is not running at ${settings.issuer}: start it with \`npm run sandbox\` in another terminal, then link again.`);
    }
    throw err;
  });
  const { hasDisplay } = await terminal();
  const { waitForAnswer, WaitEnded } = await import('./wait.js');
  let keepPending = false;
  try {
    line(io.stdout, started.url);
    const browser = !flags['no-browser'] && hasDisplay(io.env) && (await io.openBrowser(started.url));
    line(io.stderr, browser ? 'Your browser was opened at the address above: approve authtray there.' : 'Open the address above in your browser and approve authtray.');
    const until = localTime(new Date(started.expiresAt));
    line(
      io.stderr,
      started.mode === 'loopback'
        ? `Waiting for the browser to come back to ${started.redirectUri} until ${until} (Ctrl-C cancels).\nIf it cannot, paste the address it shows (or the code) here and press Enter:`
        : `Waiting until ${until} (Ctrl-C cancels).\n${
            started.redirectUri === null
              ? 'Then paste the code the provider shows here and press Enter:'
              : 'Then paste the whole address from the browser’s address bar (it may say the page cannot be reached) and press Enter:'
          }`,
    );
    const status = await waitForAnswer({ accounts, profile: flags.profile, io, expiresAt: new Date(started.expiresAt), redirected: started.redirected, clientSecret: secret });
    line(io.stderr, linkedLine(status));
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof WaitEnded)) throw err;
    keepPending = err.keepPending;
    throw err.reason;
  } finally {
    // However it ended, the listener closes; a link that was not made leaves nothing pending.
    if (keepPending) accounts.cancelLink(flags.profile);
    else await accounts.abandonLink(flags.profile).catch(() => accounts.cancelLink(flags.profile));
  }
}

/** "Linked: ..." without saying "linked" twice. */
function linkedLine(status: ProfileStatus): string {
  return `Linked: ${describe(status).replace(/^Profile "([^"]*)": linked /, 'profile "$1" ')}`;
}

async function finish(accounts: Accounts, profile: string, given: string | undefined, io: CliIO): Promise<number> {
  const settings = await accounts.pendingSettings(profile);
  const secret = await clientSecret(io, needsClientSecret(settings));
  if (given !== undefined) {
    line(io.stderr, linkedLine(await accounts.finishLink(profile, given, { clientSecret: secret })));
    return EXIT.OK;
  }
  const pending = await accounts.pendingLink(profile);
  if (!pending) throw (await import('../auth/flow.js')).noPendingAuthorization();
  const { waitForAnswer, WaitEnded } = await import('./wait.js');
  line(io.stderr, `Paste the code, or the whole address from the browser, and press Enter (until ${localTime(new Date(pending.expiresAt))}; Ctrl-C cancels):`);
  try {
    const status = await waitForAnswer({ accounts, profile, io, expiresAt: new Date(pending.expiresAt), redirected: null, clientSecret: secret });
    line(io.stderr, linkedLine(status));
    return EXIT.OK;
  } catch (err) {
    throw err instanceof WaitEnded ? err.reason : err;
  }
}

/** Entry point for bin/authtray.js. */
export async function main(): Promise<void> {
  const interrupt = new AbortController();
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) process.exit(EXIT.INTERRUPTED); // a second Ctrl-C ends at once
    interrupt.abort();
    // A command that waits on nothing interruptible (a store that does not answer) ends here too.
    setTimeout(() => {
      line(process.stderr, `authtray: ${new Interrupted().message}`);
      process.exit(EXIT.INTERRUPTED);
    }, 1000).unref();
  });
  const code = await run(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    openBrowser: async (url) => (await terminal()).openSystemBrowser(url),
    interrupt: interrupt.signal,
  });
  process.exitCode = code;
  // Everything is done and said. A keyring call that timed out may still be running inside the
  // native binding (it cannot be cancelled once started) and would keep the process alive: do not
  // wait for it. The timer is unref'd, so a run with nothing pending exits at once as usual.
  setTimeout(() => process.exit(code), 200).unref();
}
