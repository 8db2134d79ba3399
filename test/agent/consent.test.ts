// Consent on real sockets: the agent as the tray app runs it (in this process, with the app's
// consent core), asked by real clients over its Unix socket, the peer read from the kernel. One
// question per program and profile, Allow once / Always / Deny, the typed denial on a timeout
// (word for word through the real `authtray token`), decisions kept across a restart and revoked.
import { randomBytes } from 'node:crypto';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { Agent } from '../../main/agent/agent.js';
import { askAgent } from '../../main/agent/client.js';
import { Consent, type DecisionStore } from '../../main/agent/consent.js';
import { agentSocketPath } from '../../main/agent/paths.js';
import { UNNAMED } from '../../main/agent/peer.js';
import type { ConsentDecisionView, ConsentQuestionView } from '../../preload/api.js';
import { runCli, startCli } from '../support/cli.js';
import { sandboxSettings, useSandbox, waitFor } from '../support/fixtures.js';
import { requireProgram } from '../support/system.js';
import { startRedis } from '../support/services.js';
import { linkByPaste } from '../support/login.js';
import { agentEnv, ask, credentials, linkProfile } from './support.js';

const fx = useSandbox();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Decisions in memory, as the settings file keeps them (a fresh copy on every load). */
function memoryDecisions(): DecisionStore & { saved: ConsentDecisionView[] } {
  const store = {
    saved: [] as ConsentDecisionView[],
    load: () => structuredClone(store.saved),
    save: (d: ConsentDecisionView[]) => void (store.saved = structuredClone(d)),
  };
  return store;
}

async function appAgent(decisions: DecisionStore = memoryDecisions(), timeoutMs = 60_000) {
  requireProgram('ss', 'iproute2');
  await linkProfile(fx.sandbox, fx.home, 'work');
  const runtime = await mkdtemp(join(tmpdir(), 'authtray-run-'));
  const env = agentEnv(fx.home, runtime);
  const accounts = new Accounts({ home: fx.home, store: 'plaintext' });
  const consent = new Consent({ decisions, timeoutMs, account: async (p) => (p === 'work' ? 'Sandbox — work@example.test' : null) });
  const asked: ConsentQuestionView[] = [];
  consent.onAsked((q) => asked.push(q));
  const agent = await Agent.start({ accounts, socket: agentSocketPath(env, fx.home), consent });
  cleanups.push(async () => {
    consent.close();
    await agent.close();
    await accounts.close();
    await rm(runtime, { recursive: true, force: true });
  });
  const token = (profile = 'work', onWaiting?: (ms: number) => void) =>
    askAgent({ op: 'token', profile, home: fx.home }, { env, home: fx.home, onWaiting }).then((r) => (r.served ? r.answer : { notServed: r }));
  return { env, consent, agent, asked, token };
}

const stored = async () => (await credentials(fx.home).load('work'))!.accessToken;
const node = () => realpath(process.execPath);

describe('consent in the app: the agent asks the person', () => {
  it('requests from one program for one profile share one question; Allow once answers them and the next request asks again', async () => {
    const { consent, asked, token, agent } = await appAgent();
    const waited: number[] = [];
    const first = token('work', (ms) => waited.push(ms));
    const second = token('work', (ms) => waited.push(ms));
    await waitFor(() => consent.view().questions[0]?.requests === 2, 'both requests to wait on one question');
    expect(asked).toHaveLength(1);
    const [question] = consent.view().questions;
    expect(question).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      program: await node(),
      verified: true,
      pid: process.pid,
      parent: await realpath(`/proc/${process.ppid}/exe`),
      profile: 'work',
      account: 'Sandbox — work@example.test',
      requests: 2,
      canRemember: true,
      askedAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(Date.parse(question!.expiresAt) - Date.parse(question!.askedAt)).toBe(60_000);
    expect(agent.info().serves).toBe('consent');
    // A question for the person, never a token.
    expect(JSON.stringify(consent.view())).not.toContain(await stored());
    await waitFor(() => waited.length === 2, 'the waiting lines');
    for (const ms of waited) expect(ms).toBeGreaterThan(50_000);

    consent.answer(question!.id, 'once');
    const answers = await Promise.all([first, second]);
    expect(answers).toEqual([0, 1].map(() => ({ v: 1, ok: true, token: expect.any(String), expiresAt: expect.any(Number) })));
    expect(answers.map((a) => ('token' in a ? a.token : ''))).toEqual([await stored(), await stored()]);
    expect(consent.view()).toEqual({ questions: [], decisions: [] });

    const third = token();
    await waitFor(() => consent.view().questions.length === 1, 'the next request to ask again');
    expect(() => consent.answer(question!.id, 'once')).toThrow(/no longer waiting/);
    consent.answer(consent.view().questions[0]!.id, 'deny');
    expect(await third).toEqual({
      v: 1,
      ok: false,
      error: { code: 'NOT_APPROVED', message: `You denied ${await node()} (pid ${process.pid}) a token for profile "work" in the authtray window. If that was a mistake, run it again and choose Allow.` },
    });
  });

  it('Always is kept, survives a restart of the agent and its consent, and a revoke makes the next request ask again', async () => {
    const decisions = memoryDecisions();
    const first = await appAgent(decisions);
    const pending = first.token();
    await waitFor(() => first.consent.view().questions.length === 1, 'the question');
    first.consent.answer(first.consent.view().questions[0]!.id, 'always');
    expect(await pending).toMatchObject({ ok: true, token: await stored() });
    expect(decisions.saved).toEqual([{ program: await node(), verified: true, profile: 'work', decidedAt: expect.any(String) }]);
    // Many at once are recognised (one socket-table read serves the connections that were there).
    const many = await Promise.all(Array.from({ length: 200 }, () => first.token()));
    expect(new Set(many.map((a) => ('token' in a ? a.token : JSON.stringify(a))))).toEqual(new Set([await stored()]));
    expect(first.asked).toHaveLength(1);
    for (const cleanup of cleanups.splice(0)) await cleanup();

    const again = await appAgent(decisions);
    expect(await again.token()).toMatchObject({ ok: true, token: await stored() });
    expect(again.asked).toHaveLength(0);
    // Another profile of the same program is its own question.
    await linkProfile(fx.sandbox, fx.home, 'home');
    const other = again.token('home');
    await waitFor(() => again.consent.view().questions.length === 1, 'the question for the other profile');
    expect(again.consent.view().questions[0]).toMatchObject({ profile: 'home', account: null });
    again.consent.answer(again.consent.view().questions[0]!.id, 'deny');
    expect(await other).toMatchObject({ ok: false, error: { code: 'NOT_APPROVED' } });

    const mine = { program: await node(), verified: true, profile: 'work' };
    expect(again.consent.revoke(mine).decisions).toEqual([]);
    expect(() => again.consent.revoke(mine)).toThrow(/not allowed for this account any more/);
    const asksAgain = again.token();
    await waitFor(() => again.consent.view().questions.length === 1, 'the request after the revoke to ask');
    again.consent.close();
    expect(await asksAgain).toMatchObject({ ok: false, error: { code: 'NOT_APPROVED', message: expect.stringMatching(/^The authtray app stopped before anyone answered/) } });
  });

  it('a shared store\'s profile, linked on another host and not in this config, is asked about like any', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const env = { AUTHTRAY_STORE_KEY: randomBytes(32).toString('base64') };
    const hostA = await mkdtemp(join(tmpdir(), 'authtray-host-a-'));
    cleanups.push(() => rm(hostA, { recursive: true, force: true }));
    const linker = new Accounts({ home: hostA, store: redis.url, env });
    await linkByPaste(linker, 'fleet', sandboxSettings(fx.sandbox.issuer), 'fleet');
    await linker.close();

    requireProgram('ss', 'iproute2');
    const runtime = await mkdtemp(join(tmpdir(), 'authtray-run-'));
    const socket = agentSocketPath(agentEnv(fx.home, runtime), fx.home);
    const accounts = new Accounts({ home: fx.home, store: redis.url, env });
    const consent = new Consent({ decisions: memoryDecisions() });
    const agent = await Agent.start({ accounts, socket, consent });
    cleanups.push(async () => {
      consent.close();
      await agent.close();
      await accounts.close();
      await rm(runtime, { recursive: true, force: true });
    });
    const asking = ask(socket, fx.home, { op: 'token', profile: 'fleet' });
    await waitFor(() => consent.view().questions.length === 1, 'the question for the shared profile');
    consent.answer(consent.view().questions[0]!.id, 'deny');
    expect(await asking).toMatchObject({ ok: false, error: { code: 'NOT_APPROVED' } });
  });

  it('a profile not linked here gets its NOT_LINKED at once, without a question', async () => {
    const { token, asked } = await appAgent();
    expect(await token('nobody')).toEqual({ v: 1, ok: false, error: { code: 'NOT_LINKED', message: 'Profile "nobody" is not linked. Link it first.', cliMessage: 'Profile "nobody" is not linked. Run: authtray link --profile nobody --provider ...' } });
    expect(asked).toEqual([]);
  });

  it('authtray token waits for the answer, says so, and reports nobody answering word for word (exit 1)', async () => {
    const { env, consent } = await appAgent(memoryDecisions(), 3000);
    const result = await runCli(['token', '--profile', 'work'], env);
    expect(consent.view().questions).toEqual([]);
    const exe = await node();
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(
        `^authtray: waiting for you to allow this program in the authtray window \\(at most 3 seconds\\)…\\n` +
          `authtray: Nobody answered in the authtray window within 3 seconds whether ${exe.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(pid \\d+\\) may have a token for profile "work", so it got none\\. Run it again and answer in the window\\.\\n$`,
      ),
    );
    // Answered in time: the token, on stdout only.
    const run = startCli(['token', '--profile', 'work'], env);
    run.child.stdin.end();
    await waitFor(() => consent.view().questions.length === 1, 'the question');
    consent.answer(consent.view().questions[0]!.id, 'once');
    expect(await run.result).toEqual({ code: 0, stdout: `${await stored()}\n`, stderr: 'authtray: waiting for you to allow this program in the authtray window (at most 3 seconds)…\n' });
  });

  it('a program that stops waiting (Ctrl-C) takes its question back; one of two leaving keeps it for the other', async () => {
    const { env, consent, token } = await appAgent();
    const leaving = startCli(['token', '--profile', 'work'], env);
    leaving.child.stdin.end();
    await waitFor(() => consent.view().questions.length === 1, 'the question');
    leaving.child.kill('SIGINT');
    await leaving.result;
    await waitFor(() => consent.view().questions.length === 0, 'the question to be withdrawn');

    const staying = token();
    const second = startCli(['token', '--profile', 'work'], env);
    second.child.stdin.end();
    await waitFor(() => consent.view().questions[0]?.requests === 2, 'two requests on one question');
    second.child.kill('SIGKILL');
    await second.result;
    await waitFor(() => consent.view().questions[0]?.requests === 1, 'one request left');
    consent.answer(consent.view().questions[0]!.id, 'once');
    expect(await staying).toMatchObject({ ok: true, token: await stored() });
  });
});

describe('decisions match program and profile, verified or not', () => {
  const asker = (program: string, verified: boolean) => ({ program, verified, pid: verified ? 1 : null, parent: null });

  it('a name the program gave itself never matches the verified executable of that name, nor the reverse; an unnamed program cannot be remembered', async () => {
    const decisions = memoryDecisions();
    const consent = new Consent({ decisions, timeoutMs: 60_000 });
    const asking = consent.check(asker('/usr/bin/backup', false), 'work');
    await waitFor(() => consent.view().questions.length === 1, 'the question');
    expect(consent.view().questions[0]).toMatchObject({ program: '/usr/bin/backup', verified: false, canRemember: true });
    consent.answer(consent.view().questions[0]!.id, 'always');
    await asking;
    await consent.check(asker('/usr/bin/backup', false), 'work');

    const verified = consent.check(asker('/usr/bin/backup', true), 'work');
    await waitFor(() => consent.view().questions.length === 1, 'the verified program to be asked about');
    consent.answer(consent.view().questions[0]!.id, 'deny');
    await expect(verified).rejects.toThrow('You denied /usr/bin/backup (pid 1) a token for profile "work"');

    const unnamed = consent.check(asker(UNNAMED, false), 'work');
    await waitFor(() => consent.view().questions.length === 1, 'the unnamed program to be asked about');
    const question = consent.view().questions[0]!;
    expect(question.canRemember).toBe(false);
    expect(() => consent.answer(question.id, 'always')).toThrow('This program did not give its name, so authtray cannot recognise it next time: choose Allow once or Deny.');
    consent.answer(question.id, 'deny');
    await expect(unnamed).rejects.toThrow(`You denied ${UNNAMED} a token for profile "work" in the authtray window.`);
    const named = consent.check(asker('backup.sh', false), 'work');
    await waitFor(() => consent.view().questions.length === 1, 'the question');
    consent.answer(consent.view().questions[0]!.id, 'deny');
    await expect(named).rejects.toThrow('You denied the program that calls itself "backup.sh" (unverified) a token');
    expect(decisions.saved).toEqual([{ program: '/usr/bin/backup', verified: false, profile: 'work', decidedAt: expect.any(String) }]);
  });
});
