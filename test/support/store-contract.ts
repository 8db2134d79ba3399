/** The behaviour every credential store shares, as one test to run against each of them. */
import { expect, it } from 'vitest';
import type { CredentialRecord, CredentialStore } from '../../main/store/types.js';

/** A valid record whose tokens carry `n` (and `pad` extra characters, for large records). */
export const sampleRecord = (n: number, pad = 0): CredentialRecord => ({
  version: 1,
  provider: 'oidc',
  clientId: 'client',
  accountId: 'alice',
  tokenKind: 'offline',
  accessToken: `access-${n}-${'x'.repeat(pad)}`,
  expiresAt: 1_700_000_000_000 + n,
  refreshToken: `refresh-${n}`,
  scopes: ['openid'],
});

/** Registers the contract test for the store `open` returns (called inside the test). */
export function itKeepsOneRecordPerProfile(open: () => CredentialStore): void {
  it('saves, loads, replaces and deletes one record per profile', async () => {
    const store = open();
    expect(await store.load('default')).toBeNull();
    await store.save('default', sampleRecord(1));
    await store.save('work', sampleRecord(2));
    expect(await store.load('default')).toEqual(sampleRecord(1));
    await store.save('default', sampleRecord(3));
    expect(await store.load('default')).toEqual(sampleRecord(3));
    expect(await store.load('work')).toEqual(sampleRecord(2));
    await store.delete('default');
    await store.delete('default'); // deleting nothing is fine
    expect(await store.load('default')).toBeNull();
    expect(await store.load('work')).toEqual(sampleRecord(2));
    await store.close?.();
  });
}
