// A problem, said plainly, with the one next step that fixes it.
import type { ApiError } from '../../../preload/api.js';

export interface ErrorNoticeProps {
  error: ApiError;
  /** Repeat what failed: provider unreachable, keyring locked, store unreadable. */
  onRetry?: (() => void) | undefined;
  /** Begin the link from the start: the code was rejected or the attempt expired. */
  onStartAgain?: (() => void) | undefined;
  /** Link again: the provider no longer accepts the credentials. */
  onRelink?: (() => void) | undefined;
  onDismiss?: (() => void) | undefined;
  busy?: boolean;
}

interface Advice {
  title: string;
  hint?: string;
  action: 'retry' | 'startAgain' | 'relink' | 'dismiss';
}

/** What each error means for the person and which button fixes it. */
export function adviceFor(code: ApiError['code']): Advice {
  switch (code) {
    case 'CONNECTION_FAILED':
      return { title: 'The provider could not be reached', hint: 'Check your connection, then retry. Nothing was changed.', action: 'retry' };
    case 'KEYRING_ACCESS':
      return { title: 'Your keyring is locked', hint: 'Unlock your system keyring (for example by logging in again or opening your passwords app), then retry.', action: 'retry' };
    case 'STORE_ERROR':
      return { title: 'The credentials could not be read or written', action: 'retry' };
    case 'NEEDS_RELINK':
      return { title: 'This account needs to be linked again', action: 'relink' };
    case 'INVALID_TOKEN':
      return { title: 'The code was not accepted', hint: 'Codes work once and only for a few minutes. Start the link again to get a new one.', action: 'startAgain' };
    case 'BAD_STATE':
    case 'NOT_APPROVED':
    case 'PROVIDER_ERROR':
    case 'CANCELLED':
      return { title: 'The link was not completed', action: 'startAgain' };
    default:
      return { title: 'Something went wrong', action: 'dismiss' };
  }
}

export function ErrorNotice({ error, onRetry, onStartAgain, onRelink, onDismiss, busy = false }: ErrorNoticeProps) {
  const advice = adviceFor(error.code);
  const handlers = { retry: ['Retry', onRetry], startAgain: ['Start again', onStartAgain], relink: ['Link again', onRelink], dismiss: [null, undefined] } as const;
  let [label, handler] = handlers[advice.action];
  // What failed cannot be repeated from here (a browser redirect): beginning again is the way on.
  if (!handler && advice.action !== 'dismiss' && onStartAgain) [label, handler] = handlers.startAgain;
  const button = handler && (
    <button type="button" className="primary" onClick={handler} disabled={busy}>
      {label}
    </button>
  );
  return (
    <div className="notice error" role="alert" data-code={error.code}>
      <p className="notice-title">{advice.title}</p>
      <p>{error.message}</p>
      {advice.hint && <p className="hint">{advice.hint}</p>}
      <div className="actions">
        {button}
        {onDismiss && (
          <button type="button" onClick={onDismiss} disabled={busy}>
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}
