/**
 * What a person asked for when they link (the command's flags, the window's form) → the profile's
 * settings; which providers they can choose and what each asks for; whether a client secret is
 * needed; how a provider is named. The one place for these rules: the command, the app and the
 * window (through the provider options the app sends it) all follow it.
 */
import { UsageError } from './errors.js';
import { PROVIDER_CHOICES, type EndpointOverrides, type ProfileSettings, type ProviderChoice, type ProviderOption, type RedirectMode } from './model.js';
import { SANDBOX_CLIENT_ID, SANDBOX_EMULATIONS } from './sandbox.js';

export { PROVIDER_CHOICES, type ProviderChoice, type ProviderOption } from './model.js';

const OPTIONS: Record<ProviderChoice, ProviderOption> = {
  dropbox: { choice: 'dropbox', clientSecret: 'none', issuer: false, tenant: false, clientIdLabel: 'App key', clientIdHint: 'The app key of your app in the Dropbox App Console.', defaultClientId: null },
  box: { choice: 'box', clientSecret: 'required', issuer: false, tenant: false, clientIdLabel: 'Client id', clientIdHint: 'The client id of your Custom App in the Box Developer Console.', defaultClientId: null },
  google: {
    choice: 'google',
    clientSecret: 'required',
    issuer: false,
    tenant: false,
    clientIdLabel: 'Client id',
    clientIdHint: 'The client ID of your Desktop app client in the Google Cloud console.',
    defaultClientId: null,
  },
  onedrive: {
    choice: 'onedrive',
    clientSecret: 'none',
    issuer: false,
    tenant: true,
    clientIdLabel: 'Application (client) id',
    clientIdHint: 'The Application (client) ID of your app registration in the Microsoft Entra admin center.',
    defaultClientId: null,
  },
  oidc: { choice: 'oidc', clientSecret: 'optional', issuer: true, tenant: false, clientIdLabel: 'Client id', clientIdHint: 'The client id of the native app you registered with your provider.', defaultClientId: null },
  sandbox: {
    choice: 'sandbox',
    // The form offers the sandbox's public client, which needs no secret.
    clientSecret: 'none',
    issuer: false,
    tenant: false,
    clientIdLabel: 'Client id',
    clientIdHint: `The sandbox knows ${SANDBOX_CLIENT_ID}; start it with npm run sandbox.`,
    defaultClientId: SANDBOX_CLIENT_ID,
  },
};

const OFFERED = ['dropbox', 'box', 'google', 'onedrive', 'oidc'] as const;

/** The providers offered, in the order shown; the sandbox first when it is offered (run from source). */
export function providerOptions(sandbox: boolean): ProviderOption[] {
  return (sandbox ? (['sandbox', ...OFFERED] as const) : OFFERED).map((choice) => OPTIONS[choice]);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** The Microsoft tenant of a OneDrive link: `common` (the default), `consumers`, `organizations`, a tenant id or a tenant's domain. */
export function checkTenant(tenant: string | undefined): string {
  const value = tenant ?? 'common';
  if (['common', 'consumers', 'organizations'].includes(value) || GUID.test(value) || DOMAIN.test(value)) return value;
  throw new TenantError(value);
}

/** A tenant that is none of those; each face words it for its own control. */
export class TenantError extends UsageError {
  constructor(readonly given: string) {
    const what = 'must be common, consumers, organizations, a tenant id (a GUID) or a tenant\'s domain (contoso.onmicrosoft.com)';
    super(`The tenant ${what}, not "${given.slice(0, 60)}".`, { cliMessage: `--tenant ${what}, not "${given.slice(0, 60)}".` });
  }
}

/** True for a provider a person can pick for a browser link. */
export function isProviderChoice(value: string | undefined): value is ProviderChoice {
  return (PROVIDER_CHOICES as readonly (string | undefined)[]).includes(value);
}

/** What the form for `choice` asks for. */
export function providerOption(choice: ProviderChoice): ProviderOption {
  return OPTIONS[choice];
}

/** True when linking with these settings needs the client's secret (Box and Google's desktop clients always, confidential clients). */
export function needsClientSecret(settings: Pick<ProfileSettings, 'provider' | 'confidential'> | null | undefined): boolean {
  return settings?.provider === 'box' || settings?.provider === 'box-jwt' || settings?.provider === 'google' || settings?.confidential === true;
}

/** False where unlink cannot revoke at the provider and only deletes here (OneDrive: Microsoft has no revocation for clients). */
export function unlinkRevokes(settings: Pick<ProfileSettings, 'provider'> | null | undefined): boolean {
  return settings?.provider !== 'onedrive' && settings?.provider !== 'box-developer-token';
}

/** How a profile's provider is named to people: a sandbox profile is an OIDC one underneath. */
export function providerName(settings: Pick<ProfileSettings, 'provider' | 'sandbox'>): string {
  return settings.sandbox ? 'sandbox' : settings.provider;
}

/** How a config entry's provider is named, even when the entry is damaged ('unknown'). */
export function entryProviderName(entry: { settings?: unknown } | null | undefined): string {
  const settings = entry?.settings as Partial<ProfileSettings> | null | undefined;
  return typeof settings?.provider === 'string' ? providerName(settings as ProfileSettings) : 'unknown';
}

/** A link was asked for without its client secret. */
export function clientSecretMissing(): UsageError {
  return new UsageError('This client needs its client secret: give it when you link.', { cliMessage: 'This client needs its client secret: set AUTHTRAY_CLIENT_SECRET or enter it when asked.' });
}

/** Something the person must still give; each face words it for its own controls. */
export class LinkRequestError extends UsageError {
  constructor(
    readonly missing: 'clientId' | 'issuer' | 'sandbox',
    readonly choice: ProviderChoice,
  ) {
    super(
      missing === 'clientId'
        ? 'A client id is needed: the app key or client id from your app registration.'
        : missing === 'issuer'
          ? 'The issuer URL of your OpenID Connect provider is needed.'
          : 'The sandbox provider is offered only when authtray runs from source.',
    );
  }
}

/** What a person asked for, from any face. */
export interface LinkChoice {
  provider: ProviderChoice;
  clientId?: string | undefined;
  issuer?: string | undefined;
  /** A client secret was given (the form's field, AUTHTRAY_CLIENT_SECRET): the client is confidential. */
  secretGiven: boolean;
  scopes?: string[] | undefined;
  redirect?: RedirectMode | undefined;
  port?: number | undefined;
  endpoints?: EndpointOverrides | undefined;
  /** OneDrive: the Microsoft tenant. */
  tenant?: string | undefined;
}

/**
 * The settings of a new link. `sandbox`: where the sandbox is and its client, or null when it is not
 * offered. An OpenID Connect link needs an issuer unless both the authorize and token URLs are given.
 */
export function settingsFor(choice: LinkChoice, sandbox: { issuer: string; clientId: string } | null): ProfileSettings {
  const isSandbox = choice.provider === 'sandbox';
  if (isSandbox && !sandbox) throw new LinkRequestError('sandbox', choice.provider);
  const provider: Exclude<ProviderChoice, 'sandbox'> = isSandbox ? 'oidc' : (choice.provider as Exclude<ProviderChoice, 'sandbox'>);
  const clientId = choice.clientId || (isSandbox ? sandbox!.clientId : undefined);
  if (!clientId) throw new LinkRequestError('clientId', choice.provider);
  const issuer = choice.issuer || (isSandbox ? sandbox!.issuer : undefined);
  if (provider === 'oidc' && !issuer && !(choice.endpoints?.authorize && choice.endpoints.token)) throw new LinkRequestError('issuer', choice.provider);
  if (choice.tenant !== undefined && provider !== 'onedrive') throw new UsageError(`A tenant is a Microsoft setting: it goes with OneDrive, not ${choice.provider}.`);
  // The sandbox's emulation of Google or Microsoft, for its client id, where the sandbox is offered.
  const emulation = sandbox && (provider === 'google' || provider === 'onedrive') && SANDBOX_EMULATIONS[provider].clientId === clientId ? SANDBOX_EMULATIONS[provider].at(sandbox.issuer) : null;
  return {
    provider,
    clientId,
    issuer: issuer ?? emulation?.issuer,
    scopes: choice.scopes,
    redirect: choice.redirect,
    port: choice.port,
    endpoints: emulation && !choice.endpoints?.api ? { ...choice.endpoints, api: emulation.api } : choice.endpoints,
    confidential: provider === 'box' || provider === 'google' || (provider === 'oidc' && choice.secretGiven) || undefined,
    sandbox: isSandbox || undefined,
    ...(provider === 'onedrive' ? { tenant: checkTenant(choice.tenant) } : {}),
  };
}
