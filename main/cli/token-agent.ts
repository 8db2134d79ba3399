/**
 * The fast path of `authtray token`: before the command loads anything else, ask a running agent
 * (main/agent/client.ts). Served: print the token and finish. No agent, or anything unusual in the
 * arguments (`--no-agent`, `--store` or a shared store in AUTHTRAY_STORE, `--scope`, a bad flag): hand over to the full command, which
 * does what it always did. Node built-ins and the tiny agent client only.
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { askAgent } from '../agent/client.js';
import { durationText, parseDuration } from '../agent/duration.js';
import { authtrayHome } from '../store/home.js';

/** True when the agent answered (the token printed, or its error reported); false: run the command. */
export async function tokenViaAgent(argv: string[], env: NodeJS.ProcessEnv, stdout: Writable, stderr: Writable): Promise<boolean> {
  if (argv[0] !== 'token') return false;
  let values;
  try {
    ({ values } = parseArgs({ args: argv.slice(1), options: { profile: { type: 'string', default: 'default' }, 'min-valid': { type: 'string' } }, strict: true }));
  } catch {
    return false; // --no-agent, --store, --scope ... or a mistake the full command explains
  }
  // A shared store named in the environment (a fleet host) is the command's to look in, not the agent's.
  if (env.AUTHTRAY_STORE?.includes('://')) return false;
  const minValidMs = values['min-valid'] === undefined ? undefined : parseDuration(values['min-valid']);
  if (minValidMs === null) return false;
  const home = authtrayHome(env);
  const reply = await askAgent(
    { op: 'token', profile: values.profile, home: resolve(home), client: 'authtray token', ...(minValidMs === undefined ? {} : { minValidMs }) },
    {
      env,
      home,
      // The tray app asks the person first: say so, for whoever runs this in a terminal.
      onWaiting: (ms) => void stderr.write(`authtray: waiting for you to allow this program in the authtray window (at most ${durationText(ms)})…\n`),
    },
  );
  if (!reply.served) {
    if (reply.warning) stderr.write(`warning: ${reply.warning}\n`);
    return false;
  }
  const { answer } = reply;
  if (answer.ok && 'token' in answer) {
    stdout.write(`${answer.token}\n`);
    return true;
  }
  if (answer.ok) return false;
  if (answer.error.code === 'AGENT_UNAVAILABLE') {
    stderr.write(`warning: ${answer.error.message} Going without it.\n`);
    return false;
  }
  // The agent's typed error, reported as the command reports its own (same message, same exit code).
  const [{ report }, { AuthtrayError }] = await Promise.all([import('./main.js'), import('../errors.js')]);
  process.exitCode = report(new AuthtrayError(answer.error.code as never, answer.error.message, { cliMessage: typeof answer.error.cliMessage === "string" ? answer.error.cliMessage : undefined }), { stderr });
  return true;
}
