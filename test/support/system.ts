/** Finding and running the system programs the tests need (from Debian's packages, see .ci/apt-packages.txt). */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The full path of a program on PATH. A missing one fails the test with its name and package: tests
 * never skip because the machine lacks something.
 */
export function requireProgram(name: string, debianPackage: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // keep looking
    }
  }
  throw new Error(`This test needs the program "${name}", which is not installed. Install it with: apt-get install ${debianPackage} (CI does, from .ci/apt-packages.txt).`);
}

/** Runs a program to the end; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runProgram(
  path: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(path, args, { env: options.env, timeout: options.timeoutMs ?? 15_000 }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number' && !(err as { killed?: boolean }).killed) return reject(err);
      resolve({ code: child.exitCode, stdout, stderr });
    });
    // A program that exits without reading its input must not fail the test with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** Waits for a child process to exit (resolves at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a long-running program and resolves with the first stdout line that matches. */
export function startProgram(
  path: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; ready: RegExp; timeoutMs?: number },
): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path} did not become ready in ${options.timeoutMs ?? 10_000} ms; stdout: ${out} stderr: ${err}`));
    }, options.timeoutMs ?? 10_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n').find((l) => options.ready.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve({ child, line });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${path} exited (${code}) before it was ready; stdout: ${out} stderr: ${err}`));
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(options.input ?? '');
  });
}
