/**
 * The desktop app's build and launcher.
 * - `build`: bundles the Electron main process (dist/app/main.js, ESM) and the preload
 *   (dist/app/preload.cjs: a sandboxed preload cannot load ES modules), and builds the window with
 *   Vite (dist/renderer). Run after `npm run build`, which empties dist/.
 * - `start`: `build`, then Electron's binary if it is missing (its installer needs Node 22.12 or
 *   newer), then Electron on dist/app/main.js. Arguments after `--` go to the app (e.g. `--hidden`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const ELECTRON_NODE_MIN = [22, 12] as const;

/** Bundles main/app and the preload, then builds the renderer. */
export async function buildApp(): Promise<void> {
  await esbuild({
    entryPoints: [join(root, 'main/app/main.ts')],
    outfile: join(root, 'dist/app/main.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
  });
  await esbuild({
    entryPoints: [join(root, 'preload/electron.ts')],
    outfile: join(root, 'dist/app/preload.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'browser',
    target: 'chrome130',
    external: ['electron'],
    logLevel: 'warning',
  });
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}

function nodeIsNewEnough(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > ELECTRON_NODE_MIN[0] || (major === ELECTRON_NODE_MIN[0] && minor >= ELECTRON_NODE_MIN[1]);
}

/** The Electron binary, fetched by Electron's own installer when it is not there yet. */
function electronBinary(): string {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  const binary = () => join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (existsSync(pathFile) && existsSync(binary())) return binary();
  if (!nodeIsNewEnough()) {
    throw new Error(`Electron's installer needs Node.js ${ELECTRON_NODE_MIN.join('.')} or newer; this is ${process.versions.node}. Switch Node (e.g. nvm use 22) and run npm start again.`);
  }
  process.stderr.write('Fetching the Electron binary (once)...\n');
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const result = spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: 'inherit', env });
  if (result.status !== 0 || !existsSync(pathFile)) throw new Error('Electron could not be fetched: check the network, then run npm start again.');
  return binary();
}

async function start(args: string[]): Promise<number> {
  await buildApp();
  // The main script itself: package.json's `main` is the library's entry, not the app's.
  const child = spawn(electronBinary(), [join(root, 'dist/app/main.js'), ...args], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

// Run as a script (not when a test imports buildApp).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === 'build') await buildApp();
    else if (command === 'start') process.exitCode = await start(rest.filter((a) => a !== '--'));
    else throw new Error('usage: node --import tsx scripts/app.ts build|start [-- APP_ARGS]');
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
