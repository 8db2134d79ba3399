// Lock files that know their holder, with real processes: a killed holder's lock is taken over at
// once, a live one (even with its event loop blocked) never is, one from a host that cannot be seen
// is waited for, and the wait ends with a message that names the holder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLock, withFileLock } from '../../main/store/file-lock.js';
import { thisHolder } from '../../main/store/lock-holder.js';
import { ROOT } from '../support/cli.js';

let dir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authtray-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A process that takes the lock, says so, then waits forever (`idle`) or blocks its event loop (`busy`). */
async function holder(how: 'idle' | 'busy', name = 'work'): Promise<ChildProcess> {
  const script = `
    const { withFileLock } = await import(${JSON.stringify(join(ROOT, 'dist/main/store/file-lock.js'))});
    await withFileLock(process.argv[1], process.argv[2], { waitMs: 5000, what: 'the test' }, async () => {
      process.stdout.write('held\\n');
      ${how === 'busy' ? 'for (;;) {}' : 'await new Promise(() => setInterval(() => {}, 60_000));'}
    });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}) before taking the lock`)));
  });
  return child;
}

const kill = async (child: ChildProcess) => {
  const exited = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
  child.kill('SIGKILL');
  await exited;
  // It was killed holding the lock, not gone before (a holder that exits on its own proves nothing).
  expect(child.signalCode).toBe('SIGKILL');
};

const waitFor = (waitMs: number) => ({ waitMs, what: 'the test' });

describe('file lock', () => {
  it('records its holder, and a holder that was SIGKILLed is taken over at once', async () => {
    const child = await holder('idle');
    const recorded = JSON.parse(await readFile(join(dir, 'work.lock'), 'utf8')) as { pid: number; host: string; boot: string };
    expect(recorded).toMatchObject({ pid: child.pid, host: thisHolder().host, boot: thisHolder().boot });
    await kill(child);
    // A waiter that would give up after 2 s gets it: nothing is waited out.
    expect(await withFileLock(dir, 'work', waitFor(2_000), async () => 'ours')).toBe('ours');
  }, 60_000);

  it('a live holder keeps it, even with its event loop blocked; the wait ends with who holds it', async () => {
    const child = await holder('busy');
    const err = await withFileLock(dir, 'work', waitFor(1_500), async () => 'stolen').catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `Process ${child.pid} has held the lock for the test for over 2 s and is still running. Wait for it to finish or stop it; if no authtray process is running, delete ${join(dir, 'work.lock')}.`,
    );
    await kill(child);
    expect(await withFileLock(dir, 'work', waitFor(2_000), async () => 'ours')).toBe('ours');
  }, 60_000);

  it('a holder on another host cannot be seen, so it is waited for', async () => {
    await writeFile(join(dir, 'work.lock'), JSON.stringify({ ...thisHolder(), pid: 999_999, host: 'elsewhere.invalid' }));
    const err = await withFileLock(dir, 'work', waitFor(300), async () => 'stolen').catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^Process 999999 on elsewhere\.invalid has held the lock for the test/);
  });

  it('releases only its own lock', async () => {
    const lock = new FileLock(dir, 'work');
    await lock.acquire(waitFor(1_000));
    await writeFile(join(dir, 'work.lock'), 'someone else');
    await lock.release();
    expect(await readFile(join(dir, 'work.lock'), 'utf8')).toBe('someone else');
  });

  it('8 processes × 25 increments of one file under the lock, after a holder was killed: no increment lost', async () => {
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const script = `
      const { withFileLock } = await import(${JSON.stringify(join(ROOT, 'dist/main/store/file-lock.js'))});
      const { readFile, writeFile } = await import('node:fs/promises');
      const [dir, counter, n] = process.argv.slice(1);
      for (let i = 0; i < Number(n); i++) {
        await withFileLock(dir, 'counter', { waitMs: 30000, what: 'the counter' }, async () => {
          const value = Number(await readFile(counter, 'utf8'));
          await new Promise((r) => setImmediate(r));
          await writeFile(counter, String(value + 1));
        });
      }`;
    const run = () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir, counter, '25'], { stdio: 'inherit' });
        child.once('exit', resolve);
      });
    // A holder died holding the lock: the first runner takes it over.
    await kill(await holder('idle', 'counter'));
    expect(await Promise.all(Array.from({ length: 8 }, run))).toEqual(Array(8).fill(0));
    expect(await readFile(counter, 'utf8')).toBe('200');
  }, 60_000);
});

describe('pending links under the lock', () => {
  it('a link that finishes forgets only its own attempt, never the one started after it', async () => {
    const { FilePendingStore } = await import('../../main/store/pending.js');
    const pending = new FilePendingStore(join(dir, 'pending'));
    const attempt = (state: string) => ({
      profile: 'work',
      settings: { provider: 'oidc' as const, clientId: 'c', issuer: 'http://127.0.0.1:1' },
      state,
      codeVerifier: null,
      redirectUri: null,
      mode: 'paste' as const,
      createdAt: 0,
      expiresAt: Date.now() + 60_000,
    });
    await pending.put(attempt('first'));
    await pending.put(attempt('second')); // started again elsewhere meanwhile
    await pending.delete('work', 'first'); // the first one finishes
    expect((await pending.get('work'))?.state).toBe('second');
    await pending.delete('work', 'second');
    expect(await pending.get('work')).toBeNull();
  });
});
