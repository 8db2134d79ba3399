/**
 * `npm run demo`: the main job, end to end, on this machine only. Starts the sandbox provider on
 * 127.0.0.1, runs the real `authtray link` against it, approves in the sandbox's login page as a
 * user would (or waits for you to, with --interactive), then `status`, `token` and `unlink`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../test/sandbox/provider.js';
import { BIN, cliEnv, runCli, startCli } from '../test/support/cli.js';
import { approve } from '../test/support/login.js';

const interactive = process.argv.includes('--interactive');
const say = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  const sandboxData = await mkdtemp(join(tmpdir(), 'authtray-demo-sandbox-'));
  const home = await mkdtemp(join(tmpdir(), 'authtray-demo-'));
  const sandbox = await startSandbox({ dataDir: sandboxData });
  const env = cliEnv(home, interactive ? { DISPLAY: process.env.DISPLAY, WAYLAND_DISPLAY: process.env.WAYLAND_DISPLAY } : {});
  try {
    say(`Sandbox provider running at ${sandbox.issuer}; AUTHTRAY_HOME=${home}\n`);
    say(`$ authtray link --profile demo --provider sandbox --issuer ${sandbox.issuer}`);
    let code: number | null;
    if (interactive) {
      const child = spawn(process.execPath, [BIN, 'link', '--profile', 'demo', '--provider', 'sandbox', '--issuer', sandbox.issuer], { env, stdio: 'inherit' });
      code = await new Promise((resolve) => child.on('close', resolve));
    } else {
      const run = startCli(['link', '--profile', 'demo', '--provider', 'sandbox', '--issuer', sandbox.issuer, '--no-browser'], env);
      const url = await run.waitForLine(/^http/);
      say(url);
      say('  (playing the user: logging in to the sandbox as "demo" and approving)');
      await approve(url, { login: 'demo', follow: true });
      const result = await run.result;
      process.stdout.write(result.stderr);
      code = result.code;
    }
    if (code !== 0) return code ?? 1;

    for (const args of [['status', '--profile', 'demo'], ['token', '--profile', 'demo'], ['unlink', '--profile', 'demo']]) {
      say(`\n$ authtray ${args.join(' ')}`);
      const result = await runCli(args, env);
      // A sandbox token, shortened anyway: tokens do not belong in terminals' scrollback.
      const out = args[0] === 'token' ? `${result.stdout.trim().slice(0, 8)}… (${result.stdout.trim().length} characters)\n` : result.stdout;
      process.stdout.write(out + result.stderr);
      if (result.code !== 0) return result.code ?? 1;
    }
    say('\nDone: linked, read the account, got an access token, unlinked (and revoked).');
    return 0;
  } finally {
    await sandbox.close();
    await rm(sandboxData, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }
}

process.exitCode = await main();
