// The real entry point, bundled as `npm start` bundles it, started under Node with a stand-in for
// the electron module: the bundle loads, finds its preload, page and icon, and answers IPC.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../main/app/ipc.js';
import { providerOptions } from '../../main/link-request.js';
import { WINDOW_CSP } from '../../main/app/scheme.js';
import { buildApp } from '../../scripts/app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(async () => {
  await buildApp();
}, 120_000);

describe('dist/app/main.js', () => {
  it('starts: hardened window on the built page, tray with its icon, every IPC channel, permissions denied', async () => {
    const home = await mkdtemp(join(tmpdir(), 'authtray-main-'));
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/support/electron-stub/register.ts', 'dist/app/main.js'], {
        cwd: root,
        env: { ...process.env, AUTHTRAY_HOME: home, AUTHTRAY_STORE: 'plaintext', XDG_CONFIG_HOME: join(home, 'xdg'), XDG_RUNTIME_DIR: join(home, 'run') },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
      const [window] = report.windows;
      expect(window.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
      expect(window.webPreferences.preload).toBe(join(root, 'dist/app/preload.cjs'));
      expect(existsSync(window.webPreferences.preload)).toBe(true);
      // The page comes from the app's own privileged scheme, the built index.html with the CSP as a header; nothing outside dist/renderer.
      expect(report.privileged).toEqual({ schemes: [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }], beforeReady: true });
      expect(report.loaded).toBe('app://authtray/index.html');
      expect(report.page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', csp: WINDOW_CSP, escapeStatus: 404 });
      expect(report.page.body).toBe(readFileSync(join(root, 'dist/renderer/index.html'), 'utf8'));
      expect(report.trayIcon).toBe(join(root, 'assets/tray/tray.png'));
      expect(existsSync(report.trayIcon)).toBe(true);
      expect(report.menu[0]).toBe('No account linked');
      expect(report.handled.sort()).toEqual([...CHANNELS].sort());
      expect(report.permissionsDenied).toBe(true);
      expect(report.shown).toBe(true);
      expect(report.name).toBe('authtray');
      expect(report['path:userData']).toBe(join(home, 'electron'));
      // Run from source: the sandbox is offered; AUTHTRAY_STORE=plaintext puts new links under AUTHTRAY_HOME.
      expect(report.appInfo).toEqual({
        ok: true,
        value: { sandbox: { issuer: 'http://127.0.0.1:7480' }, providers: providerOptions(true), newLinkStore: { backend: 'plaintext', location: join(home, 'credentials'), secure: false } },
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('the preload bundle is one CommonJS script that needs nothing but electron', () => {
    const preload = readFileSync(join(root, 'dist/app/preload.cjs'), 'utf8');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    expect(preload).toContain('exposeInMainWorld');
  });
});

/** electron-builder's globs as far as this config uses them: `**` any path, `*` within one segment. */
const globMatches = (glob: string, path: string) =>
  new RegExp(`^${glob.split('**').map((part) => part.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*')}$`).test(path);

describe('electron-builder.yml', () => {
  const config = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
  const list = (key: string) => {
    const block = new RegExp(`^${key}:\\n((?: {2}[-#].*\\n)+)`, 'm').exec(config)?.[1] ?? '';
    return block
      .split('\n')
      .filter((line) => line.startsWith('  - '))
      .map((line) => line.replace(/^ {2}- /, '').replace(/^'|'$/g, ''));
  };

  it('packs what the entry point loads, and makes the main script the packaged app\'s entry', () => {
    expect(list('files')).toEqual(expect.arrayContaining(['dist/app/**', 'dist/renderer/**', 'assets/tray/**', 'package.json']));
    // package.json's own `main` is the library entry.
    expect(config).toMatch(/^extraMetadata:\n {2}main: dist\/app\/main\.js$/m);
  });

  it('keeps the keyring binding out of the asar archive, and names every target', () => {
    expect(list('asarUnpack')).toEqual(['node_modules/@napi-rs/keyring*/**']);
    expect(config).toMatch(/^appId: \S+/m);
    expect(config).toMatch(/^mac:\n {2}target: dmg/m);
    expect(config).toMatch(/^win:\n {2}target: nsis/m);
    expect(config).toMatch(/^linux:\n {2}target: \[AppImage, deb\]/m);
    for (const icon of ['assets/icon.png', 'assets/tray/tray.png', 'assets/tray/tray@2x.png', 'assets/tray/trayTemplate.png', 'assets/tray/trayTemplate@2x.png']) {
      expect(existsSync(join(root, icon)), icon).toBe(true);
    }
  });

  it('is valid for electron-builder itself, flips the fuses SECURITY.md asks for, and still unpacks the keyring binding', async () => {
    const { getConfig, validateConfiguration } = await import('app-builder-lib/out/util/config/config.js');
    const loaded = await getConfig(root, null, null);
    await validateConfiguration(loaded, { isEnabled: false, add: () => {} } as never);
    expect(loaded.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(loaded.asar).toBe(true);
    // The native binding (and the package that requires it) fall under asarUnpack, so they land in
    // app.asar.unpacked, where Electron loads native modules from.
    const binding = createRequire(join(root, 'package.json')).resolve('@napi-rs/keyring');
    const natives = readdirSync(join(root, 'node_modules/@napi-rs'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.node'))
      .map((f) => `node_modules/@napi-rs/${f}`);
    expect(natives.length).toBeGreaterThan(0);
    for (const file of [relative(root, binding), ...natives]) {
      expect((loaded.asarUnpack as string[]).some((glob) => globMatches(glob, file)), file).toBe(true);
    }
  });
});
