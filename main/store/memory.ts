import type { CredentialRecord, CredentialStore, StoreInfo } from './types.js';

/** Records in this process only: for tests, and for a session that must not touch the disk. */
export class MemoryCredentialStore implements CredentialStore {
  readonly info: StoreInfo = { backend: 'memory', location: 'process memory', secure: true };
  readonly #records = new Map<string, CredentialRecord>();

  async load(profile: string): Promise<CredentialRecord | null> {
    const record = this.#records.get(profile);
    return record ? structuredClone(record) : null;
  }

  async save(profile: string, record: CredentialRecord): Promise<void> {
    this.#records.set(profile, structuredClone(record));
  }

  async delete(profile: string): Promise<void> {
    this.#records.delete(profile);
  }
}
