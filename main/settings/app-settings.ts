/**
 * The app's own settings (not the command's: `config.json` stays the profiles' home), kept by
 * electron-store: notifications, keep-alive, the window's size and place, the link form's last
 * provider and client id, start-hidden where the OS does not keep it, and the programs allowed for
 * good to get an account's tokens from the app's agent (main/agent/consent.ts). A JSON schema with
 * defaults, a migration per version, and nothing secret ever: a client id is not a secret, a client
 * secret, token or code never comes here (`update` takes only the fields below).
 */
import { z } from 'zod';
import type { DecisionStore } from '../agent/consent.js';
import type { AppSettingsView, ConsentDecisionView, SettingsUpdate } from '../../preload/api.js';
import { PROVIDER_CHOICES } from '../model.js';
import { isProviderChoice, providerOption } from '../link-request.js';

export interface WindowBounds {
  width: number;
  height: number;
  x?: number | undefined;
  y?: number | undefined;
}

export interface AppSettingsData extends AppSettingsView {
  window: WindowBounds;
  /** "Always for this program" answers, until revoked in Settings. */
  consent: ConsentDecisionView[];
}

/** What electron-store (or `conf`, which it extends) offers: typed get and set of whole keys. */
export interface SettingsBackend {
  get<K extends keyof AppSettingsData>(key: K): AppSettingsData[K];
  set<K extends keyof AppSettingsData>(key: K, value: AppSettingsData[K]): void;
  readonly path: string;
}

export const DEFAULT_WINDOW: WindowBounds = { width: 480, height: 680 };

export const SETTINGS_DEFAULTS: AppSettingsData = {
  notifications: true,
  keepAlive: true,
  startHidden: true,
  window: DEFAULT_WINDOW,
  linkForm: {},
  consent: [],
};

const bool = { type: 'boolean' } as const;
const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;

/** electron-store's schema (JSON Schema, checked by ajv on every write). */
export const SETTINGS_SCHEMA = {
  notifications: { ...bool, default: SETTINGS_DEFAULTS.notifications },
  keepAlive: { ...bool, default: SETTINGS_DEFAULTS.keepAlive },
  startHidden: { ...bool, default: SETTINGS_DEFAULTS.startHidden },
  window: {
    type: 'object',
    properties: { width: { type: 'integer', minimum: 200, maximum: 10000 }, height: { type: 'integer', minimum: 200, maximum: 10000 }, x: { type: 'integer' }, y: { type: 'integer' } },
    required: ['width', 'height'],
    additionalProperties: false,
    default: DEFAULT_WINDOW,
  },
  linkForm: {
    type: 'object',
    properties: { provider: { enum: PROVIDER_CHOICES }, clientId: text(256), issuer: text(2048) },
    additionalProperties: false,
    default: {},
  },
  consent: {
    type: 'array',
    maxItems: 1000,
    items: {
      type: 'object',
      properties: { program: text(4096), verified: bool, profile: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' }, decidedAt: text(40) },
      required: ['program', 'verified', 'profile', 'decidedAt'],
      additionalProperties: false,
    },
    default: [],
  },
} as const;

/**
 * One migration per app version, run by electron-store when it opens a file an older version
 * wrote. 0.2.0: 0.1.x kept the window size as `windowSize`; it becomes `window`.
 */
export const SETTINGS_MIGRATIONS = {
  '0.2.0': (store: { has(key: string): boolean; get(key: string): unknown; set(key: string, value: unknown): void; delete(key: string): void }) => {
    if (!store.has('windowSize')) return;
    const old = store.get('windowSize') as { width?: unknown; height?: unknown } | undefined;
    if (typeof old?.width === 'number' && typeof old.height === 'number') store.set('window', { width: Math.round(old.width), height: Math.round(old.height) });
    store.delete('windowSize');
  },
};

/** What the Settings view may change: each field checked, nothing else taken. */
const UPDATE = z.strictObject({
  notifications: z.boolean().optional(),
  keepAlive: z.boolean().optional(),
  startHidden: z.boolean().optional(),
});

export const settingsUpdateSchema: z.ZodType<SettingsUpdate> = UPDATE;

export class AppSettings {
  readonly #store: SettingsBackend;
  readonly #listeners = new Set<(view: AppSettingsView) => void>();

  constructor(store: SettingsBackend) {
    this.#store = store;
  }

  /** Where the file is (the test scans it; the README names it). */
  get path(): string {
    return this.#store.path;
  }

  get notifications(): boolean {
    return this.#store.get('notifications');
  }

  get keepAlive(): boolean {
    return this.#store.get('keepAlive');
  }

  get startHidden(): boolean {
    return this.#store.get('startHidden');
  }

  get window(): WindowBounds {
    return this.#store.get('window');
  }

  /** What the window shows in its Settings view and uses to fill the link form. */
  view(): AppSettingsView {
    return { notifications: this.notifications, keepAlive: this.keepAlive, startHidden: this.startHidden, linkForm: this.#store.get('linkForm') };
  }

  update(patch: SettingsUpdate): AppSettingsView {
    const parsed = UPDATE.parse(patch);
    for (const key of ['notifications', 'keepAlive', 'startHidden'] as const) {
      const value = parsed[key];
      if (value !== undefined) this.#store.set(key, value);
    }
    const view = this.view();
    for (const listener of this.#listeners) listener(view);
    return view;
  }

  /** Remembers the window's size and place (whole pixels, within the schema's limits). */
  saveWindow(bounds: WindowBounds): void {
    const clamp = (n: number) => Math.min(10000, Math.max(200, Math.round(n)));
    const window: WindowBounds = { width: clamp(bounds.width), height: clamp(bounds.height) };
    if (Number.isFinite(bounds.x) && Number.isFinite(bounds.y)) Object.assign(window, { x: Math.round(bounds.x!), y: Math.round(bounds.y!) });
    this.#store.set('window', window);
  }

  /** The link form's last choice: provider, client id, issuer. Never a client secret. */
  rememberLinkForm(request: { provider?: string | undefined; clientId?: string | undefined; issuer?: string | undefined }): void {
    const provider = request.provider;
    if (!isProviderChoice(provider)) return;
    const form: AppSettingsView['linkForm'] = { provider };
    const clientId = request.clientId?.trim();
    const issuer = request.issuer?.trim();
    // Not the sandbox's own client, which the form fills in by itself.
    if (clientId && providerOption(provider).defaultClientId === null) form.clientId = clientId.slice(0, 256);
    if (issuer && providerOption(provider).issuer) form.issuer = issuer.slice(0, 2048);
    this.#store.set('linkForm', form);
  }

  /** Where consent keeps its "Always" decisions. */
  readonly consentDecisions: DecisionStore = {
    load: () => this.#store.get('consent'),
    save: (decisions) => this.#store.set('consent', decisions),
  };

  /** Called after each change from the Settings view; returns the unsubscribe function. */
  onChange(listener: (view: AppSettingsView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** electron-store's options for the app's settings file, `settings.json` in `dir`. */
export function settingsStoreOptions(dir: string, appVersion: string) {
  return {
    name: 'settings',
    cwd: dir,
    projectVersion: appVersion,
    schema: SETTINGS_SCHEMA,
    defaults: SETTINGS_DEFAULTS,
    migrations: SETTINGS_MIGRATIONS,
    clearInvalidConfig: true,
  };
}

/** Settings kept in memory only: the defaults, for a run without a settings file (tests of other things). */
export function memorySettings(): SettingsBackend {
  const data: AppSettingsData = structuredClone(SETTINGS_DEFAULTS);
  return {
    path: '',
    get: (key) => data[key],
    set: (key, value) => void (data[key] = value),
  };
}
