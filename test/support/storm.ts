/**
 * A refresh storm: P processes, each with N concurrent `accessToken()` callers, all released at
 * the same moment against one expired record. Each process is a real Node process running the
 * built accounts service (dist/), as the app, CLI runs and scripts would on one machine or many.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';

const CHILD = `
const { Accounts } = await import(${JSON.stringify(join(ROOT, 'dist/main/accounts.js'))});
const [profile, callers] = [process.argv[1], Number(process.argv[2])];
const accounts = new Accounts({ home: process.env.AUTHTRAY_HOME, store: process.env.AUTHTRAY_STORE || undefined });
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const results = await Promise.allSettled(Array.from({ length: callers }, () => accounts.accessToken(profile)));
await accounts.close();
process.stdout.write(JSON.stringify(results.map((r) => (r.status === 'fulfilled' ? { token: r.value } : { error: String(r.reason?.code) + ': ' + r.reason?.message })))+ '\\n');
`;

export interface StormResult {
  /** Every token handed out, one per caller. */
  tokens: string[];
  /** Every error, as `CODE: message`. */
  errors: string[];
}

/** Runs the storm; `envs` gives each process its environment (round robin: several "hosts"). */
export async function refreshStorm(options: { processes: number; callers: number; profile: string; envs: NodeJS.ProcessEnv[] }): Promise<StormResult> {
  const children = Array.from({ length: options.processes }, (_, i) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, options.profile, String(options.callers)], {
      env: options.envs[i % options.envs.length],
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('ready\n') && resolve());
      child.once('exit', (code) => reject(new Error(`storm process exited (${code}) before it was ready: ${out}`)));
    });
    const done = new Promise<string>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`storm process exited ${code}: ${out}`)))));
    return { child, ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const { child } of children) child.stdin.end('go\n');
  const result: StormResult = { tokens: [], errors: [] };
  for (const { done } of children) {
    const lines = (await done).trim().split('\n');
    for (const item of JSON.parse(lines.at(-1)!) as { token?: string; error?: string }[]) {
      if (item.token !== undefined) result.tokens.push(item.token);
      else result.errors.push(item.error!);
    }
  }
  return result;
}
