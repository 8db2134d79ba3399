// The keyring store against a real Secret Service (gnome-keyring-daemon on a private D-Bus bus).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyringAccessError } from '../../main/errors.js';
import { Backends } from '../../main/store/backends.js';
import { classifyKeyringError, KeyringCredentialStore } from '../../main/store/keyring.js';
import type { CredentialRecord } from '../../main/store/types.js';
import { startSecretService, type SecretService } from '../support/keyring.js';

const record = (n: number): CredentialRecord => ({
  version: 1,
  provider: 'oidc',
  clientId: 'client',
  accountId: 'alice',
  tokenKind: 'offline',
  accessToken: `access-${n}`,
  expiresAt: 1_700_000_000_000 + n,
  refreshToken: `refresh-${n}`,
  scopes: ['openid'],
});

let keyring: SecretService;

async function problemOf(promise: Promise<unknown>) {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeyringAccessError);
  return err as KeyringAccessError;
}

beforeAll(async () => {
  keyring = await startSecretService();
  keyring.useInThisProcess();
});
afterAll(async () => {
  await keyring?.close();
});

describe('keyring store', () => {
  it('keeps one item per profile, visible to other keyring clients, and replaces it in place', async () => {
    const store = new KeyringCredentialStore({ service: 'authtray-contract' });
    expect(await store.load('default')).toBeNull();
    await store.save('default', record(1));
    await store.save('work', record(2));
    await store.save('default', record(3));
    expect(await store.load('default')).toEqual(record(3));
    expect(await store.load('work')).toEqual(record(2));

    const items = await keyring.items('authtray-contract');
    expect(items.map((i) => i.attributes.username).sort()).toEqual(['default', 'work']);
    const item = items.find((i) => i.attributes.username === 'default')!;
    expect(JSON.parse(item.secret)).toEqual(record(3));

    await store.delete('default');
    await store.delete('default'); // deleting nothing is fine
    expect(await store.load('default')).toBeNull();
    expect((await keyring.items('authtray-contract')).map((i) => i.attributes.username)).toEqual(['work']);
    expect(store.info).toMatchObject({ backend: 'keyring', secure: true });
  });

  it('a locked keyring is a KeyringAccessError saying so; unlocked, everything works again', async () => {
    const store = new KeyringCredentialStore({ service: 'authtray-lock' });
    await store.save('default', record(1));
    await keyring.lock();
    try {
      for (const attempt of [() => store.load('default'), () => store.save('default', record(2)), () => store.probe()]) {
        const err = await problemOf(attempt());
        expect(err.problem).toBe('locked');
        expect(err.code).toBe('KEYRING_ACCESS');
        expect(err.message).toMatch(/is locked\. Unlock it and try again\./);
      }
    } finally {
      await keyring.unlock();
    }
    expect(await store.load('default')).toEqual(record(1)); // the refused save changed nothing
  });

  it('a keyring that does not answer is reported as such, not waited on forever', async () => {
    // On Linux the binding opens its D-Bus session synchronously, bounded by the bus's own reply
    // timeout; the store's timer bounds the asynchronous part (where macOS and Windows prompt).
    const store = new KeyringCredentialStore({ service: 'authtray-hang', timeoutMs: 300 });
    keyring.pause();
    try {
      const err = await problemOf(store.load('default'));
      expect(err.problem).toBe('timeout');
      expect(err.message).toMatch(/did not answer within/);
    } finally {
      keyring.resume();
    }
    expect(await store.load('default')).toBeNull();
  });

  it('no Secret Service on the bus (the daemon is gone) is "unavailable"; it comes back intact', async () => {
    const store = new KeyringCredentialStore({ service: 'authtray-gone' });
    await store.save('default', record(1));
    await keyring.kill();
    try {
      const err = await problemOf(store.load('default'));
      expect(err.problem).toBe('unavailable');
      expect(err.message).toMatch(/not available/);
      expect((await problemOf(new Backends({ home: '/x' }).choose('keyring'))).problem).toBe('unavailable');
    } finally {
      await keyring.restart();
    }
    expect(await store.load('default')).toEqual(record(1));
  });

  it('a damaged item is reported by profile and field, never by content', async () => {
    const store = new KeyringCredentialStore({ service: 'authtray-damaged' });
    const { AsyncEntry } = await import('@napi-rs/keyring');
    await new AsyncEntry('authtray-damaged', 'default', { linux: { store: 'secret-service' } }).setPassword(JSON.stringify({ ...record(1), tokenKind: 'weird', accessToken: 'secret-value' }));
    const err = await problemOf(store.load('default'));
    expect(err.message).toContain('"default"');
    expect(err.message).toContain('tokenKind');
    expect(err.message).not.toContain('secret-value');
  });
});

describe('backend choice', () => {
  it('auto picks the keyring when it answers, plain text (with a warning) when the Secret Service is gone', async () => {
    expect(await new Backends({ home: '/nonexistent-home' }).choose('auto')).toMatchObject({ backend: 'keyring', fallbackWarning: null });
    await keyring.kill();
    try {
      const without = await new Backends({ home: '/nonexistent-home' }).choose('auto');
      expect(without.backend).toBe('plaintext');
      expect(without.fallbackWarning).toMatch(/plain text in \/nonexistent-home\/credentials/);
    } finally {
      await keyring.restart();
    }
  });

  it('auto with a locked keyring is an error, never a silent downgrade', async () => {
    await keyring.lock();
    try {
      expect((await problemOf(new Backends({ home: '/x' }).choose('auto'))).problem).toBe('locked');
    } finally {
      await keyring.unlock();
    }
  });

  it('classifies the binding errors seen on each platform', () => {
    const cases: [string, string][] = [
      ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed", 'locked'],
      ['Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files', 'unavailable'],
      ['Platform failure: DBus error: Failed to connect to socket /nonexistent: No such file or directory', 'unavailable'],
      ['Platform failure: DBus error: Did not receive a reply. Possible causes include: ... the message bus security policy blocked the reply, the reply timeout expired', 'timeout'],
      ['User canceled the operation.', 'locked'],
      ['Something else entirely', 'failed'],
    ];
    for (const [text, problem] of cases) expect(classifyKeyringError(new Error(text)), text).toBe(problem);
  });
});
