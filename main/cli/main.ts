/**
 * `authtray`: link | finish | status | token | unlink | profiles. Parses, calls the accounts service,
 * prints, and maps errors to exit codes. No OAuth or storage logic lives here.
 */
import { Accounts } from '../accounts.js';
import { AuthtrayError, type ErrorCode } from '../errors.js';
import { authtrayHome } from '../store/config.js';
import { isSharedStoreUrl } from '../store/store-url.js';
import { environmentProblem, isEnvironmentError } from '../store/writable.js';
import { Interrupted, line } from './text.js';
import { CommandLineError, commandHelp, isCommand, USAGE, version, type CommandName } from './usage.js';
import { agentCommand, agentNote, describeAgent, minValidOption } from './agent.js';
import { describe, forCli } from './describe.js';
import type { CliIO } from './io.js';
import { parse, type TokenFlags } from './options.js';

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


const STORE_CHOICE = /^(auto|keyring|plaintext)$/;

/** `--store` (else AUTHTRAY_STORE), checked by every command: a typo is exit 64, not a silent default. */
function storeChoice(io: CliIO, given: string | undefined, command: CommandName): string | undefined {
  const value = given ?? (io.env.AUTHTRAY_STORE || undefined);
  if (value === undefined || STORE_CHOICE.test(value) || isSharedStoreUrl(value)) return value;
  // Not echoed: a mistyped store URL may hold a password.
  throw new CommandLineError(`${given !== undefined ? '--store' : 'AUTHTRAY_STORE'} must be auto, keyring, plaintext, redis://host:port or memcached://host:port.`, command);
}

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
    warn: (message, cliMessage) => line(io.stderr, `warning: ${cliMessage ?? message}`),
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
        await (await import('./link.js')).link(open(values.store), values, io);
        return EXIT.OK;
      }
      case 'finish': {
        const { values, positionals } = parse('finish', rest);
        await (await import('./link.js')).finish(open(values.store), values.profile, positionals[0], io);
        return EXIT.OK;
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
        const all = (await open(values.store).profiles()).map(forCli);
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

/** `token --scope ...`: a restricted token made from the profile's (RFC 8693); printed, not stored. */
async function downscoped(accounts: Accounts, flags: TokenFlags, io: CliIO): Promise<number> {
  if (!flags.scope?.length) throw new CommandLineError('--resource and --shared-link restrict a downscoped token: give --scope too (for Box: item_preview, item_read, ...).', 'token');
  const restricted = await accounts.downscope(flags.profile, flags.scope.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean), { resource: flags.resource, sharedLink: flags['shared-link'] });
  line(io.stdout, restricted.accessToken);
  return EXIT.OK;
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
