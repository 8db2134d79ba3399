/**
 * What a person asked for when they link (the command's flags, the window's form) → the profile's
 * settings; which providers they can choose and what each asks for; whether a client secret is
 * needed; how a provider is named. The one place for these rules: the command, the app and the
 * window (through the provider options the app sends it) all follow it.
 */
import { UsageError } from './errors.js';
import { PROVIDER_CHOICES, type EndpointOverrides, type ProfileSettings, type ProviderChoice, type ProviderOption, type RedirectMode } from './model.js';
import { SANDBOX_CLIENT_ID } from './sandbox.js';

export { PROVIDER_CHOICES, type ProviderChoice, type ProviderOption } from './model.js';

const OPTIONS: Record<ProviderChoice, ProviderOption> = {
  dropbox: { choice: 'dropbox', clientSecret: 'none', issuer: false, clientIdLabel: 'App key', clientIdHint: 'The app key of your app in the Dropbox App Console.', defaultClientId: null },
  box: { choice: 'box', clientSecret: 'required', issuer: false, clientIdLabel: 'Client id', clientIdHint: 'The client id of your Custom App in the Box Developer Console.', defaultClientId: null },
  oidc: { choice: 'oidc', clientSecret: 'optional', issuer: true, clientIdLabel: 'Client id', clientIdHint: 'The client id of the native app you registered with your provider.', defaultClientId: null },
  sandbox: {
    choice: 'sandbox',
    // The form offers the sandbox's public client, which needs no secret.
    clientSecret: 'none',
    issuer: false,
    clientIdLabel: 'Client id',
    clientIdHint: `The sandbox knows ${SANDBOX_CLIENT_ID}; start it with npm run sandbox.`,
    defaultClientId: SANDBOX_CLIENT_ID,
  },
};

/** The providers offered, in the order shown; the sandbox first when it is offered (run from source). */
export function providerOptions(sandbox: boolean): ProviderOption[] {
  return (sandbox ? (['sandbox', 'dropbox', 'box', 'oidc'] as const) : (['dropbox', 'box', 'oidc'] as const)).map((choice) => OPTIONS[choice]);
}

/** True for a provider a person can pick for a browser link. */
export function isProviderChoice(value: string | undefined): value is ProviderChoice {
  return (PROVIDER_CHOICES as readonly (string | undefined)[]).includes(value);
}

/** What the form for `choice` asks for. */
export function providerOption(choice: ProviderChoice): ProviderOption {
  return OPTIONS[choice];
}

/** True when linking with these settings needs the client's secret (Box always, confidential clients). */
export function needsClientSecret(settings: Pick<ProfileSettings, 'provider' | 'confidential'> | null | undefined): boolean {
  return settings?.provider === 'box' || settings?.provider === 'box-jwt' || settings?.confidential === true;
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
  return {
    provider,
    clientId,
    issuer,
    scopes: choice.scopes,
    redirect: choice.redirect,
    port: choice.port,
    endpoints: choice.endpoints,
    confidential: provider === 'box' || (provider === 'oidc' && choice.secretGiven) || undefined,
    sandbox: isSandbox || undefined,
  };
}
