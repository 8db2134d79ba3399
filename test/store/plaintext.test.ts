// The plain-text file store on the real file system, including a writer killed mid-write.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStoreError } from '../../main/errors.js';
import { MemoryCredentialStore } from '../../main/store/memory.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { parseCredentialRecord, serializeCredentialRecord } from '../../main/store/record.js';
import type { CredentialStore } from '../../main/store/types.js';
import { ROOT } from '../support/cli.js';
import { itKeepsOneRecordPerProfile, sampleRecord as record } from '../support/store-contract.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'authtray-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe.each([
  ['plaintext', () => new PlaintextCredentialStore(join(dir, 'credentials')) as CredentialStore],
  ['memory', () => new MemoryCredentialStore() as CredentialStore],
])('%s store contract', (_name, open) => {
  itKeepsOneRecordPerProfile(open);
});

describe('plaintext store', () => {
  it('keeps the file 0600 in a 0700 directory, and tightens loosened ones', async () => {
    const store = new PlaintextCredentialStore(join(dir, 'credentials'));
    await store.save('default', record(1));
    expect(await mode(store.dir)).toBe(0o700);
    expect(await mode(store.path('default'))).toBe(0o600);
    expect(store.info).toEqual({ backend: 'plaintext', location: store.dir, secure: false });

    await chmod(store.path('default'), 0o644);
    await chmod(store.dir, 0o755);
    expect(await store.load('default')).toEqual(record(1));
    expect(await mode(store.path('default'))).toBe(0o600);
    await store.save('default', record(2));
    expect(await mode(store.dir)).toBe(0o700);
  });

  it('creates the file private under a permissive umask', async () => {
    const script = `
      const { PlaintextCredentialStore } = await import(${JSON.stringify(join(ROOT, 'dist/main/store/plaintext.js'))});
      process.umask(0);
      await new PlaintextCredentialStore(process.argv[1]).save('default', JSON.parse(process.argv[2]));`;
    const target = join(dir, 'umask');
    await runNode(['--input-type=module', '-e', script, target, JSON.stringify(record(1))]);
    expect(await mode(target)).toBe(0o700);
    expect(await mode(join(target, 'default.json'))).toBe(0o600);
  });

  it('rejects profile names that are not plain file names', async () => {
    const store = new PlaintextCredentialStore(join(dir, 'credentials'));
    for (const name of ['../evil', '', '.hidden', 'a/b', 'x'.repeat(65), 'nul\0']) {
      await expect(store.save(name, record(1))).rejects.toMatchObject({ code: 'USAGE' });
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a damaged file by path and field, never by content', async () => {
    const store = new PlaintextCredentialStore(join(dir, 'credentials'));
    await store.save('default', record(1));
    const broken = { ...record(1), accessToken: 'secret-token-value', tokenKind: 'weird' };
    await writeFile(store.path('default'), JSON.stringify(broken));
    const err = await store.load('default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialStoreError);
    expect((err as Error).message).toContain(store.path('default'));
    expect((err as Error).message).toContain('tokenKind');
    expect((err as Error).message).not.toContain('secret-token-value');
    await writeFile(store.path('default'), '{"version":1,"accessTok');
    await expect(store.load('default')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    // The damaged file is left for the user to inspect; saving over it recovers.
    await store.save('default', record(2));
    expect(await store.load('default')).toEqual(record(2));
  });

  it('an unreadable directory is a store error, not "not linked"', async () => {
    if (process.getuid?.() === 0) {
      // root reads everything; use a file where the directory should be instead.
      const store = new PlaintextCredentialStore(join(dir, 'file-not-dir'));
      await writeFile(store.dir, 'x');
      await expect(store.load('default')).rejects.toMatchObject({ code: 'STORE_ERROR' });
      await expect(store.save('default', record(1))).rejects.toMatchObject({ code: 'STORE_ERROR' });
      return;
    }
    const store = new PlaintextCredentialStore(join(dir, 'credentials'));
    await store.save('default', record(1));
    await chmod(store.dir, 0o000);
    try {
      await expect(store.load('default')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    } finally {
      await chmod(store.dir, 0o700);
    }
  });

  it('a writer killed (SIGKILL) at random points while saving, 200 times: always the old or the new record', async () => {
    const store = new PlaintextCredentialStore(join(dir, 'credentials'));
    await store.save('default', record(0));
    // A child rewrites the record as fast as it can, with a 256 KB token so each write takes a while.
    const script = `
      const { PlaintextCredentialStore } = await import(${JSON.stringify(join(ROOT, 'dist/main/store/plaintext.js'))});
      const store = new PlaintextCredentialStore(process.argv[1]);
      const big = 'x'.repeat(1 << 18);
      process.stdout.write('ready\\n');
      for (let n = 1; ; n++) {
        await store.save('default', { version: 1, provider: 'oidc', clientId: 'client', accountId: 'alice', tokenKind: 'offline',
          accessToken: 'access-' + n + '-' + big, expiresAt: 1700000000000 + n, refreshToken: 'refresh-' + n, scopes: ['openid'] });
      }`;
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, store.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const loaded = await store.load('default'); // throws if half-written
      expect(loaded).not.toBeNull();
      expect(loaded!.refreshToken).toMatch(/^refresh-\d+$/);
      seen.add(loaded!.refreshToken!);
    }
    // The kills landed at different points of the writing loop, not always before the first write.
    expect(seen.size).toBeGreaterThan(1);
    // Leftover temp files are hidden, and never mistaken for a profile.
    const files = (await readdir(store.dir)).filter((f) => !f.startsWith('.'));
    expect(files).toEqual(['default.json']);
  }, 300_000);
});

describe('record format', () => {
  it('round-trips and rejects records that are not credential records', () => {
    const text = serializeCredentialRecord({ ...record(1), clientSecret: 's', data: { id_token: 'x' } });
    expect(parseCredentialRecord(text)).toEqual({ ...record(1), clientSecret: 's', data: { id_token: 'x' } });
    const bad: unknown[] = [null, [], 'x', { ...record(1), version: 2 }, { ...record(1), provider: 'ftp' }, { ...record(1), accessToken: '' },
      { ...record(1), expiresAt: 'soon' }, { ...record(1), refreshToken: null }, { ...record(1), scopes: [1] }, { ...record(1), data: { a: 1 } }];
    for (const value of bad) expect(() => parseCredentialRecord(JSON.stringify(value))).toThrow();
    expect(() => parseCredentialRecord('{')).toThrow(/not JSON/);
    expect(parseCredentialRecord(JSON.stringify({ ...record(1), tokenKind: 'legacy', refreshToken: null, expiresAt: null })).tokenKind).toBe('legacy');
  });
});

function runNode(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`node exited ${code}`))));
  });
}
