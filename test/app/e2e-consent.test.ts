/**
 * Consent end to end in Debian's Chromium: the app's agent (its real core, in this process) serving
 * on a private socket, real `authtray token` processes asking it, the question in the window
 * answered with the keyboard (Allow once, Always for this program, Deny), Always kept in a real
 * electron-store settings file across a restart of the agent and the app's settings, and revoked in
 * Settings so that the next request asks again. axe-core on each new view; no token crosses the bridge.
 */
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { Agent } from '../../main/agent/agent.js';
import { Consent } from '../../main/agent/consent.js';
import { agentSocketPath } from '../../main/agent/paths.js';
import { AppSettings, settingsStoreOptions, type AppSettingsData } from '../../main/settings/app-settings.js';
import { agentEnv, credentials, linkProfile } from '../agent/support.js';
import { startSandbox, type Sandbox } from '../sandbox/provider.js';
import { startCli, type CliResult } from '../support/cli.js';
import { sandboxAppService } from '../support/fixtures.js';
import { requireProgram } from '../support/system.js';
import { openWindow, type AppWindow } from '../support/window.js';

vi.mock('electron', async () => await import('../support/electron-stub/electron.js'));
const { default: ElectronStore } = await import('electron-store');

let sandbox: Sandbox;
const dirs: string[] = [];
let home: string;
let env: NodeJS.ProcessEnv;
let node: string;

/** The app as it runs its agent: settings from the file, consent over them, the agent, the window. */
interface RunningApp {
  settings: AppSettings;
  consent: Consent;
  agent: Agent;
  accounts: Accounts;
  win: AppWindow;
  page: Page;
  stop(): Promise<void>;
}
let app: RunningApp;

async function startApp(): Promise<RunningApp> {
  const accounts = new Accounts({ home, store: 'plaintext' });
  const settings = new AppSettings(new ElectronStore<AppSettingsData>(settingsStoreOptions(join(home, 'electron'), '0.1.0')));
  const consent: Consent = new Consent({ decisions: settings.consentDecisions, account: (profile) => desktop.service.accountLabel(profile) });
  const desktop = sandboxAppService(accounts, sandbox.issuer, { settings, consent });
  const agent = await Agent.start({ accounts, socket: agentSocketPath(env, home), consent });
  const win = await openWindow(desktop.service);
  return {
    settings,
    consent,
    agent,
    accounts,
    win,
    page: win.page,
    async stop() {
      consent.close();
      await agent.close();
      await win.close();
      await accounts.close();
    },
  };
}

/** `authtray token --profile work`, as a program runs it. */
function token(): Promise<CliResult> {
  const run = startCli(['token', '--profile', 'work'], env);
  run.child.stdin.end();
  return run.result;
}

const stored = async () => (await credentials(home).load('work'))!.accessToken;
const focused = (page: Page) => page.evaluate<string>('document.activeElement?.textContent ?? ""');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const WAITING = 'authtray: waiting for you to allow this program in the authtray window (at most 2 minutes)…\n';

beforeAll(async () => {
  requireProgram('ss', 'iproute2');
  for (let i = 0; i < 3; i++) dirs.push(await mkdtemp(join(tmpdir(), 'authtray-e2e-consent-')));
  const [sandboxData, runtime] = dirs;
  home = dirs[2]!;
  sandbox = await startSandbox({ dataDir: sandboxData! });
  await linkProfile(sandbox, home, 'work');
  env = agentEnv(home, runtime!);
  node = await realpath(process.execPath);
  app = await startApp();
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await sandbox?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('consent in the window', { timeout: 90_000 }, () => {
  it('a program asks: the window shows which program and which account; Allow once by keyboard gives it the token, once', async () => {
    const { page, win } = app;
    const asking = token();
    const prompt = page.getByRole('region', { name: 'A program asks for your account' });
    await prompt.waitFor();
    expect(await focused(page)).toBe('A program asks for your account');
    await expect(prompt.textContent()).resolves.toContain(`${node} wants an access token of Sandbox — work@example.test.`);
    await expect(prompt.getByText('checked by the system').isVisible()).resolves.toBe(true);
    await expect(prompt.locator('dd', { hasText: /^pid \d+$/ }).isVisible()).resolves.toBe(true);
    await expect(prompt.locator('dd', { hasText: 'Sandbox — work@example.test (profile "work")' }).isVisible()).resolves.toBe(true);
    await win.shot('consent-01-question');
    await win.expectAccessible('consent question');
    await page.emulateMedia({ colorScheme: 'dark' });
    await win.expectAccessible('consent question, dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Allow once');
    await page.keyboard.press('Enter');
    expect(await asking).toEqual({ code: 0, stdout: `${await stored()}\n`, stderr: WAITING });
    await prompt.waitFor({ state: 'detached' });
    expect(app.settings.consentDecisions.load()).toEqual([]);
  });

  it('Deny by keyboard: the program gets the denial word for word and exit code 1', async () => {
    const { page } = app;
    const asking = token();
    const prompt = page.getByRole('region', { name: 'A program asks for your account' });
    await prompt.waitFor();
    for (const label of ['Allow once', 'Always for this program', 'Deny']) {
      await page.keyboard.press('Tab');
      expect(await focused(page)).toBe(label);
    }
    await page.keyboard.press('Enter');
    const result = await asking;
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^${escape(WAITING)}authtray: You denied ${escape(node)} \\(pid \\d+\\) a token for profile "work" in the authtray window\\. If that was a mistake, run it again and choose Allow\\.\\n$`),
    );
    await prompt.waitFor({ state: 'detached' });
  });

  it('Always for this program is kept in the settings file and asked no more, also after a restart of the agent and the settings', async () => {
    const { page } = app;
    const asking = token();
    await page.getByRole('region', { name: 'A program asks for your account' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Always for this program');
    await page.keyboard.press('Enter');
    expect(await asking).toEqual({ code: 0, stdout: `${await stored()}\n`, stderr: WAITING });
    const file = JSON.parse(await readFile(app.settings.path, 'utf8'));
    expect(file.consent).toEqual([{ program: node, verified: true, profile: 'work', decidedAt: expect.any(String) }]);
    expect(await token()).toEqual({ code: 0, stdout: `${await stored()}\n`, stderr: '' });

    await app.stop();
    app = await startApp();
    expect(await token()).toEqual({ code: 0, stdout: `${await stored()}\n`, stderr: '' });
    expect(app.consent.view().questions).toEqual([]);
  });

  it('revoked in Settings with the keyboard: the next request asks again', async () => {
    const { page, win } = app;
    await page.getByRole('button', { name: 'Settings' }).focus();
    await page.keyboard.press('Enter');
    const revoke = page.getByRole('button', { name: `Revoke ${node} for profile work` });
    await revoke.waitFor();
    await expect(page.getByRole('region', { name: 'Programs allowed to use your accounts' }).textContent()).resolves.toContain(`${node} Profile "work", allowed `);
    await win.shot('consent-02-settings-allowed');
    await win.expectAccessible('settings with an allowed program');
    await revoke.focus();
    await page.keyboard.press('Enter');
    await page.getByText("None. A program that asks for an account's token is asked about in this window first.").waitFor();
    expect(JSON.parse(await readFile(app.settings.path, 'utf8')).consent).toEqual([]);
    await win.expectAccessible('settings, nothing allowed');

    const asking = token();
    await page.getByRole('region', { name: 'A program asks for your account' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect((await asking).code).toBe(0);
    // What crossed the bridge: questions and decisions, never a token.
    const token_ = await stored();
    expect(win.bridge.wire.some((m) => m.includes('"questions"'))).toBe(true);
    expect(win.bridge.wire.filter((m) => m.includes(token_))).toEqual([]);
  });
});
