// The library entry (`import ... from 'authtray'`, package.json "exports"): what it exports, that
// importing it loads no Electron and no UI and leaves nothing running, and that its types serve a
// strict TypeScript consumer. Runs against the build, as a program that installed authtray would.
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

/** Imports the package by name in a fresh node, recording every module it resolves (ESM hook) or requires (CJS cache). */
const PROBE = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const hooks = \`
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}\`;
const { port1, port2 } = new MessageChannel();
const esm = [];
port1.on('message', (url) => esm.push(url));
register('data:text/javascript,' + encodeURIComponent(hooks), import.meta.url, { data: { port: port2 }, transferList: [port2] });
const lib = await import('authtray');
await new Promise((resolve) => setTimeout(resolve, 100));
port1.close();
const cjs = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({ exports: Object.keys(lib).sort(), esm, cjs }));
`;

const consumerDir = join(ROOT, 'test-output', `consumer-${process.pid}`);
afterAll(() => rm(consumerDir, { recursive: true, force: true }));

describe("the library entry, 'authtray'", () => {
  it('exports the service, sessions, stores and errors, and loads no Electron, React or app code', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    // It exits by itself: importing opened no server, socket or timer.
    expect(run.status, run.stderr).toBe(0);
    const { exports, esm, cjs } = JSON.parse(run.stdout) as { exports: string[]; esm: string[]; cjs: string[] };
    expect(exports).toEqual(
      expect.arrayContaining([
        'Accounts',
        'OAuthSession',
        'cooperativeSession',
        'remoteSession',
        'InProcessRefreshLock',
        'MemoryCredentialStore',
        'PlaintextCredentialStore',
        'FileRefreshLock',
        'AuthtrayError',
        'SessionClosedError',
        'NeedsRelinkError',
        'ErrorCodes',
        'parseBoxAppSettings',
        'BOX_DOWNSCOPE_SCOPES',
        'googleScopes',
        'onedriveScopes',
        'checkTenant',
        'MICROSOFT_REMOVE_ACCESS',
      ]),
    );
    const loaded = [...esm, ...cjs];
    // The probe sees what it should: the entry and the service, from the build.
    expect(loaded.some((url) => url.endsWith('/dist/main/index.js'))).toBe(true);
    expect(loaded.some((url) => url.endsWith('/dist/main/accounts.js'))).toBe(true);
    const ui = loaded.filter((url) => /(^|[/:])(electron|react|react-dom)([/@.]|$)|\/node_modules\/@?electron|\/(main\/app|renderer|preload)\//.test(url));
    expect(ui).toEqual([]);
  });

  it('serves a strict TypeScript consumer (types from "exports", `await using` on a session)', async () => {
    await mkdir(consumerDir, { recursive: true });
    await writeFile(
      join(consumerDir, 'consumer.ts'),
      `import { Accounts, AuthtrayError, cooperativeSession, remoteSession, type CredentialRecord, type TokenPair } from 'authtray';
export async function use(home: string): Promise<string> {
  const accounts = new Accounts({ home, onTokens: (profile: string, record: CredentialRecord) => console.log(profile, record.tokenKind) });
  await using session = await accounts.session('work');
  const pair: TokenPair = { accessToken: await session.accessToken(), refreshToken: null };
  const shared = cooperativeSession({ settings: { provider: 'box', clientId: 'x' }, retrieveTokens: () => pair });
  await using _closing = shared.closing({ revoke: false });
  const remote = remoteSession({ url: 'https://tokens.example/box' });
  try {
    return (await remote.downscope(['item_preview'], { resource: 'https://api.box.com/2.0/files/1' })).accessToken;
  } catch (err) {
    if (err instanceof AuthtrayError && err.code === 'SESSION_CLOSED') return '';
    throw err;
  }
}
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--lib', 'es2023,esnext.disposable', '--types', 'node', 'consumer.ts'];
    const run = spawnSync(process.execPath, [tsc, ...args], { cwd: consumerDir, encoding: 'utf8', timeout: 120_000 });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
