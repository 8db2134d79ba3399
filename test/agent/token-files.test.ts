// Token files through the real `authtray agent`: only the access token, 0600 in a private
// directory, rewritten when the refresh rule renews it (well before expiry), removed on unlink, on
// needs-relink and when the agent stops. The sandbox here gives 4 s tokens, renewed with a quarter
// of their life (1 s) left, so the rewrites come quickly.
import { lstat, mkdir, readFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/provider.js';
import { runCli, tempHome } from '../support/cli.js';
import { revokeAtProvider, waitFor } from '../support/fixtures.js';
import { agentEnv, credentials, linkProfile, runtimeDir, startAgent, type RunningAgent } from './support.js';

let sandbox: Sandbox;
const cleanups: (() => Promise<void>)[] = [];
const agents: RunningAgent[] = [];
beforeAll(async () => {
  const data = await tempHome();
  cleanups.push(data.cleanup);
  sandbox = await startSandbox({ dataDir: data.dir, accessTokenTtl: 4 });
});
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop('SIGKILL');
});
afterAll(async () => {
  await sandbox?.close();
  for (const cleanup of cleanups) await cleanup();
});

async function setup() {
  const [home, runtime] = [await tempHome(), await runtimeDir()];
  cleanups.push(home.cleanup, runtime.cleanup);
  await linkProfile(sandbox, home.dir, 'work');
  await linkProfile(sandbox, home.dir, 'home');
  return { home: home.dir, runtime: runtime.dir, env: agentEnv(home.dir, runtime.dir) };
}

const exists = (path: string) => lstat(path).then(() => true, () => false);

it('keeps each token file current, removes it on unlink and when the agent stops', async () => {
  const { home, runtime, env } = await setup();
  const work = join(runtime, 'files', 'work.token');
  const agent = await startAgent(env, ['--token-file', `work=${work}`, '--token-file', 'home']);
  agents.push(agent);
  const homeFile = join(runtime, 'authtray', 'tokens', 'home.token');

  const stored = async (profile: string) => (await credentials(home).load(profile))!;
  expect(await readFile(work, 'utf8')).toBe((await stored('work')).accessToken);
  expect(await readFile(homeFile, 'utf8')).toBe((await stored('home')).accessToken);
  for (const file of [work, homeFile]) {
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    expect((await lstat(dirname(file))).mode & 0o777).toBe(0o700);
  }

  // Rewritten when renewed, before the old one expired: the file always holds the stored token.
  const before = await stored('work');
  await waitFor(async () => (await readFile(work, 'utf8')) !== before.accessToken, 'the token file to be rewritten', 15_000);
  expect((await lstat(work)).mtimeMs).toBeLessThan(before.expiresAt!); // written while the old token still worked
  const record = await stored('work');
  expect(await readFile(work, 'utf8')).toBe(record.accessToken);
  expect(record.expiresAt!).toBeGreaterThan(Date.now());
  expect(JSON.parse((await runCli(['status', '--profile', 'work', '--json'], env)).stdout).agent.tokenFile).toBe(work);

  expect((await runCli(['unlink', '--profile', 'work'], env)).code).toBe(0);
  await waitFor(async () => !(await exists(work)), 'the unlinked profile\'s token file to go', 10_000);
  expect(await exists(homeFile)).toBe(true);

  const stopped = await agent.stop('SIGTERM');
  expect(stopped.code).toBe(0);
  expect(stopped.stderr).toContain('authtray agent: token file for "home" removed: the agent stopped\n');
  expect(await exists(homeFile)).toBe(false);
});

it('removes the token file when the profile needs relinking', async () => {
  const { home, runtime, env } = await setup();
  const work = join(runtime, 'authtray', 'tokens', 'work.token');
  const agent = await startAgent(env, ['--token-file', 'work']);
  agents.push(agent);
  expect(await exists(work)).toBe(true);
  await revokeAtProvider(sandbox.issuer, (await credentials(home).load('work'))!.refreshToken!);
  const removed = 'authtray agent: token file for "work" removed: the profile needs to be linked again\n';
  await waitFor(() => agent.run.stderrSoFar().includes(removed), 'the agent to remove the token file once the grant is refused', 15_000);
  expect(await exists(work)).toBe(false);
  expect(JSON.parse((await runCli(['status', '--profile', 'work', '--json'], env)).stdout).needsRelink).toBe(true);
});

it('refuses a token file in a directory others can write to, or for a profile that is not linked', async () => {
  const { runtime, env } = await setup();
  const open = join(runtime, 'shared');
  await mkdir(open);
  await chmod(open, 0o777);
  expect(await runCli(['agent', '--token-file', `work=${open}/work.token`], env)).toEqual({
    code: 64,
    stdout: '',
    stderr: `authtray: The token file ${open}/work.token cannot be kept there: ${open} can be written by other users (mode 777). Use a directory only you can write to (chmod 700).\n`,
  });
  expect(await runCli(['agent', '--token-file', 'nobody'], env)).toEqual({
    code: 1,
    stdout: '',
    stderr: 'authtray: Profile "nobody" is not linked. Run: authtray link --profile nobody --provider ...\n',
  });
  expect(await exists(join(runtime, 'authtray', 'agent.sock'))).toBe(false);
});
