// `authtray link` as a person answers it at a real terminal (tmux): pasting in every mode, a stray
// Enter, a typo, `finish` from another terminal, Ctrl-C at each prompt (the hidden one too), Ctrl-D.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { BIN, cliEnv, runCli } from '../support/cli.js';
import { useSandbox } from '../support/fixtures.js';
import { approve } from '../support/login.js';
import { openTerminal, type Terminal } from '../support/pty.js';

const fx = useSandbox();
/** A zone far from UTC, so a time shown in UTC by mistake would not match. */
const TZ = 'Asia/Kathmandu';
let terminals: Terminal[] = [];
afterEach(async () => {
  await Promise.all(terminals.map((t) => t.close()));
  terminals = [];
});

async function link(args: string[], extra: Record<string, string | undefined> = {}) {
  const t = await openTerminal([process.execPath, BIN, 'link', '--provider', 'sandbox', '--issuer', fx.sandbox.issuer, '--no-browser', ...args], cliEnv(fx.home, { TZ, ...extra }));
  terminals.push(t);
  const screen = await t.waitFor(/press Enter:$/m);
  const url = screen.split('\n').find((l) => l.startsWith('http://'))!;
  return { t, url, screen };
}

/** The pending link's deadline as the person's clock shows it. */
async function until(profile = 'default') {
  const pending = JSON.parse(await readFile(join(fx.home, 'pending', `${profile}.json`), 'utf8')) as { expiresAt: number };
  return untilOf(pending.expiresAt);
}

const pending = async () => readdir(join(fx.home, 'pending')).catch(() => []);
const LINKED = 'Linked: profile "default" (sandbox)\n  Account: Alice Example <alice@example.test> (id alice)';

describe('answering a waiting link at a terminal', () => {
  it('default redirect: a stray Enter and a typo keep it waiting; the pasted address links it (exit 0)', async () => {
    const { t, url, screen } = await link([]);
    const time = await until();
    const redirectUri = new URL(url).searchParams.get('redirect_uri');
    expect(screen).toContain(`Waiting for the browser to come back to ${redirectUri} until ${time} (Ctrl-C cancels).\nIf it cannot, paste the address it shows (or the code) here and press Enter:`);
    const still = `Still waiting for the browser until ${time}: paste the code or the whole address, or press Ctrl-C to cancel.`;
    await t.press('Enter');
    await t.waitFor(`Nothing was entered. ${still}`);
    await t.paste('not the code!');
    await t.press('Enter');
    await t.waitFor(`That is not a code or an address from the provider. ${still}`);
    await t.paste('wrongcode123');
    await t.press('Enter');
    await t.waitFor(`The provider did not accept that code: it may be mistyped, or already used. ${still}`);
    const { redirectUrl } = await approve(url, { login: 'alice' });
    await t.paste(redirectUrl);
    await t.press('Enter');
    expect(await t.exitCode()).toBe(0);
    expect(await t.screen()).toContain(LINKED);
    expect(await t.screen()).not.toMatch(/cancelled/);
    expect(await pending()).toEqual([]);
    // The listener closed with the link.
    await expect(fetch(redirectUri!)).rejects.toThrow();
  });

  it('--redirect paste: the bare code links it', async () => {
    const { t, url, screen } = await link(['--redirect', 'paste']);
    expect(screen).toContain(`Waiting until ${await until()} (Ctrl-C cancels).\nThen paste the whole address from the browser’s address bar (it may say the page cannot be reached) and press Enter:`);
    const { redirectUrl } = await approve(url, { login: 'alice' });
    await t.paste(new URL(redirectUrl).searchParams.get('code')!);
    await t.press('Enter');
    expect(await t.exitCode()).toBe(0);
    expect(await t.screen()).toContain(LINKED);
  });

  it('--redirect loopback: the browser coming back links it, and so does a pasted bare code', async () => {
    const first = await link(['--redirect', 'loopback']);
    await approve(first.url, { login: 'alice', follow: true });
    expect(await first.t.exitCode()).toBe(0);
    expect(await first.t.screen()).toContain(LINKED);

    const second = await link(['--redirect', 'loopback', '--profile', 'other']);
    const { redirectUrl } = await approve(second.url, { login: 'bob' });
    await second.t.paste(new URL(redirectUrl).searchParams.get('code')!);
    await second.t.press('Enter');
    expect(await second.t.exitCode()).toBe(0);
    expect(await second.t.screen()).toContain('Linked: profile "other" (sandbox)\n  Account: Bob Example <bob@example.test> (id bob)');
  });

  it('`authtray finish` in another terminal ends the waiting link with exit 0', async () => {
    const { t, url } = await link([]);
    const { redirectUrl } = await approve(url, { login: 'alice' });
    const elsewhere = await runCli(['finish', redirectUrl], cliEnv(fx.home, { TZ }));
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stderr).toContain(LINKED);
    expect(await t.exitCode()).toBe(0);
    expect(await t.screen()).toContain(LINKED);
  });

  it('Ctrl-D: with a listener it keeps waiting for the browser; without one it cancels', async () => {
    const { t, url } = await link([]);
    await t.press('C-d');
    await t.waitFor(`No more input from the terminal: still waiting for the browser until ${await until()} (Ctrl-C cancels).`);
    await approve(url, { login: 'alice', follow: true });
    expect(await t.exitCode()).toBe(0);
    expect(await t.screen()).toContain(LINKED);

    const paste = await link(['--redirect', 'paste', '--profile', 'other']);
    await paste.t.press('C-d');
    expect(await paste.t.exitCode()).toBe(1);
    expect(await paste.t.screen()).toMatch(/^authtray: No code was entered \(Ctrl-D\), so the link was cancelled\. Start it again: authtray link --profile other$/m);
    expect(await pending()).toEqual([]);
  });
});

describe('Ctrl-C', () => {
  it('at the paste prompt: one line, exit 130, the listener closed, nothing pending', async () => {
    const { t, url } = await link([]);
    await t.press('C-c');
    expect(await t.exitCode()).toBe(130);
    const screen = await t.screen();
    expect(screen.split('\n').at(-1)).toBe('authtray: Cancelled (Ctrl-C). Nothing was linked.');
    expect(screen).not.toMatch(/report this/);
    expect(await pending()).toEqual([]);
    await expect(fetch(new URL(url).searchParams.get('redirect_uri')!)).rejects.toThrow();
  });

  it('at the hidden client-secret prompt: one line, exit 130, nothing pending', async () => {
    const t = await openTerminal(
      [process.execPath, BIN, 'link', '--provider', 'box', '--client-id', SANDBOX_CLIENTS.box.clientId, '--no-browser',
        '--authorize-url', `${fx.sandbox.issuer}/auth`, '--token-url', `${fx.sandbox.issuer}/token`, '--api-url', `${fx.sandbox.issuer}/box/`],
      cliEnv(fx.home),
    );
    terminals.push(t);
    await t.waitFor('Client secret (input hidden):');
    await t.paste('typed-but-hidden');
    await t.waitFor('Client secret (input hidden):');
    expect(await t.screen()).not.toContain('typed-but-hidden');
    await t.press('C-c');
    expect(await t.exitCode()).toBe(130);
    expect((await t.screen()).split('\n').at(-1)).toBe('authtray: Cancelled (Ctrl-C).');
    expect(await pending()).toEqual([]);
  });
});

describe('authtray finish at a terminal', () => {
  /** A link started by a script (stdin closed): it stays pending for `finish`. */
  async function startedByScript() {
    const started = await runCli(['link', '--provider', 'sandbox', '--issuer', fx.sandbox.issuer, '--redirect', 'paste', '--no-browser'], cliEnv(fx.home, { TZ }));
    expect(started.stderr.split('\n').at(-2)).toBe(`authtray: No code was entered. The link stays open until ${await until()}: finish it with "authtray finish --profile default CODE".`);
    return started.stdout.trim();
  }
  const finish = async () => {
    const t = await openTerminal([process.execPath, BIN, 'finish'], cliEnv(fx.home, { TZ }));
    terminals.push(t);
    await t.waitFor(`Paste the code, or the whole address from the browser, and press Enter (until ${await until()}; Ctrl-C cancels):`);
    return t;
  };

  it('asks for the code; Ctrl-C leaves the link pending for another try, which links it', async () => {
    const url = await startedByScript();
    const first = await finish();
    await first.press('Enter');
    await first.waitFor(`Nothing was entered. Still waiting until ${await until()}: paste the code or the whole address, or press Ctrl-C to cancel.`);
    await first.press('C-c');
    expect(await first.exitCode()).toBe(130);
    expect((await first.screen()).split('\n').at(-1)).toBe('authtray: Cancelled (Ctrl-C). Nothing was linked.');
    expect(await pending()).toEqual(['default.json']);

    const second = await finish();
    const { redirectUrl } = await approve(url, { login: 'alice' });
    await second.paste(redirectUrl);
    await second.press('Enter');
    expect(await second.exitCode()).toBe(0);
    expect(await second.screen()).toContain(LINKED);
  });

  it('honours the link’s deadline', async () => {
    await startedByScript();
    const file = join(fx.home, 'pending', 'default.json');
    const record = JSON.parse(await readFile(file, 'utf8')) as { expiresAt: number };
    record.expiresAt = Date.now() + 2500;
    await writeFile(file, JSON.stringify(record));
    const t = await finish();
    expect(await t.exitCode()).toBe(1);
    expect((await t.screen()).split('\n').at(-1)).toBe(`authtray: The link attempt expired at ${untilOf(record.expiresAt)} (a link stays open 10 minutes). Start it again: authtray link --profile default`);
  });
});

/** A time as the person's clock in TZ shows it: HH:MM, with the date in front when it is not today there. */
function untilOf(expiresAt: number) {
  const time = new Date(expiresAt).toLocaleTimeString('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const day = (at: number) => new Date(at).toLocaleDateString('en-CA', { timeZone: TZ }); // YYYY-MM-DD
  return day(expiresAt) === day(Date.now()) ? time : `${day(expiresAt)} ${time}`;
}
