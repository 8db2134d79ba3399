/**
 * A private Secret Service for tests: a D-Bus session bus of our own (no service activation, so
 * nothing starts behind our back) and gnome-keyring-daemon on it, its `login` keyring unlocked with
 * a test password. Tests lock it, unlock it, pause it, kill it and restart it, and read its items
 * with `secret-tool`, as a user's desktop would.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, requireProgram, runProgram, startProgram } from './system.js';

const PASSWORD = 'test-password';

export interface KeyringItem {
  label: string;
  secret: string;
  attributes: Record<string, string>;
}

export interface SecretService {
  /** What a process needs to talk to this keyring (merge into a child's environment). */
  readonly env: { DBUS_SESSION_BUS_ADDRESS: string; XDG_RUNTIME_DIR: string; XDG_DATA_HOME: string };
  /** Locks the `login` collection over D-Bus, as a screen lock does. */
  lock(): Promise<void>;
  /** Unlocks it again (a new daemon replaces the old one, unlocked with the password). */
  unlock(): Promise<void>;
  /** SIGKILLs the daemon: the Secret Service disappears from the bus. */
  kill(): Promise<void>;
  /** Starts the daemon again (after kill), unlocked. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a daemon that stops answering, like one waiting on an unanswered prompt. */
  pause(): void;
  resume(): void;
  /** Every item filed under `service`, secrets included (secret-tool search --all). */
  items(service: string): Promise<KeyringItem[]>;
  /**
   * Points this process's keyring calls at this keyring (its environment), until `close()` puts the
   * previous values back. The binding connects once per process: call it before the first use.
   */
  useInThisProcess(): void;
  /**
   * Watches the Secret Service's method calls on the bus (dbus-monitor) from now on: `count(member)`
   * says how many `CreateItem`, `Delete`, `SearchItems`, ... calls the daemon was sent.
   */
  monitor(): Promise<BusMonitor>;
  close(): Promise<void>;
}

export interface BusMonitor {
  count(member: string): number;
  stop(): Promise<void>;
}

export async function startSecretService(): Promise<SecretService> {
  const dbusDaemon = requireProgram('dbus-daemon', 'dbus-daemon');
  const gnomeKeyring = requireProgram('gnome-keyring-daemon', 'gnome-keyring');
  const dbusSend = requireProgram('dbus-send', 'dbus-bin');
  const secretTool = requireProgram('secret-tool', 'libsecret-tools');
  const sh = requireProgram('sh', 'dash');
  const dbusMonitor = requireProgram('dbus-monitor', 'dbus-bin');

  const dir = await mkdtemp(join(tmpdir(), 'authtray-keyring-'));
  const runtime = join(dir, 'run');
  const data = join(dir, 'data');
  await mkdir(runtime, { mode: 0o700 });
  await mkdir(data);
  const config = join(dir, 'bus.conf');
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`,
  );
  const bus = await startProgram(dbusDaemon, ['--config-file', config, '--nofork', '--print-address=1'], { ready: /^unix:/ });
  const env = { DBUS_SESSION_BUS_ADDRESS: bus.line.trim(), XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: data };
  const childEnv = { ...process.env, ...env, HOME: dir, DISPLAY: '', WAYLAND_DISPLAY: '' };

  const hasOwner = async () =>
    (await runProgram(dbusSend, ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], { env: childEnv })).stdout.includes('boolean true');

  const loginUnlocked = async () =>
    (
      await runProgram(
        dbusSend,
        ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets/collection/login', 'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.Secret.Collection', 'string:Locked'],
        { env: childEnv },
      )
    ).stdout.includes('boolean false');

  let daemon: ChildProcess | null = null;
  async function startDaemon(replace: boolean) {
    const previous = daemon;
    const child = spawn(gnomeKeyring, [...(replace ? ['--replace'] : []), '--foreground', '--unlock', '--components=secrets'], { env: childEnv, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin!.on('error', () => {});
    child.stdin!.end(PASSWORD);
    daemon = child;
    if (previous) await exited(previous);
    const deadline = Date.now() + 10_000;
    // Ready when it owns the name and the login keyring answers unlocked.
    while (!(await hasOwner()) || !(await loginUnlocked())) {
      if (Date.now() > deadline) throw new Error('gnome-keyring-daemon did not come up on the private bus within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await startDaemon(false);
  const savedEnv: Record<string, string | undefined> = {};

  return {
    env,
    async lock() {
      const result = await runProgram(
        dbusSend,
        ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'],
        { env: childEnv },
      );
      if (result.code !== 0) throw new Error(`locking the keyring failed: ${result.stderr}`);
    },
    unlock: () => startDaemon(true),
    async kill() {
      if (!daemon) return;
      daemon.kill('SIGKILL');
      await exited(daemon);
      daemon = null;
      while (await hasOwner()) await new Promise((r) => setTimeout(r, 20));
    },
    restart: () => startDaemon(false),
    async monitor() {
      const { child } = await startProgram(dbusMonitor, ['--address', env.DBUS_SESSION_BUS_ADDRESS, "type='method_call',destination='org.freedesktop.secrets'"], {
        env: childEnv,
        ready: /member=NameAcquired|member=NameLost/,
      });
      let out = '';
      child.stdout!.on('data', (chunk: string) => (out += chunk));
      return {
        count: (member) => out.split('\n').filter((l) => l.startsWith('method call') && l.endsWith(`member=${member}`)).length,
        async stop() {
          child.kill('SIGTERM');
          await exited(child);
        },
      };
    },
    pause: () => void daemon?.kill('SIGSTOP'),
    resume: () => void daemon?.kill('SIGCONT'),
    async items(service) {
      // secret-tool prints each item as a block: "[/path]", "label = …", "secret = …", then its
      // "attribute.k = v" lines on stderr: one pipe for both keeps each block together.
      const result = await runProgram(sh, ['-c', 'exec "$0" search --all service "$1" 2>&1', secretTool, service], { env: childEnv });
      const text = result.stdout;
      const items: KeyringItem[] = [];
      for (const block of text.split(/^\[\//m).slice(1)) {
        const item: KeyringItem = { label: '', secret: '', attributes: {} };
        for (const line of block.split('\n')) {
          const match = /^(label|secret|attribute\.([\w-]+)) = (.*)$/.exec(line);
          if (!match) continue;
          if (match[2]) item.attributes[match[2]] = match[3]!;
          else item[match[1] as 'label' | 'secret'] = match[3]!;
        }
        items.push(item);
      }
      return items;
    },
    useInThisProcess() {
      for (const [k, v] of Object.entries(env)) {
        if (!(k in savedEnv)) savedEnv[k] = process.env[k];
        process.env[k] = v;
      }
    },
    async close() {
      for (const [k, v] of Object.entries(savedEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      if (daemon) {
        daemon.kill('SIGCONT');
        daemon.kill('SIGKILL');
        await exited(daemon);
      }
      bus.child.kill('SIGKILL');
      await exited(bus.child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
