/**
 * The agent's figures for `npm run bench`, each against a baseline in the same run:
 * - `authtray token` served by a running agent ÷ `node -e 0` (target ≤ 1.15×);
 * - reading a token file the agent keeps ÷ `cat` of a file of the same size (target ≤ 1.5×);
 * - 100 `authtray token` processes started together against a private GNOME Keyring at expiry,
 *   with the agent running (target 100 of 100, 1 refresh) and without it (for reference);
 * - `oidc-token` (Debian's oidc-agent-cli) ÷ `node -e 0`, for reference, from a private oidc-agent
 *   with an account on the sandbox.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Accounts } from '../main/accounts.js';
import { settingsFor } from '../main/link-request.js';
import { KeyringCredentialStore } from '../main/store/keyring.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { SANDBOX_CLIENTS, type Sandbox } from '../test/sandbox/provider.js';
import { BIN, cliEnv, ROOT, startCli, type CliRun } from '../test/support/cli.js';
import type { SecretService } from '../test/support/keyring.js';
import { approve } from '../test/support/login.js';

interface Figure {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

export interface AgentBench {
  sandbox: Sandbox;
  keyring: SecretService;
  home(): Promise<string>;
  add(figure: Figure): void;
  link(home: string, store: string): Promise<void>;
  /** Median wall times of two commands (`[program, ...args]`), interleaved. */
  compare(subject: string[], baseline: string[], env: NodeJS.ProcessEnv): { subject: number; baseline: number; ratio: number };
  runs: number;
}

async function startAgent(env: NodeJS.ProcessEnv, args: string[] = []): Promise<CliRun> {
  const run = startCli(['agent', ...args], env);
  await run.waitForLine(/^AUTHTRAY_AGENT_SOCK=/);
  return run;
}

async function stop(run: CliRun): Promise<void> {
  run.child.kill('SIGTERM');
  await run.result;
}

const node = process.execPath;

/** `authtray token` answered by the agent, and a token file read by `cat`. */
export async function agentStartup(bench: AgentBench): Promise<void> {
  const home = await bench.home();
  await bench.link(home, 'plaintext');
  const env = cliEnv(home, { XDG_RUNTIME_DIR: await bench.home() });
  const file = join(await bench.home(), 'bench.token');
  const agent = await startAgent(env, ['--token-file', `bench=${file}`]);
  try {
    const t = bench.compare([node, BIN, 'token', '--profile', 'bench'], [node, '-e', '0'], env);
    bench.add({
      name: `authtray token via the agent / node -e 0 (median of ${bench.runs}: ${t.subject.toFixed(1)} ms / ${t.baseline.toFixed(1)} ms)`,
      value: `${t.ratio.toFixed(2)}×`,
      target: '≤ 1.15×',
      ok: t.ratio <= 1.15,
    });
    const same = join(home, 'same-size.txt');
    await writeFile(same, 'x'.repeat((await readFile(file)).length));
    const c = bench.compare(['cat', file], ['cat', same], env);
    bench.add({
      name: `cat token file / cat same-size file (median of ${bench.runs}: ${c.subject.toFixed(2)} ms / ${c.baseline.toFixed(2)} ms)`,
      value: `${c.ratio.toFixed(2)}×`,
      target: '≤ 1.5×',
      ok: c.ratio <= 1.5,
    });
  } finally {
    await stop(agent);
  }
}

/** N `authtray token` processes started at the same moment; how many printed a token. */
function tokenProcesses(count: number, env: NodeJS.ProcessEnv, args: string[]): Promise<{ ok: number; exits: Record<string, number> }> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve) => {
          const child = spawn(node, [BIN, 'token', '--profile', 'bench', ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
          child.on('close', (code) => resolve(code === 0 && out.trim().length > 0 ? 0 : (code ?? -1)));
        }),
    ),
  ).then((codes) => {
    const exits: Record<string, number> = {};
    for (const code of codes) exits[code] = (exits[code] ?? 0) + 1;
    return { ok: exits[0] ?? 0, exits };
  });
}

/** 100 `authtray token` processes at expiry against one GNOME Keyring: with the agent, and without. */
export async function keyringProcessStorm(bench: AgentBench): Promise<void> {
  const home = await bench.home();
  await bench.link(home, 'keyring');
  const store = new KeyringCredentialStore();
  const expire = async () => {
    const record = (await store.load('bench'))!;
    await store.save('bench', { ...record, expiresAt: Date.now() - 1000 });
  };
  const env = cliEnv(home, { ...bench.keyring.env, AUTHTRAY_STORE: 'keyring', XDG_RUNTIME_DIR: await bench.home() });
  try {
    await expire();
    const agent = await startAgent(env);
    bench.sandbox.stats.reset();
    const served = await tokenProcesses(100, env, []);
    const refreshes = bench.sandbox.stats.byGrant.refresh_token ?? 0;
    await stop(agent);
    bench.add({
      name: `100 authtray token processes at expiry, GNOME Keyring, agent running (succeeded; refreshes: ${refreshes})`,
      value: `${served.ok}/100`,
      target: '100, 1',
      ok: served.ok === 100 && refreshes === 1,
    });

    await expire();
    bench.sandbox.stats.reset();
    const alone = await tokenProcesses(100, env, ['--no-agent']);
    const aloneRefreshes = bench.sandbox.stats.byGrant.refresh_token ?? 0;
    bench.add({
      name: `  the same without the agent (refreshes: ${aloneRefreshes}; exit codes ${JSON.stringify(alone.exits)})`,
      value: `${alone.ok}/100`,
      target: 'reference',
      ok: true,
    });
  } finally {
    await store.delete('bench');
  }
}

/**
 * oidc-agent's `oidc-token`, side by side: a private oidc-agent (its own config directory and
 * socket) with one account made by `oidc-gen` without prompts from a refresh token of the sandbox's
 * confidential client (oidc-gen needs a client secret), then `oidc-token ACCOUNT` timed against
 * `node -e 0` like `authtray token`. Where it cannot run, one line says exactly why.
 */
export async function oidcTokenReference(bench: AgentBench): Promise<void> {
  const skip = (why: string) => void process.stdout.write(`(oidc-token not measured: ${why})\n`);
  const which = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
  const [agentExe, gen, token] = ['oidc-agent', 'oidc-gen', 'oidc-token'].map(which);
  if (!agentExe || !gen || !token) return skip("oidc-agent, oidc-gen or oidc-token is missing: apt-get install oidc-agent-cli (it is in .ci/apt-packages.txt)");
  const dir = await bench.home();
  const client = SANDBOX_CLIENTS.confidential;
  const accounts = new Accounts({ home: await bench.home(), store: 'plaintext' });
  const started = await accounts.startLink('bench', settingsFor({ provider: 'sandbox', clientId: client.clientId, secretGiven: true }, { issuer: bench.sandbox.issuer, clientId: SANDBOX_CLIENTS.native.clientId }), {
    redirect: 'paste',
    clientSecret: client.clientSecret,
  });
  await accounts.finishLink('bench', (await approve(started.url, { login: 'bench' })).redirectUrl, { clientSecret: client.clientSecret });
  const refreshToken = (await new PlaintextCredentialStore(join(accounts.home, 'credentials')).load('bench'))?.refreshToken;
  await accounts.close();
  if (!refreshToken) return skip('the sandbox gave no refresh token to hand to oidc-gen');
  const socket = join(dir, 'oidc-agent.sock');
  const env: NodeJS.ProcessEnv = { ...process.env, OIDC_CONFIG_DIR: join(dir, 'config'), OIDC_SOCK: socket, OIDC_ENCRYPTION_PW: 'bench-only-password', OIDC_REFRESH_TOKEN: refreshToken };
  await mkdir(env.OIDC_CONFIG_DIR!, { mode: 0o700 });
  const daemon = spawn(agentExe, ['--console', '--quiet', `--socket-path=${socket}`], { env, stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(socket)) return skip(`oidc-agent did not open its socket at ${socket} within 5 s`);
    const args = ['bench', `--issuer=${bench.sandbox.issuer}`, '-m', `--client-id=${client.clientId}`, `--client-secret=${client.clientSecret}`, '--rt-env', '--scope=openid offline_access'];
    const made = await runAsync(gen, [...args, '--pw-env', '--confirm-default', '--prompt=none', '--no-url-call'], env, 30_000);
    if (made.status !== 0) return skip(`oidc-gen could not make the account (exit ${made.status ?? 'none: timed out after 30 s'}): ${made.output.trim().split('\n').at(-1)}`);
    // Its token is cached in oidc-agent from here on: the timed runs below ask the sandbox nothing.
    const first = await runAsync(token, ['bench'], env, 10_000);
    if (first.status !== 0 || !first.stdout.trim()) return skip(`oidc-token gave no token (exit ${first.status ?? 'none: timed out after 10 s'}): ${first.output.trim()}`);
    const t = bench.compare([token, 'bench'], [node, '-e', '0'], env);
    bench.add({ name: `oidc-token (oidc-agent ${oidcAgentVersion(agentExe)}) / node -e 0, for reference (${t.subject.toFixed(1)} ms / ${t.baseline.toFixed(1)} ms)`, value: `${t.ratio.toFixed(2)}×`, target: 'reference', ok: true });
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('close', r));
  }
}

/** A program run without blocking this process, which also runs the sandbox that program may ask. */
function runAsync(program: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ status: number | null; stdout: string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), (output += d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('close', (status) => resolve({ status, stdout, output }));
  });
}

function oidcAgentVersion(exe: string): string {
  return /\d+\.\d+\.\d+/.exec(spawnSync(exe, ['--version'], { encoding: 'utf8' }).stdout)?.[0] ?? 'unknown version';
}
