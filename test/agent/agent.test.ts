// `authtray agent` through the real CLI on real Unix sockets: serving `authtray token`, one agent
// per home, the socket's permissions and owner checks, an agent killed mid-request, 1,000
// concurrent clients at expiry, --min-valid, --allow.
import { chmod, chown, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentInTerminal, ask, agentEnv, credentials, expireIn, linkProfile, runtimeDir, servedCount, startAgent, type RunningAgent } from './support.js';
import { useSandbox } from '../support/fixtures.js';
import { runCli, startCli } from '../support/cli.js';
import { requireProgram } from '../support/system.js';

const fx = useSandbox();
const agents: RunningAgent[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(profile = 'work') {
  const runtime = await runtimeDir();
  cleanups.push(runtime.cleanup);
  await linkProfile(fx.sandbox, fx.home, profile);
  return { runtime: runtime.dir, env: agentEnv(fx.home, runtime.dir) };
}

async function started(env: NodeJS.ProcessEnv, args: string[] = []) {
  const agent = await startAgent(env, args);
  agents.push(agent);
  return agent;
}

const mode = async (path: string) => (await lstat(path)).mode & 0o777;

describe('authtray agent', () => {
  it('serves authtray token from a private socket, is the only agent of its home, and stops cleanly on SIGTERM', async () => {
    const { runtime, env } = await setup();
    const agent = await started(env);
    expect(dirname(agent.socket)).toBe(join(runtime, 'authtray'));
    expect(await mode(dirname(agent.socket))).toBe(0o700);
    expect(await mode(agent.socket)).toBe(0o600);
    expect((await lstat(agent.socket)).isSocket()).toBe(true);

    const stored = (await credentials(fx.home).load('work'))!.accessToken;
    const token = await runCli(['token', '--profile', 'work'], env);
    expect(token).toEqual({ code: 0, stdout: `${stored}\n`, stderr: '' });
    expect(await servedCount(agent.socket, fx.home, 'work')).toBe(1);
    // --no-agent goes without it.
    expect((await runCli(['token', '--profile', 'work', '--no-agent'], env)).stdout).toBe(`${stored}\n`);
    expect(await servedCount(agent.socket, fx.home, 'work')).toBe(1);

    const status = JSON.parse((await runCli(['status', '--profile', 'work', '--json'], env)).stdout);
    expect(status.agent).toEqual({ socket: agent.socket, pid: agent.run.child.pid, serving: true, served: 1, tokenFile: null });
    expect((await runCli(['status', '--profile', 'work'], env)).stdout).toContain(
      `  Agent:   running (pid ${agent.run.child.pid}) at ${agent.socket}, serving this profile (1 token handed out)`,
    );

    const second = await runCli(['agent'], env);
    expect(second).toEqual({
      code: 1,
      stdout: '',
      stderr: `authtray: An authtray agent already runs for this home (pid ${agent.run.child.pid}) at ${agent.socket}. Use that one, or stop it first (kill ${agent.run.child.pid}).\n`,
    });

    // The agent's errors are the command's, with the same exit codes.
    expect(await runCli(['token', '--profile', 'nobody'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'authtray: Profile "nobody" is not linked. Run: authtray link --profile nobody --provider ...\n',
    });

    const stopped = await agent.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/authtray agent: stopped\.\n$/);
    await expect(lstat(agent.socket)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(JSON.parse((await runCli(['status', '--profile', 'work', '--json'], env)).stdout).agent).toBeNull();
  });

  it('in a terminal: says where it serves, and Ctrl-C stops it, removing its socket', async () => {
    const { runtime, env } = await setup();
    const terminal = await agentInTerminal(env);
    cleanups.push(() => terminal.close());
    const screen = await terminal.waitFor('Stop it with Ctrl-C.');
    const socket = /^AUTHTRAY_AGENT_SOCK=(.+)$/m.exec(screen)![1]!;
    expect(dirname(socket)).toBe(join(runtime, 'authtray'));
    expect(screen).toMatch(new RegExp(`^authtray agent: serving every process of your user at ${socket.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(pid \\d+\\)\\. Stop it with Ctrl-C\\.$`, 'm'));
    expect((await runCli(['token', '--profile', 'work'], env)).code).toBe(0);
    expect(await servedCount(socket, fx.home, 'work')).toBe(1);
    await terminal.press('C-c');
    expect(await terminal.exitCode()).toBe(0);
    expect(await terminal.screen()).toMatch(/authtray agent: stopped\.$/);
    await expect(lstat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an agent killed mid-request: the client gets its token without it, and the next agent takes over the stale socket', async () => {
    const { env } = await setup();
    const agent = await started(env);
    agent.run.child.kill('SIGSTOP'); // accepted by the kernel, never answered
    const token = startCli(['token', '--profile', 'work'], env);
    token.child.stdin.end();
    await new Promise((r) => setTimeout(r, 500));
    agent.run.child.kill('SIGKILL');
    const result = await token.result;
    expect(result).toEqual({ code: 0, stdout: `${(await credentials(fx.home).load('work'))!.accessToken}\n`, stderr: '' });
    expect((await lstat(agent.socket)).isSocket()).toBe(true); // left behind by the dead agent

    const next = await started(env);
    expect(next.socket).toBe(agent.socket);
    expect((await runCli(['token', '--profile', 'work'], env)).code).toBe(0);
    expect(await servedCount(next.socket, fx.home, 'work')).toBe(1);
  });

  it('1,000 concurrent socket clients at expiry: one refresh, one new token for all', async () => {
    const { env } = await setup();
    const old = await expireIn(fx.home, 'work', -1000);
    const agent = await started(env);
    fx.sandbox.stats.reset();
    const answers = await Promise.all(Array.from({ length: 1000 }, () => ask(agent.socket, fx.home, { op: 'token', profile: 'work', home: fx.home })));
    const tokens = new Set(answers.map((a) => ('token' in a ? a.token : JSON.stringify(a))));
    expect(tokens.size).toBe(1);
    const [token] = tokens;
    expect(token).not.toBe(old);
    expect(token).toBe((await credentials(fx.home).load('work'))!.accessToken);
    expect(fx.sandbox.stats.byGrant).toEqual({ refresh_token: 1 });
  });

  it('--min-valid: a token with at least that long left, refreshed if needed, through the agent and without it', async () => {
    const { env } = await setup();
    const old = await expireIn(fx.home, 'work', 8 * 60_000);
    const agent = await started(env);
    fx.sandbox.stats.reset();
    expect((await runCli(['token', '--profile', 'work'], env)).stdout).toBe(`${old}\n`); // 8 minutes is fresh
    const longer = await runCli(['token', '--profile', 'work', '--min-valid', '10m'], env);
    expect(longer.code).toBe(0);
    expect(longer.stdout).not.toBe(`${old}\n`);
    expect(fx.sandbox.stats.byGrant).toEqual({ refresh_token: 1 });
    expect(await servedCount(agent.socket, fx.home, 'work')).toBe(2);
    const record = (await credentials(fx.home).load('work'))!;
    expect(longer.stdout).toBe(`${record.accessToken}\n`);
    expect(record.expiresAt! - Date.now()).toBeGreaterThan(10 * 60_000);

    await expireIn(fx.home, 'work', 8 * 60_000);
    expect((await runCli(['token', '--profile', 'work', '--no-agent', '--min-valid', '600'], env)).code).toBe(0);
    expect(fx.sandbox.stats.byGrant).toEqual({ refresh_token: 2 });

    expect(await runCli(['token', '--profile', 'work', '--min-valid', '2h'], env)).toEqual({
      code: 64,
      stdout: '',
      stderr: 'authtray: Profile "work" cannot give a token valid for 7200 s: the provider\'s tokens last 3600 s. Ask for less with --min-valid.\n',
    });
    expect(await runCli(['token', '--profile', 'work', '--min-valid', 'soon'], env)).toEqual({
      code: 64,
      stdout: '',
      stderr: 'authtray: --min-valid takes a duration up to 24h such as 90s, 10m or 1h, not "soon".\n',
    });
  });
});

describe('the socket is checked by both sides', () => {
  /** A directory that belongs to someone else: made and given away as root, else one of root's. */
  async function foreignDir(runtime: string): Promise<{ dir: string; uid: number }> {
    if (process.getuid!() !== 0) return { dir: '/', uid: 0 };
    const dir = join(runtime, 'authtray');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 65534, 65534);
    return { dir, uid: 65534 };
  }

  it('the agent refuses a directory owned by another user, or one others can write to', async () => {
    const { runtime, env } = await setup();
    const foreign = await foreignDir(runtime);
    const sock = join(foreign.dir, 'agent.sock');
    expect(await runCli(['agent'], { ...env, AUTHTRAY_AGENT_SOCK: sock })).toEqual({
      code: 3,
      stdout: '',
      stderr: `authtray: The agent cannot use its directory: ${foreign.dir} belongs to user ${foreign.uid}, not to you (${process.getuid!()}). Remove it (or fix its owner and mode: chmod 700), or choose another socket with AUTHTRAY_AGENT_SOCK.\n`,
    });
    const open = join(runtime, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    expect(await runCli(['agent'], { ...env, AUTHTRAY_AGENT_SOCK: join(open, 'agent.sock') })).toEqual({
      code: 3,
      stdout: '',
      stderr: `authtray: The agent cannot use its directory: ${open} can be written by other users (mode 777). Remove it (or fix its owner and mode: chmod 700), or choose another socket with AUTHTRAY_AGENT_SOCK.\n`,
    });
  });

  it('authtray token does not use a socket that is not private, and says so', async () => {
    const { env } = await setup();
    const agent = await started(env);
    const stored = (await credentials(fx.home).load('work'))!.accessToken;
    await chmod(dirname(agent.socket), 0o777);
    expect(await runCli(['token', '--profile', 'work'], env)).toEqual({
      code: 0,
      stdout: `${stored}\n`,
      stderr: `warning: not using the agent socket: ${dirname(agent.socket)} can be written by other users (mode 777).\n`,
    });
    await chmod(dirname(agent.socket), 0o700);
    await chmod(agent.socket, 0o666);
    expect((await runCli(['token', '--profile', 'work'], env)).stderr).toBe(`warning: not using the agent socket: ${agent.socket} can be used by other users (mode 666).\n`);
    await chmod(agent.socket, 0o600);
    expect(await servedCount(agent.socket, fx.home, 'work')).toBe(0);
  });

  it('an agent of another home is not used for this one', async () => {
    const { env } = await setup();
    const agent = await started(env);
    const other = await runtimeDir();
    cleanups.push(other.cleanup);
    const result = await runCli(['token', '--profile', 'work'], { ...env, AUTHTRAY_HOME: other.dir, AUTHTRAY_AGENT_SOCK: agent.socket });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `warning: The agent at ${agent.socket} serves the authtray home ${fx.home}, not ${other.dir}. Going without it.\n` +
        'authtray: Profile "work" is not linked. Run: authtray link --profile work --provider ...\n',
    });
  });

  it('--allow serves only the executables named (Linux: the peer process of the socket)', async () => {
    requireProgram('ss', 'iproute2');
    const { env } = await setup();
    const node = await realpath(process.execPath);
    const strict = await started(env, ['--allow', '/usr/bin/true']);
    const refused = await runCli(['token', '--profile', 'work'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^authtray: The authtray agent serves only the programs given with --allow, and ${node.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(pid \\d+\\) is not one of them\\. To serve it, restart the agent with --allow ${node.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.\n$`),
    );
    await strict.stop();
    agents.splice(agents.indexOf(strict), 1);
    const allowed = await started(env, ['--allow', node]);
    expect((await runCli(['token', '--profile', 'work'], env)).code).toBe(0);
    expect(await servedCount(allowed.socket, fx.home, 'work')).toBe(1);
    expect((await stat(allowed.socket)).isSocket()).toBe(true);
  });
});
