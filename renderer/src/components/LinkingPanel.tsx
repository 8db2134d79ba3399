// Linking: the authorization URL (open or copy), the code box, and the wait for the browser.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ApiError, PendingLinkView } from '../../../preload/api.js';
import { formatTime, providerShort } from '../format.js';
import { ErrorNotice, adviceFor } from './ErrorNotice.js';

export interface LinkingPanelProps {
  pending: PendingLinkView;
  /** Each resolves to the error to show, or null. */
  onOpen: () => Promise<ApiError | null>;
  onCopy: () => Promise<ApiError | null>;
  onFinish: (input: string) => Promise<ApiError | null>;
  onCancel: () => Promise<ApiError | null>;
  /** The code was rejected or the attempt ended: begin again. */
  onStartAgain: () => void;
  /** A failure of the browser's redirect, reported by main. */
  error?: ApiError | null;
}

export function LinkingPanel({ pending, onOpen, onCopy, onFinish, onCancel, onStartAgain, error: reported = null }: LinkingPanelProps) {
  const id = useId();
  const [input, setInput] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [copied, setCopied] = useState(false);
  const openRef = useRef<HTMLButtonElement>(null);
  const [lastInput, setLastInput] = useState('');

  useEffect(() => openRef.current?.focus(), []);

  async function run(action: () => Promise<ApiError | null>) {
    setBusy(true);
    setError(null);
    const result = await action();
    setBusy(false);
    setError(result);
    return result;
  }

  function finish(text: string) {
    setLastInput(text);
    void run(() => onFinish(text));
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    finish(input);
  }

  const shown = error ?? reported;
  const codeOnly = pending.mode === 'paste' && pending.redirectUri === null;
  const inline = shown && ['BAD_REQUEST', 'CSRF', 'USAGE', 'INVALID_ARGUMENT'].includes(shown.code);
  return (
    <div className="linking" role="group" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Approve authtray in your browser</h3>
      <p>
        Open this address, sign in at {providerShort(pending.provider)} and allow access.
        {pending.waiting ? ' authtray finishes by itself when the browser comes back.' : ''}
      </p>
      <div className="field">
        <label htmlFor={`${id}-url`}>Authorization address</label>
        <input id={`${id}-url`} className="url" readOnly value={pending.url} onFocus={(e) => e.target.select()} />
      </div>
      <div className="actions">
        <button type="button" className="primary" ref={openRef} disabled={busy} onClick={() => void run(onOpen)}>
          Open in browser
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void run(onCopy).then((failed) => {
              setCopied(!failed);
            })
          }
        >
          Copy
        </button>
        <span className="status-text" role="status">
          {copied ? 'Address copied.' : ''}
        </span>
      </div>
      {pending.waiting ? (
        <div className="waiting" role="status">
          <span className="spinner" aria-hidden="true" />
          <span>Waiting for your browser to come back…</span>
        </div>
      ) : (
        pending.mode === 'loopback' && <p className="hint">authtray is no longer listening for the browser: paste the address it shows below.</p>
      )}
      <form className="code-form" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor={`${id}-code`}>{codeOnly ? 'Code from the provider' : 'Code or address from the browser'}</label>
          <input
            id={`${id}-code`}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            maxLength={8192}
            aria-describedby={`${id}-code-hint`}
            aria-invalid={inline ? true : undefined}
          />
          <p className="hint" id={`${id}-code-hint`}>
            {codeOnly
              ? 'After you allow access, the provider shows a code: paste it here.'
              : 'If the browser cannot come back to authtray, paste the code, or the whole address from its address bar (it may say the page cannot be reached).'}
          </p>
        </div>
        {shown &&
          (inline ? (
            <p className="field-error" role="alert">
              {shown.message}
            </p>
          ) : (
            <ErrorNotice
              error={shown}
              busy={busy}
              onRetry={error && lastInput ? () => finish(lastInput) : undefined}
              onStartAgain={onStartAgain}
              onDismiss={adviceFor(shown.code).action === 'dismiss' ? () => setError(null) : undefined}
            />
          ))}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || input.trim() === ''}>
            {busy ? 'Finishing…' : 'Finish'}
          </button>
          <button type="button" disabled={busy} onClick={() => void run(onCancel)}>
            Cancel
          </button>
        </div>
      </form>
      <p className="hint">This link attempt is open until {formatTime(pending.expiresAt)}.</p>
    </div>
  );
}
