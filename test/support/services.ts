/**
 * Real redis-server and memcached for the tests, on free loopback ports, each in a temp directory.
 * They are stopped by the PID this helper started, never by name. A missing program fails the test
 * with a message naming it and its Debian package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface Service {
  readonly port: number;
  /** The PID of the running server. */
  readonly pid: number;
  /** The URL a store opens (`redis://127.0.0.1:P`, `memcached://127.0.0.1:P`). */
  readonly url: string;
  /** SIGKILL: the server dies at once, as in a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** Append-only file, fsynced on every write: the data survives a SIGKILL. */
  persistent?: boolean;
  /** `requirepass`: the default user's password. */
  password?: string;
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startRedis(options: RedisOptions = {}): Promise<Service> {
  const args = (port: number, dir: string) => [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes',
    ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(options.password ? ['--requirepass', options.password] : []),
  ];
  return startService('redis-server', 'redis-server', args, 'redis', redisIsUp(options.password));
}

export async function startMemcached(): Promise<Service> {
  // memcached refuses to run as root unless told which user to be.
  const asUser = process.getuid?.() === 0 ? ['-u', userInfo().username] : [];
  const args = (port: number) => ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64', ...asUser];
  return startService('memcached', 'memcached', args, 'memcached', memcachedIsUp);
}

type Probe = (port: number) => Promise<boolean>;

async function startService(program: string, debianPackage: string, argsFor: (port: number, dir: string) => string[], scheme: string, isUp: Probe): Promise<Service> {
  const dir = await mkdtemp(join(tmpdir(), `authtray-${program}-`));
  let port = 0;
  let child: ChildProcess | null = null;

  const launch = async () => {
    const started = spawn(program, argsFor(port, dir), { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
    let stderr = '';
    started.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const failed = new Promise<never>((_, reject) => {
      started.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new Error(`${program} is not installed: these tests need it (apt-get install ${debianPackage}; it is listed in .ci/apt-packages.txt).`) : err),
      );
      started.once('exit', (code, signal) => reject(new Error(`${program} exited (${code ?? signal}) at start on port ${port}: ${stderr.trim().slice(0, 500)}`)));
    });
    failed.catch(() => {});
    const deadline = Date.now() + 10_000;
    while (!(await Promise.race([isUp(port), failed]))) {
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`${program} did not answer on 127.0.0.1:${port} within 10 s: ${stderr.trim().slice(0, 500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    started.removeAllListeners('exit');
    child = started;
  };

  // The port is free when chosen but could be taken before the server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 3 || !/exited/.test((err as Error).message)) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const signal = async (sig: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(sig);
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  return {
    get port() {
      return port;
    },
    get pid() {
      if (!child?.pid) throw new Error(`${program} is not running`);
      return child.pid;
    },
    url: `${scheme}://127.0.0.1:${port}`,
    kill: () => signal('SIGKILL'),
    restart: async () => {
      await signal('SIGTERM');
      await launch();
    },
    stop: async () => {
      await signal('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Sends `request` and resolves with the first `lines` lines of the answer, or null when nothing listens. */
function ask(port: number, request: string, lines = 1): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.split('\r\n').length > lines) socket.end();
    });
    socket.on('close', () => resolve(answer || null));
    socket.on('error', () => {});
  });
}

const redisIsUp =
  (password: string | undefined): Probe =>
  async (port) => {
    const answer = await ask(port, password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n', password ? 2 : 1);
    // While loading its append-only file Redis answers -LOADING; only +PONG means ready.
    return answer !== null && answer.startsWith(password ? '+OK\r\n+PONG' : '+PONG');
  };

const memcachedIsUp: Probe = async (port) => (await ask(port, 'version\r\n'))?.startsWith('VERSION') ?? false;
