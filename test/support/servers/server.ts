/**
 * What a conformance test needs from an authorization server this project did not write: where it
 * is, the public client registered there, a person's login and consent, and a count of the token
 * requests it answered (read from the server's own log).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { exited } from '../system.js';

export interface ThirdPartyServer {
  /** The server and its version, for messages and the README matrix. */
  readonly name: string;
  /** What `authtray link --issuer` is given. */
  readonly issuer: string;
  /** The public client registered for authtray. */
  readonly clientId: string;
  /** The port of the registered loopback redirect, for servers that match redirect URIs exactly (else null). */
  readonly redirectPort: number | null;
  /** How long the server took from spawn to configured and serving, in ms. */
  readonly startupMs: number;
  /**
   * Plays the person in the browser: opens the authorization URL, logs in, consents, and stops at
   * the redirect back to the client. Resolves with that redirect URL (code and state in it).
   */
  approve(authorizationUrl: string): Promise<string>;
  /**
   * Token-endpoint requests so far (code exchanges and refreshes), as the server's log shows them;
   * read once the log has been quiet for a moment (a server may log a request just after answering it).
   */
  tokenRequests(): Promise<number>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/** A cookie jar for one browser session: `fetch` with redirects off, cookies kept across calls. */
export class Browser {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size) headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    return response;
  }

  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }
}

/** The `Location` of a redirect answer; anything else is an error that shows the body. */
export async function locationOf(response: Response, what: string): Promise<URL> {
  const location = response.headers.get('location');
  if (response.status < 300 || response.status >= 400 || !location) {
    throw new Error(`${what}: expected a redirect, got HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  await response.body?.cancel();
  return new URL(location, response.url || undefined);
}

/** A long-running server process whose output (stdout and stderr) is kept as its log. */
export interface ServerProcess {
  readonly child: ChildProcess;
  log(): string;
  /** The log once nothing new has been written to it for `quietMs`. */
  settledLog(quietMs?: number): Promise<string>;
  /** Resolves when the log matches `pattern`; fails if the process exits first or after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when `url` answers at all; fails if the process exits first or after `timeoutMs`. */
  waitForAnswer(url: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it has exited. */
  stop(): Promise<void>;
}

export function spawnServer(program: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): ServerProcess {
  const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (chunk: string) => (log += chunk);
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  return {
    child,
    log: () => log,
    async settledLog(quietMs = 150) {
      const end = Date.now() + 5_000;
      for (;;) {
        const seen = log.length;
        await new Promise((r) => setTimeout(r, quietMs));
        if (log.length === seen) return log;
        if (Date.now() > end) throw new Error(`${program}'s log did not settle in 5 s`);
      }
    },
    async waitForLog(pattern, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      while (!pattern.test(log)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${program} exited (${child.exitCode ?? child.signalCode}) before ${pattern}; its log:\n${log}`);
        if (Date.now() > end) throw new Error(`${program} did not log ${pattern} in ${timeoutMs} ms; its log:\n${log}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async waitForAnswer(url, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${program} exited (${child.exitCode ?? child.signalCode}) before it answered ${url}; its log:\n${log}`);
        try {
          await (await fetch(url, { redirect: 'manual' })).body?.cancel();
          return;
        } catch {
          if (Date.now() > end) throw new Error(`${program} did not answer ${url} in ${timeoutMs} ms; its log:\n${log}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}

/** Occurrences of `pattern` (global) in `text`. */
export const countMatches = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;
