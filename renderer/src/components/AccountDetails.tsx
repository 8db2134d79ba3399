// Linked: who, which provider, where the credentials are, the token, and Unlink with a confirmation.
import { useEffect, useId, useRef, useState } from 'react';
import type { ApiError, ProfileView } from '../../../preload/api.js';
import { accountTitle, providerLabel, providerShort, storeLabel, tokenDescription } from '../format.js';
import { ErrorNotice } from './ErrorNotice.js';
import { PlaintextWarning } from './PlaintextWarning.js';

export interface AccountDetailsProps {
  view: ProfileView;
  /** Resolves to the error to show, or null when unlinked. */
  onUnlink: () => Promise<ApiError | null>;
  /** The tray asked to unlink this profile: open the confirmation at once. */
  confirmRequested?: number;
}

export function AccountDetails({ view, onUnlink, confirmRequested = 0 }: AccountDetailsProps) {
  const id = useId();
  const [confirming, setConfirming] = useState(confirmRequested > 0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const unlinkRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirmRequested > 0) setConfirming(true);
  }, [confirmRequested]);
  const asked = useRef(false);
  useEffect(() => {
    // Focus follows the question: onto Unlink when asked, back to "Unlink…" when the answer is no.
    if (confirming) confirmRef.current?.focus();
    else if (asked.current) unlinkRef.current?.focus();
    asked.current = confirming;
  }, [confirming]);

  async function unlink() {
    setBusy(true);
    setError(null);
    const result = await onUnlink();
    setBusy(false);
    setError(result);
    if (result) setConfirming(false);
  }

  const keep = () => setConfirming(false);

  const { account, store, token } = view;
  return (
    <div className="details">
      <dl>
        <dt>Name</dt>
        <dd>{account?.name ?? '—'}</dd>
        <dt>Email</dt>
        <dd>{account?.email ?? '—'}</dd>
        <dt>Account id</dt>
        <dd className="mono">{account?.id ?? '—'}</dd>
        <dt>Provider</dt>
        <dd>{providerLabel(view.provider)}</dd>
        {account?.drive && (
          <>
            <dt>Drive</dt>
            <dd>
              {account.drive.type ?? 'drive'} <span className="mono">{account.drive.id}</span>
              {account.drive.owner ? ` of ${account.drive.owner}` : ''}
            </dd>
          </>
        )}
        <dt>Stored in</dt>
        <dd>{store ? storeLabel(store) : '—'}</dd>
        <dt>Token</dt>
        <dd>{token ? tokenDescription(token) : '—'}</dd>
      </dl>
      {store && !store.secure && <PlaintextWarning backend={store.backend} location={store.location} />}
      {error && <ErrorNotice error={error} busy={busy} onRetry={() => void unlink()} onDismiss={() => setError(null)} />}
      {confirming ? (
        <div className="confirm" role="group" aria-labelledby={`${id}-confirm`}>
          <p id={`${id}-confirm`}>
            {view.unlinkRevokes
              ? `Unlink ${accountTitle(view)}? authtray revokes its access at ${providerShort(view.provider)} and deletes the credentials from this computer.`
              : `Unlink ${accountTitle(view)}? authtray deletes the credentials from this computer. ${providerShort(view.provider)} offers apps no way to revoke their access: authtray says where to remove it.`}
          </p>
          <div className="actions">
            <button type="button" className="danger" ref={confirmRef} onClick={() => void unlink()} disabled={busy}>
              {busy ? 'Unlinking…' : 'Unlink'}
            </button>
            <button type="button" onClick={keep} disabled={busy}>
              Keep linked
            </button>
          </div>
        </div>
      ) : (
        <div className="actions">
          <button type="button" ref={unlinkRef} onClick={() => setConfirming(true)}>
            Unlink…
          </button>
        </div>
      )}
    </div>
  );
}
