/** The command's flags, per command, and their parsing: a mistake is a usage error naming the command. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CommandLineError } from './usage.js';

const common = { store: { type: 'string' }, verbose: { type: 'boolean', default: false } } as const;
const profileOption = { profile: { type: 'string', default: 'default' }, ...common } as const;
export const OPTIONS = {
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

export type Command = keyof typeof OPTIONS;

type Parsed<C extends Command> = ReturnType<typeof parseArgs<{ args: string[]; options: (typeof OPTIONS)[C]; strict: true; allowPositionals: boolean }>>;

export function parse<C extends Command>(command: C, args: string[]): Parsed<C> {
  try {
    return parseArgs({ args, options: OPTIONS[command], strict: true, allowPositionals: command === 'finish' });
  } catch (err) {
    // Node's messages end with a hint of their own ("To specify a positional argument ..."): one sentence is enough.
    const first = (err as Error).message.split(/(?<=\.) /)[0]!;
    throw new CommandLineError(first.endsWith('.') ? first : `${first}.`, command === 'store migrate' ? 'store' : command);
  }
}

export type LinkFlags = Parsed<'link'>['values'];
export type TokenFlags = Parsed<'token'>['values'];
