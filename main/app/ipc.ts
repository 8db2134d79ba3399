/**
 * The IPC handlers: each checks its sender (SECURITY.md #4), parses its `unknown` payload with a
 * schema (#5), calls the app service and answers a typed result or a typed error, never a throw
 * and never a secret (#10). `createIpcHandlers` and `dispatch` have no Electron in them: the
 * browser tests' bridge serves the window through the very same code.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { z } from 'zod';
import { isProfileName } from '../store/profile-name.js';
import { PROVIDER_CHOICES } from '../model.js';
import { MAX_INPUT_LENGTH } from '../auth/flow.js';
import type { ApiError, Channel, Channels, ResponseOf, Result } from '../../preload/api.js';
import { settingsUpdateSchema } from '../settings/app-settings.js';
import { toApiError, type AppService } from './service.js';
import { isTrustedSender, type SenderInfo } from './security.js';

export type Handler<C extends Channel> = (payload: unknown) => Promise<Result<ResponseOf<C>>>;
export type Handlers = { [C in Channel]: Handler<C> };

/** Every channel, for registration and for the tests that check each one. */
export const CHANNELS = [
  'app:info',
  'profiles:list',
  'link:start',
  'link:finish',
  'link:cancel',
  'link:open',
  'link:copy',
  'account:unlink',
  'settings:get',
  'settings:set',
  'consent:list',
  'consent:answer',
  'consent:revoke',
] as const satisfies readonly Channel[];

const profile = z.string().max(64).refine(isProfileName, 'a profile name is 1-64 letters, digits, ".", "_" or "-"');
const text = (max: number) => z.string().max(max);
const none = z.null();
const profileRequest = z.strictObject({ profile });

const SCHEMAS: { [C in Channel]: z.ZodType<Channels[C]['request']> } = {
  'app:info': z.strictObject({ retry: z.boolean().optional() }).nullable(),
  'profiles:list': none,
  'link:start': z.strictObject({
    profile,
    provider: z.enum(PROVIDER_CHOICES).optional(),
    clientId: text(256).optional(),
    issuer: text(2048).optional(),
    tenant: text(256).optional(),
    clientSecret: text(1024).optional(),
  }),
  'link:finish': z.strictObject({ profile, input: text(MAX_INPUT_LENGTH * 2) }),
  'link:cancel': profileRequest,
  'link:open': profileRequest,
  'link:copy': profileRequest,
  'account:unlink': profileRequest,
  'settings:get': none,
  'settings:set': settingsUpdateSchema,
  'consent:list': none,
  'consent:answer': z.strictObject({ id: z.uuid(), answer: z.enum(['once', 'always', 'deny']) }),
  'consent:revoke': z.strictObject({ program: text(4096), verified: z.boolean(), profile }),
};

/** Names the fields that failed, never their values (one of them may be a client secret). */
function invalid(error: z.ZodError): ApiError {
  const fields = [...new Set(error.issues.map((i) => i.path.join('.') || 'request'))].join(', ');
  return { code: 'INVALID_ARGUMENT', message: `The window sent a request authtray does not understand (${fields.slice(0, 200)}). Reload the window and try again.` };
}

function handler<C extends Channel>(channel: C, run: (request: Channels[C]['request']) => Promise<ResponseOf<C>>): Handler<C> {
  const schema = SCHEMAS[channel];
  return async (payload) => {
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return { ok: false, error: invalid(parsed.error) };
    try {
      return { ok: true, value: await run(parsed.data) };
    } catch (err) {
      return { ok: false, error: toApiError(err) };
    }
  };
}

/** One handler per channel over the app service. */
export function createIpcHandlers(service: AppService): Handlers {
  return {
    'app:info': handler('app:info', (request) => service.info({ retry: request?.retry === true })),
    'profiles:list': handler('profiles:list', () => service.profiles()),
    'link:start': handler('link:start', (request) => service.startLink(request)),
    'link:finish': handler('link:finish', ({ profile, input }) => service.finishLink(profile, input)),
    'link:cancel': handler('link:cancel', ({ profile }) => service.cancelLink(profile)),
    'link:open': handler('link:open', ({ profile }) => service.openLink(profile)),
    'link:copy': handler('link:copy', ({ profile }) => service.copyLink(profile)),
    'account:unlink': handler('account:unlink', ({ profile }) => service.unlink(profile)),
    'settings:get': handler('settings:get', () => service.settings()),
    'settings:set': handler('settings:set', (update) => service.updateSettings(update)),
    'consent:list': handler('consent:list', () => service.consent()),
    'consent:answer': handler('consent:answer', (request) => service.answerConsent(request)),
    'consent:revoke': handler('consent:revoke', (decision) => service.revokeConsent(decision)),
  };
}

const FORBIDDEN: Result<never> = { ok: false, error: { code: 'FORBIDDEN', message: 'This request did not come from the authtray window and was refused.' } };

/** Runs one request: the sender first, then the handler (which parses the payload). */
export async function dispatch(handlers: Handlers, channel: string, sender: SenderInfo, payload: unknown, appUrl: string): Promise<Result<unknown>> {
  if (!isTrustedSender(sender, appUrl)) return FORBIDDEN;
  if (!(CHANNELS as readonly string[]).includes(channel)) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'Unknown request.' } };
  return handlers[channel as Channel](payload);
}

/** What Electron tells us about the sender of an invoke. */
export function senderInfoOf(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, isOurContents: (contents: WebContents) => boolean): SenderInfo {
  const frame = event.senderFrame;
  return {
    fromOurWindow: isOurContents(event.sender),
    isMainFrame: frame !== null && frame === event.sender.mainFrame,
    url: frame?.url ?? null,
  };
}

/** Registers every channel on `ipcMain`. */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle'>, handlers: Handlers, isOurContents: (contents: WebContents) => boolean, appUrl: () => string): void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, payload: unknown) => dispatch(handlers, channel, senderInfoOf(event, isOurContents), payload, appUrl()));
  }
}
