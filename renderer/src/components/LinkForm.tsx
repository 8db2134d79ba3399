// Not linked yet: choose the provider, give the client id (and secret where needed), Link.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ApiError, AppInfo, LinkRequest, ProviderChoice } from '../../../preload/api.js';
import { providerLabel } from '../format.js';
import { ErrorNotice, adviceFor } from './ErrorNotice.js';
import { PlaintextWarning } from './PlaintextWarning.js';

export interface LinkFormProps {
  info: AppInfo;
  /** The profile to link; null asks for a name (another account), starting from `suggestedProfile`. */
  profile: string | null;
  suggestedProfile?: string;
  initial?: Partial<LinkRequest> | undefined;
  /** Starts the link; resolves to the error to show, or null when the link started. */
  onSubmit: (request: LinkRequest) => Promise<ApiError | null>;
  onCancel?: (() => void) | undefined;
  /** Link `profile` again with its saved settings: only the client secret is asked, where needed. */
  relink?: { provider: string; needsClientSecret: boolean } | undefined;
  /** Move the focus into the form when it appears (it was asked for). */
  focusOnMount?: boolean;
}

export function LinkForm({ info, profile, suggestedProfile = 'default', initial, onSubmit, onCancel, relink, focusOnMount = false }: LinkFormProps) {
  const id = useId();
  // What each provider asks for comes from main (link-request.ts): the window keeps no rules of its own.
  const choices = info.providers.map((option) => option.choice);
  const [name, setName] = useState(profile ?? suggestedProfile);
  const [provider, setProvider] = useState<ProviderChoice>(initial?.provider && choices.includes(initial.provider) ? initial.provider : choices[0]!);
  const [clientId, setClientId] = useState(initial?.clientId ?? '');
  const [issuer, setIssuer] = useState(initial?.issuer ?? '');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [last, setLast] = useState<LinkRequest | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (focusOnMount) formRef.current?.querySelector<HTMLElement>('input, select, button')?.focus();
  }, [focusOnMount]);

  const option = info.providers.find((o) => o.choice === provider) ?? info.providers[0]!;

  async function submit(request: LinkRequest) {
    setBusy(true);
    setError(null);
    setLast(request);
    const result = await onSubmit(request);
    setBusy(false);
    setError(result);
  }

  function onFormSubmit(event: FormEvent) {
    event.preventDefault();
    if (relink && profile) {
      void submit({ profile, clientSecret: secret || undefined });
      return;
    }
    void submit({
      profile: profile ?? name.trim(),
      provider,
      clientId: clientId.trim() || undefined,
      issuer: option.issuer ? issuer.trim() : undefined,
      clientSecret: option.clientSecret !== 'none' && secret ? secret : undefined,
    });
  }

  const secretShown = relink ? relink.needsClientSecret : option.clientSecret !== 'none';
  const secretRequired = relink ? relink.needsClientSecret : option.clientSecret === 'required';
  const retryable = error !== null && adviceFor(error.code).action === 'retry';
  return (
    <form className="card link-form" ref={formRef} onSubmit={onFormSubmit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{relink ? `Link ${profile} again` : profile && profile !== 'default' ? `Link ${profile}` : 'Link an account'}</h2>
      {relink && <p>authtray uses the settings this profile was linked with ({providerLabel(relink.provider)}).</p>}
      {profile === null && (
        <div className="field">
          <label htmlFor={`${id}-profile`}>Profile name</label>
          <input id={`${id}-profile`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" aria-describedby={`${id}-profile-hint`} />
          <p className="hint" id={`${id}-profile-hint`}>
            A short name for this link, such as work or personal.
          </p>
        </div>
      )}
      {!relink && (
        <>
      <div className="field">
        <label htmlFor={`${id}-provider`}>Provider</label>
        <select id={`${id}-provider`} value={provider} onChange={(e) => setProvider(e.target.value as ProviderChoice)}>
          {choices.map((choice) => (
            <option key={choice} value={choice}>
              {providerLabel(choice)}
            </option>
          ))}
        </select>
      </div>
      {option.issuer && (
        <div className="field">
          <label htmlFor={`${id}-issuer`}>Issuer URL</label>
          <input id={`${id}-issuer`} type="url" value={issuer} onChange={(e) => setIssuer(e.target.value)} required placeholder="https://accounts.example.com" />
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-client`}>{option.clientIdLabel}</label>
        <input
          id={`${id}-client`}
          value={clientId}
          onChange={(e) => setClientId(e.target.value)}
          required={option.defaultClientId === null}
          placeholder={option.defaultClientId ?? undefined}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={`${id}-client-hint`}
        />
        <p className="hint" id={`${id}-client-hint`}>
          {option.clientIdHint}
        </p>
      </div>
        </>
      )}
      {secretShown && (
        <div className="field">
          <label htmlFor={`${id}-secret`}>Client secret{secretRequired ? '' : ' (confidential clients only)'}</label>
          <input
            id={`${id}-secret`}
            type="password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            required={secretRequired}
            autoComplete="off"
            aria-describedby={`${id}-secret-hint`}
          />
          <p className="hint" id={`${id}-secret-hint`}>
            Kept with the credentials, never in the settings file.
          </p>
        </div>
      )}
      {info.newLinkStore && !info.newLinkStore.secure && <PlaintextWarning backend={info.newLinkStore.backend} location={info.newLinkStore.location} future />}
      {error &&
        (retryable ? (
          <ErrorNotice error={error} busy={busy} onRetry={() => last && void submit(last)} onDismiss={() => setError(null)} />
        ) : (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        ))}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Starting…' : relink ? 'Link again' : 'Link'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
