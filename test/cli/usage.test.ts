// What `authtray` says about itself and about the machine it runs on: help, version, one-line usage
// errors, options checked by every command, an AUTHTRAY_HOME it cannot use (exit 3, never a hang or
// "Please report this"), and the sandbox not running. No provider is needed: none is reached.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../main/cli/main.js';
import { COMMANDS, commandHelp } from '../../main/cli/usage.js';
import { environmentProblem } from '../../main/store/writable.js';
import { ROOT, cliEnv, runCli, startCli, tempHome } from '../support/cli.js';

let home: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => void (home = await tempHome()));
afterEach(async () => home.cleanup());
const cli = (args: string[], extra: Record<string, string | undefined> = {}) => runCli(args, cliEnv(home.dir, extra));

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('help and version', () => {
  it('--version and -V print the package version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      expect(await cli([flag])).toEqual({ code: 0, stdout: `authtray ${version}\n`, stderr: '' });
    }
  });

  it('help CMD and CMD --help print that command’s usage and what it does, exit 0', async () => {
    await Promise.all(
      (Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]).map(async (command) => {
        const expected = { code: 0, stdout: `${commandHelp(command)}\n`, stderr: '' };
        expect(await cli(['help', command]), command).toEqual(expected);
        expect(await cli(command === 'store' ? ['store', 'migrate', '--help'] : [command, '--help']), command).toEqual(expected);
      }),
    );
    expect((await cli(['status', '-h'])).stdout).toBe(`${commandHelp('status')}\n`);
    expect(commandHelp('status')).toMatch(/^Shows whether the profile is linked, to which account, and where its credentials are kept\.\n\nUsage:\n {2}authtray status {3}\[--profile NAME\] \[--json\]\n/);
  });

  it('every flag the README lists is in the usage', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const reference = readme.slice(readme.indexOf('## The `authtray` command'), readme.indexOf('## The desktop app'));
    const usage = (await cli(['help'])).stdout;
    // --bogus is the README's example of a usage error.
    const flags = new Set(reference.match(/--[a-z][a-z-]+/g)?.filter((f) => f !== '--bogus'));
    expect(flags.size).toBeGreaterThan(20);
    for (const flag of flags) expect(usage, flag).toContain(flag);
  });
});

it('the README’s exit-code table lists every exit code the command has, and no other', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const documented = [...readme.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
  expect(documented).toEqual(Object.values(EXIT).sort((a, b) => a - b));
});

describe('usage errors: one line and where to read more, exit 64', () => {
  it.each([
    [['status', '--bogus'], "authtray: Unknown option '--bogus'. See `authtray status --help`."],
    [['frobnicate'], 'authtray: Unknown command "frobnicate". See `authtray help`.'],
    [['help', 'nope'], 'authtray: There is no command "nope". See `authtray help`.'],
    [['link', '--provider', 'sandbox', '--port', 'x'], 'authtray: --port must be a number from 1 to 65535, not "x". See `authtray link --help`.'],
    [['link', '--provider', 'dropbox'], 'authtray: --client-id is needed for dropbox: the app key from the Dropbox App Console. See `authtray link --help`.'],
    [['link', '--provider', 'oidc', '--issuer', 'https://id.example'], 'authtray: --client-id is needed for oidc: the client id from your app registration. See `authtray link --help`.'],
    [['store', 'frob'], 'authtray: Unknown command "store frob": did you mean "store migrate"? See `authtray store --help`.'],
  ])('%j', async (args, message) => {
    expect(await cli(args)).toEqual({ code: 64, stdout: '', stderr: `${message}\n` });
  });

  it('--store is checked by every command, and AUTHTRAY_STORE too', async () => {
    for (const command of ['status', 'token', 'profiles', 'unlink', 'finish', 'link']) {
      expect(await cli([command, '--store', 'bogus'])).toEqual({
        code: 64,
        stdout: '',
        stderr: `authtray: --store must be auto, keyring, plaintext, redis://host:port or memcached://host:port. See \`authtray ${command} --help\`.\n`,
      });
    }
    expect((await cli(['status'], { AUTHTRAY_STORE: 'redis:/typo' })).stderr).toBe(
      'authtray: AUTHTRAY_STORE must be auto, keyring, plaintext, redis://host:port or memcached://host:port. See `authtray status --help`.\n',
    );
  });
});

describe('a home authtray cannot use is exit 3 with the path and what to do, before any address', () => {
  const link = (issuer: string, extra: Record<string, string | undefined>) => runCli(['link', '--provider', 'sandbox', '--issuer', issuer, '--no-browser'], cliEnv(home.dir, extra));

  it('a file, a folder that takes no new folders (/proc: this hung), no permission', async () => {
    const file = join(home.dir, 'a-file');
    await writeFile(file, '');
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const cases: [string, string][] = [
      [file, `Cannot use ${file} as a folder: a file is in the way. Move that file, or set AUTHTRAY_HOME to a folder you can write to.`],
      ['/proc/authtray-test', 'Cannot create /proc/authtray-test: its parent folder does not take new folders. Create it yourself, or set AUTHTRAY_HOME to a folder you can write to.'],
      ['/sys/authtray-test', 'Cannot write to /sys/authtray-test (permission denied). Give yourself write access to it, or set AUTHTRAY_HOME to a folder you can write to.'],
    ];
    // /sys refuses new folders as "permission denied", or as read-only where a container mounts it so.
    const sys = await mkdir('/sys/authtray-test').catch((err: NodeJS.ErrnoException) => err);
    if (sys && (sys as NodeJS.ErrnoException).code === 'EROFS') cases[2]![1] = environmentProblem(sys as NodeJS.ErrnoException);
    for (const [dir, message] of cases) {
      expect(await link(issuer, { AUTHTRAY_HOME: dir }), dir).toEqual({ code: 3, stdout: '', stderr: `authtray: ${message}\n` });
    }
  });

  it('a read-only disk and a full one are named as such', () => {
    const fault = (code: string) => Object.assign(new Error(code), { code, path: '/mnt/home/authtray', syscall: 'open' });
    expect(environmentProblem(fault('EROFS'))).toBe('Cannot write to /mnt/home/authtray: it is on a read-only file system. Set AUTHTRAY_HOME to a folder on a writable disk.');
    expect(environmentProblem(fault('ENOSPC'))).toBe('Cannot write to /mnt/home/authtray: the disk is full (or your quota is used up). Free some space, then try again.');
  });

  it('the sandbox not running: start it with npm run sandbox', async () => {
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    expect(await link(issuer, {})).toEqual({
      code: 2,
      stdout: '',
      stderr: `authtray: The sandbox provider is not running at ${issuer}: start it with \`npm run sandbox\` in another terminal, then link again.\n`,
    });
  });
});

it('Ctrl-C while a command waits on a store that does not answer: one line, exit 130', async () => {
  // A "Redis" on loopback that takes the connection and never answers.
  let connected!: () => void;
  const reached = new Promise<void>((r) => (connected = r));
  const silent = createServer(() => connected());
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const run = startCli(['status', '--store', `redis://127.0.0.1:${(silent.address() as { port: number }).port}`], cliEnv(home.dir));
    await reached; // the command is waiting on the store now
    run.child.kill('SIGINT');
    expect(await run.result).toEqual({ code: 130, stdout: '', stderr: 'authtray: Cancelled (Ctrl-C).\n' });
  } finally {
    silent.close();
  }
});
