/** Runs the real `authtray` command (bin/authtray.js over the build) as a child process. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'authtray.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** What the command has written to stderr so far. */
  stderrSoFar(): string;
  result: Promise<CliResult>;
}

/** A D-Bus address nothing listens on: "no system keyring in this session". */
export const NO_KEYRING_BUS = 'unix:path=/nonexistent/authtray-test-bus';

/**
 * Environment for a CLI run: a private AUTHTRAY_HOME, no display (no browser), no system keyring
 * unless `extra` gives one (see test/support/keyring.ts), nothing inherited that matters.
 */
export function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AUTHTRAY_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '', DBUS_SESSION_BUS_ADDRESS: NO_KEYRING_BUS };
  for (const name of ['AUTHTRAY_CLIENT_SECRET', 'AUTHTRAY_STORE', 'AUTHTRAY_STORE_KEY']) delete env[name];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of [...waiters]) {
      const found = stdout.split('\n').find((l) => w.pattern.test(l));
      if (found !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(found);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    result,
    stderrSoFar: () => stderr,
    waitForLine(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const found = stdout.split('\n').find((l) => pattern.test(l));
        if (found !== undefined) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`no stdout line matching ${pattern} in ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        result.then(() => {
          clearTimeout(timer);
          reject(new Error(`authtray exited before printing ${pattern}; stdout: ${stdout} stderr: ${stderr}`));
        });
      });
    },
  };
}

/** Runs a command to the end; `input` is written to stdin, which is then closed. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  const run = startCli(args, env);
  run.child.stdin.end(input);
  return run.result;
}

export async function tempHome(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'authtray-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
