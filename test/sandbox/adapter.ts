/**
 * oidc-provider's storage for the sandbox: every model in memory, mirrored to one JSON file per
 * model in the sandbox's data directory, so that a sandbox stopped and started again (the "provider
 * down, then back" tests) still knows the grants and tokens it issued.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** ms since the epoch; null when it does not expire. */
  expiresAt: number | null;
}

export class FileAdapterStore {
  readonly #models = new Map<string, Map<string, Entry>>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  model(name: string): Map<string, Entry> {
    let entries = this.#models.get(name);
    if (!entries) {
      entries = new Map();
      try {
        const saved = JSON.parse(readFileSync(this.#file(name), 'utf8')) as Record<string, Entry>;
        for (const [id, entry] of Object.entries(saved)) entries.set(id, entry);
      } catch {
        // no file yet
      }
      this.#models.set(name, entries);
    }
    return entries;
  }

  flush(name: string): void {
    const now = Date.now();
    const entries = this.model(name);
    for (const [id, entry] of entries) if (entry.expiresAt !== null && entry.expiresAt <= now) entries.delete(id);
    const temp = `${this.#file(name)}.tmp`;
    writeFileSync(temp, JSON.stringify(Object.fromEntries(entries)));
    renameSync(temp, this.#file(name));
  }

  /** Removes everything issued under a grant, in every model (a revoked grant). */
  revokeGrant(grantId: string): void {
    for (const name of [...this.#models.keys()]) {
      const entries = this.model(name);
      let changed = false;
      for (const [id, entry] of entries) {
        if (entry.payload.grantId === grantId) {
          entries.delete(id);
          changed = true;
        }
      }
      if (changed) this.flush(name);
    }
  }

  #file(name: string) {
    return join(this.dir, `${name}.json`);
  }

  /** The class oidc-provider instantiates once per model name. */
  adapterClass(): new (name: string) => Adapter {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const store = this;
    return class FileAdapter implements Adapter {
      constructor(readonly name: string) {}

      #live(id: string): Entry | undefined {
        const entry = store.model(this.name).get(id);
        if (entry && entry.expiresAt !== null && entry.expiresAt <= Date.now()) return undefined;
        return entry;
      }

      async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
        store.model(this.name).set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : null });
        store.flush(this.name);
      }
      async find(id: string) {
        return this.#live(id)?.payload;
      }
      async findByUserCode(userCode: string) {
        for (const [id, entry] of store.model(this.name)) if (entry.payload.userCode === userCode) return this.#live(id)?.payload;
        return undefined;
      }
      async findByUid(uid: string) {
        for (const [id, entry] of store.model(this.name)) if (entry.payload.uid === uid) return this.#live(id)?.payload;
        return undefined;
      }
      async consume(id: string) {
        const entry = store.model(this.name).get(id);
        if (entry) {
          entry.payload = { ...entry.payload, consumed: Math.floor(Date.now() / 1000) };
          store.flush(this.name);
        }
      }
      async destroy(id: string) {
        if (store.model(this.name).delete(id)) store.flush(this.name);
      }
      async revokeByGrantId(grantId: string) {
        store.revokeGrant(grantId);
      }
    };
  }
}
