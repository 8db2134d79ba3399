/**
 * Which credential store a profile uses (maestral's rules): at link time the system keyring when it
 * works, else the plain-text store — and the user is told before a secret is written there. The
 * backend chosen is remembered in the profile's config and used until unlink; it is never switched
 * while linked. A keyring that is locked or does not answer is an error, never a reason to fall back.
 */
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { KeyringCredentialStore, keyringName, type KeyringOptions } from './keyring.js';
import { MemoryCredentialStore } from './memory.js';
import { PlaintextCredentialStore } from './plaintext.js';
import { isSharedStoreUrl, openSharedStore, sharedStoreLocation } from './shared.js';
import type { CredentialStore } from './types.js';

/** What the user may ask for with `--store` / AUTHTRAY_STORE, besides a shared store's URL. */
export const STORE_CHOICES = ['auto', 'keyring', 'plaintext'] as const;

export interface BackendOptions {
  /** AUTHTRAY_HOME: the plain-text store lives in its `credentials/` folder. */
  home: string;
  keyring?: KeyringOptions;
  /**
   * The shared store URL the user gave this run (`--store`, AUTHTRAY_STORE), credentials included.
   * Config files remember shared stores without credentials; this supplies them again.
   */
  sharedUrl?: string | undefined;
  /** For AUTHTRAY_STORE_KEY, which seals records in shared stores. */
  env?: NodeJS.ProcessEnv;
  /** Replaces the built-in stores (tests, embedders); called once per backend name. */
  open?: (backend: string) => CredentialStore;
}

export interface ChosenBackend {
  backend: string;
  store: CredentialStore;
  /** Set when `auto` found no keyring: what to tell the user before anything secret is written. */
  fallbackWarning: string | null;
  /** The same in the command's words. */
  fallbackCliWarning?: string;
}

export class Backends {
  readonly #options: BackendOptions;
  readonly #open = new Map<string, CredentialStore>();

  constructor(options: BackendOptions) {
    this.#options = options;
  }

  /** The store of a remembered backend name. Opening is cheap: nothing is read until asked. */
  open(backend: string): CredentialStore {
    let store = this.#open.get(backend);
    if (!store) {
      store = this.#options.open?.(backend) ?? this.#builtIn(backend);
      this.#open.set(backend, store);
    }
    return store;
  }

  #builtIn(backend: string): CredentialStore {
    if (isSharedStoreUrl(backend)) {
      const given = this.#options.sharedUrl;
      const url = given && sharedStoreLocation(given) === backend ? given : backend;
      return openSharedStore(url, { env: this.#options.env });
    }
    switch (backend) {
      case 'keyring':
        return new KeyringCredentialStore(this.#options.keyring);
      case 'plaintext':
        return new PlaintextCredentialStore(join(this.#options.home, 'credentials'));
      case 'memory':
        return new MemoryCredentialStore();
      default:
        // Not echoed: a mistyped store URL may hold a password.
        throw new UsageError(`Unknown credential store: use ${STORE_CHOICES.join(', ')}, redis://host:port or memcached://host:port.`);
    }
  }

  /**
   * Resolves a choice for a new link. `auto`: the keyring if it answers; plain text only when there
   * is no keyring at all (a locked one throws KeyringAccessError). A named backend is used as is.
   * `fresh`: probe again rather than answer from the last probe (about to write, or a retry).
   */
  async choose(choice: string, options: { fresh?: boolean } = {}): Promise<ChosenBackend> {
    if (choice !== 'auto') {
      // A shared store is remembered without the credentials in its URL.
      const backend = isSharedStoreUrl(choice) ? sharedStoreLocation(choice) : choice;
      const store = this.open(backend);
      await store.probe?.(options);
      return { backend, store, fallbackWarning: null };
    }
    const keyring = this.open('keyring');
    try {
      await keyring.probe?.(options);
      return { backend: 'keyring', store: keyring, fallbackWarning: null };
    } catch (err) {
      if ((err as { problem?: unknown }).problem !== 'unavailable') throw err;
      const store = this.open('plaintext');
      await store.probe?.(options);
      const said =
        `No ${keyringName()} is available in this session, so the credentials will be stored in plain text in ${store.info.location}, ` +
        'readable by anyone who can read your files. To keep them in a keyring, start one and link again';
      return {
        backend: 'plaintext',
        store,
        fallbackWarning: `${said} (or move them to the keyring later).`,
        fallbackCliWarning: `${said} (or migrate later with "authtray store migrate --to keyring").`,
      };
    }
  }

  /** Closes every store that holds connections, so a CLI run can exit. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#open.values()].map((store) => store.close?.()));
  }
}
