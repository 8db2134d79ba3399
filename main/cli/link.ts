/**
 * `authtray link` (a browser link; Box server profiles go to box.ts) and `authtray finish`: the
 * settings from the flags, the client secret from the environment or a hidden prompt, then the
 * wait for the answer (wait.ts). Loaded only for these two commands.
 */
import type { Accounts } from '../accounts.js';
import { AuthtrayError, ConnectionFailedError, UsageError } from '../errors.js';
import type { ProfileSettings, RedirectMode } from '../model.js';
import { assertWritableDir } from '../store/writable.js';
import { isProviderChoice, LinkRequestError, PROVIDER_CHOICES, needsClientSecret, settingsFor } from '../link-request.js';
import { SANDBOX_CLIENT_ID, sandboxIssuer } from '../sandbox.js';
import { linkedLine } from './describe.js';
import type { CliIO } from './io.js';
import type { LinkFlags } from './options.js';
import { line, localTime } from './text.js';
import { CommandLineError } from './usage.js';

/** Terminal helpers, loaded when first needed. */
const terminal = () => import('./io.js');

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CommandLineError(`--port must be a number from 1 to 65535, not "${value.slice(0, 20)}".`, 'link');
  return port;
}

/** Settings from the flags, on top of the profile's saved ones when relinking without --provider. */
async function linkSettings(accounts: Accounts, flags: LinkFlags, env: NodeJS.ProcessEnv): Promise<ProfileSettings> {
  const saved = (await accounts.savedSettings(flags.profile)) ?? undefined;
  const redirect = flags.redirect as RedirectMode | undefined;
  if (redirect !== undefined && redirect !== 'paste' && redirect !== 'loopback') throw new CommandLineError('--redirect must be paste or loopback.', 'link');
  const endpoints = {
    authorize: flags['authorize-url'],
    token: flags['token-url'],
    revoke: flags['revoke-url'],
    userinfo: flags['userinfo-url'],
    api: flags['api-url'],
  };
  const endpointsGiven = Object.values(endpoints).some((v) => v !== undefined);
  if (!flags.provider) {
    if (!saved) throw new CommandLineError(`Profile "${flags.profile}" is new: say which provider with --provider ${PROVIDER_CHOICES.join('|')}.`, 'link');
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
  const choice = flags.provider;
  if (!isProviderChoice(choice)) throw new CommandLineError(`Unknown provider "${flags.provider.slice(0, 40)}": use ${[...PROVIDER_CHOICES, 'box-jwt'].join(', ')} or box-developer-token.`, 'link');
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

export async function link(accounts: Accounts, flags: LinkFlags, io: CliIO): Promise<void> {
  // The home takes the config, the pending link and plain-text credentials: checked before anything is asked.
  await assertWritableDir(accounts.home);
  // Box server auth and developer tokens link without a browser (cli/box.ts).
  const saved = (await accounts.savedSettings(flags.profile)) ?? undefined;
  const kind = flags.provider ?? saved?.provider;
  if (kind === 'box-jwt' || kind === 'box-developer-token') {
    const { linkServerProfile } = await import('./box.js');
    line(io.stderr, linkedLine(await linkServerProfile(accounts, kind, flags, saved, io)));
    return;
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

export async function finish(accounts: Accounts, profile: string, given: string | undefined, io: CliIO): Promise<void> {
  const settings = await accounts.pendingSettings(profile);
  const secret = await clientSecret(io, needsClientSecret(settings));
  if (given !== undefined) {
    line(io.stderr, linkedLine(await accounts.finishLink(profile, given, { clientSecret: secret })));
    return;
  }
  const pending = await accounts.pendingLink(profile);
  if (!pending) throw (await import('../auth/flow.js')).noPendingAuthorization();
  const { waitForAnswer, WaitEnded } = await import('./wait.js');
  line(io.stderr, `Paste the code, or the whole address from the browser, and press Enter (until ${localTime(new Date(pending.expiresAt))}; Ctrl-C cancels):`);
  try {
    const status = await waitForAnswer({ accounts, profile, io, expiresAt: new Date(pending.expiresAt), redirected: null, clientSecret: secret });
    line(io.stderr, linkedLine(status));
  } catch (err) {
    throw err instanceof WaitEnded ? err.reason : err;
  }
}
