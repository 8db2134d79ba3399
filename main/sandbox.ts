/**
 * The local sandbox provider (`npm run sandbox`, test/sandbox/): where it listens and the client it
 * registers. The command and the app both offer it; `--issuer` or AUTHTRAY_SANDBOX_ISSUER moves it.
 */
export const SANDBOX_ISSUER = 'http://127.0.0.1:7480';
export const SANDBOX_CLIENT_ID = 'authtray-sandbox';

/** The sandbox's issuer in this environment. */
export function sandboxIssuer(env: { AUTHTRAY_SANDBOX_ISSUER?: string | undefined }): string {
  return env.AUTHTRAY_SANDBOX_ISSUER ?? SANDBOX_ISSUER;
}

/**
 * The sandbox's emulations of Google and Microsoft (test/sandbox/clouds.ts, written from their
 * public documentation; not the services): when the sandbox is offered, a Google or OneDrive link
 * with one of these client ids goes to the emulation, with no registration anywhere. Neither is an
 * id Google or Microsoft could issue (theirs end in .apps.googleusercontent.com, or are GUIDs).
 */
export const SANDBOX_EMULATIONS = {
  google: { clientId: 'authtray-sandbox-google', clientSecret: 'sandbox-google-secret', at: (issuer: string) => ({ issuer: `${issuer}/google`, api: `${issuer}/google/` }) },
  onedrive: { clientId: 'authtray-sandbox-onedrive', at: (issuer: string) => ({ issuer: `${issuer}/microsoft`, api: `${issuer}/graph/` }) },
} as const;
