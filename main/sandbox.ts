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
