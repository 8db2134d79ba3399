/**
 * config.json at the boundary: a quick hand check on every read (no zod on `authtray token`'s path),
 * held to the zod schema's rules here; a file that fails it is a typed error that names the path,
 * what is wrong and what to do, in the command and in the window alike, and nothing overwrites it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { AppService } from '../../main/app/service.js';
import { ConfigFileError } from '../../main/errors.js';
import { ConfigFile, isConfigShape } from '../../main/store/config.js';
import { configSchema } from '../../main/store/schemas.js';
import { cliEnv, runCli, tempHome } from '../support/cli.js';

let home: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  home = await tempHome();
});
afterEach(() => home.cleanup());

const LINKED = { settings: { provider: 'dropbox', clientId: 'key' }, account: { id: 'dbid:1' }, store: { backend: 'plaintext' }, needsRelink: false, linkedAt: '2026-01-01T00:00:00.000Z' };

describe('config.json', () => {
  it("the quick check says what the zod schema says, on any value", () => {
    const shaped = fc.record({ version: fc.oneof(fc.constant(1), fc.anything()), profiles: fc.oneof(fc.dictionary(fc.string(), fc.anything()), fc.anything()) });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), shaped), (value) => isConfigShape(value) === configSchema.safeParse(value).success),
      { numRuns: 500 },
    );
  });

  it.each([
    ['not JSON', '{"version": 1, "profiles": {', /^it is not valid JSON \(.+\)$/],
    ['another version', '{"version": 2, "profiles": {}}', 'expected version 1 at "version"'],
    ['profiles a list', '{"version": 1, "profiles": []}', 'expected an object at "profiles"'],
    ['no profiles', '{"version": 1}', 'expected an object at "profiles"'],
    ['a list', '[]', 'expected an object'],
  ])('%s: a typed error with the path and what to do; a link changes nothing in it', async (_, text, problem) => {
    const path = join(home.dir, 'config.json');
    const config = new ConfigFile(home.dir);
    await config.update(() => {}); // the home, made as authtray makes it
    await writeFile(path, text);
    const err = await config.read().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigFileError);
    expect(err).toMatchObject({ code: 'STORE_ERROR', path });
    const said = (err as Error).message;
    const match = /^The config file (.+) cannot be read as authtray's settings: (.+)\. authtray changed nothing in it: correct it \(or put back a backup\), then try again\.$/.exec(said);
    expect(match?.[1]).toBe(path);
    if (typeof problem === 'string') expect(match?.[2]).toBe(problem);
    else expect(match?.[2]).toMatch(problem);
    await expect(config.update((data) => void (data.profiles.x = LINKED as never))).rejects.toBeInstanceOf(ConfigFileError);
    await expect(new Accounts({ home: home.dir, store: 'plaintext' }).unlink('x')).rejects.toBeInstanceOf(ConfigFileError);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('the command and the window say it word for word', async () => {
    const path = join(home.dir, 'config.json');
    await new ConfigFile(home.dir).update((data) => void (data.profiles.default = LINKED as never));
    await writeFile(path, JSON.stringify({ version: 7, profiles: { default: LINKED } }));
    const message = `The config file ${path} cannot be read as authtray's settings: expected version 1 at "version". authtray changed nothing in it: correct it (or put back a backup), then try again.`;
    expect(await runCli(['status'], cliEnv(home.dir))).toMatchObject({ code: 3, stdout: '', stderr: `authtray: ${message}\n` });
    expect(await runCli(['token'], cliEnv(home.dir))).toMatchObject({ code: 3, stderr: `authtray: ${message}\n` });
    const service = new AppService({ accounts: new Accounts({ home: home.dir, store: 'plaintext' }), sandbox: null, allowLoopbackHttp: false, openExternal: async () => {}, copyText: () => {} });
    await expect(service.profiles()).rejects.toMatchObject({ code: 'STORE_ERROR', message });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 7, profiles: { default: LINKED } });
  });
});
