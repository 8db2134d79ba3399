/**
 * What `authtray` says about itself: each command's usage and what it does (`authtray help CMD`,
 * `authtray CMD --help`), the whole usage (`authtray help`), the version, and usage errors: one line
 * that points at the command's --help.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

export const COMMANDS = {
  link: {
    what: 'Links an account: prints the address to approve in a browser, then waits for the answer (the browser coming back, or a code or address pasted here).',
    usage: [
      'authtray link     [--profile NAME] --provider dropbox|box|google|onedrive|oidc|sandbox [--client-id ID] [--issuer URL]',
      '                  [--tenant common|consumers|organizations|ID]',
      '                  [--scope SCOPE]... [--redirect paste|loopback] [--port N] [--no-browser]',
      '                  [--authorize-url URL] [--token-url URL] [--revoke-url URL] [--userinfo-url URL] [--api-url URL]',
      'authtray link     [--profile NAME] --provider box-jwt --settings FILE [--user ID] [--algorithm RS256|RS384|RS512] [--api-url URL]',
      'authtray link     [--profile NAME] --provider box-developer-token [--client-id ID] [--api-url URL]',
    ],
  },
  finish: {
    what: 'Finishes a link started by `authtray link` with the code or the whole address from the browser (asks for it when not given).',
    usage: ['authtray finish   [--profile NAME] [CODE_OR_REDIRECT_URL]'],
  },
  status: { what: 'Shows whether the profile is linked, to which account, and where its credentials are kept.', usage: ['authtray status   [--profile NAME] [--json]'] },
  token: {
    what: 'Prints a valid access token (renewed first when needed); with --scope, a restricted token made from it.',
    usage: ['authtray token    [--profile NAME] [--min-valid DURATION] [--no-agent] [--scope SCOPE... [--resource URL | --shared-link URL]]'],
  },
  agent: {
    what: 'Runs the token agent in the foreground: programs of this user get fresh tokens from it over a private socket (Ctrl-C stops it).',
    usage: ['authtray agent    [--token-file PROFILE[=PATH]]... [--allow EXECUTABLE]...'],
  },
  unlink: { what: 'Revokes the grant at the provider and forgets the profile here.', usage: ['authtray unlink   [--profile NAME]'] },
  profiles: { what: 'Lists every profile and its status.', usage: ['authtray profiles [--json]'] },
  store: {
    what: 'Moves a linked profile’s credentials to another store (written, read back, then the old copy deleted).',
    usage: ['authtray store migrate [--profile NAME] --to keyring|plaintext'],
  },
} as const;

export type CommandName = keyof typeof COMMANDS;

export const isCommand = (name: string | undefined): name is CommandName => name !== undefined && Object.hasOwn(COMMANDS, name);

const COMMON = `Every command takes --verbose (or set AUTHTRAY_DEBUG=1): print each request to the provider and its
answer on standard error, with every secret, code, verifier, nonce and token redacted.
Every command but store migrate takes --store auto|keyring|plaintext|redis://…|memcached://… (default:
AUTHTRAY_STORE, else auto): where a new link keeps its credentials. A linked profile stays in the store
it was linked with until unlink. With a shared store, a host with no local profile finds it there.`;

const ENVIRONMENT = `A client secret (Box, Google, confidential OIDC clients) comes from AUTHTRAY_CLIENT_SECRET or a hidden prompt;
the passphrase of a Box JWT app's key from its settings file, AUTHTRAY_KEY_PASSPHRASE or a hidden prompt.
AUTHTRAY_HOME sets where config and credentials live.
Exit codes: 0 ok, 1 rejected / not linked / cancelled, 2 provider unreachable, 3 credential store or
home folder error, 64 bad usage, 70 a bug in authtray (please report it), 130 interrupted (Ctrl-C).`;

/** `authtray help`: every command. */
export const USAGE = `Usage:
${Object.values(COMMANDS)
  .flatMap((c) => c.usage)
  .map((l) => `  ${l}`)
  .join('\n')}
  authtray help [COMMAND]  |  authtray COMMAND --help  |  authtray --version

${COMMON}
${ENVIRONMENT}`;

/** `authtray help CMD` / `authtray CMD --help`: its usage and one line on what it does. */
export function commandHelp(command: CommandName): string {
  const { what, usage } = COMMANDS[command];
  return `${what}\n\nUsage:\n${usage.map((l) => `  ${l}`).join('\n')}\n\n${command === 'store' ? '' : `${COMMON}\n`}See \`authtray help\` for every command.`;
}

/** A usage error of the command line itself: one line, then where to read more. */
export class CommandLineError extends UsageError {
  constructor(message: string, command?: CommandName) {
    super(`${message} See \`authtray ${command ? `${command} ` : ''}--help\`.`.replace('authtray --help', 'authtray help'));
  }
}

/** "authtray 0.1.0", from the package.json beside the build (dist/cli/ or dist/main/cli/) or the source. */
export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'authtray' && pkg.version) return `authtray ${pkg.version}`;
    } catch {
      // not here: look one folder up
    }
  }
  return 'authtray (version unknown)';
}
