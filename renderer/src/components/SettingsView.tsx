// The app's own settings: notifications, keep-alive, start hidden (each checkbox saves at once), and
// the programs allowed for good to get an account's tokens, each revocable.
import { useEffect, useId, useRef, useState } from 'react';
import type { ApiError, AppSettingsView, AuthtrayApi, ConsentDecisionView, SettingsUpdate } from '../../../preload/api.js';
import { useConsent } from '../consent.js';
import { formatTime } from '../format.js';
import { ErrorNotice } from './ErrorNotice.js';

export interface SettingsViewProps {
  api: Pick<AuthtrayApi, 'settings' | 'updateSettings' | 'consent' | 'revokeConsent' | 'onConsentChanged'>;
  onClose: () => void;
  /** Move the focus into the view when it opens. */
  focusOnMount?: boolean;
}

const FIELDS: { key: keyof SettingsUpdate; label: string; hint: string }[] = [
  { key: 'notifications', label: 'Notifications', hint: 'Tell me when an account needs to be linked again, the keyring is locked, or a link finished while the window was hidden.' },
  { key: 'keepAlive', label: 'Keep links alive', hint: 'Renew each link before the provider lets it lapse unused (Box after 60 days, Microsoft after 90, Google after 7 for apps in testing).' },
  { key: 'startHidden', label: 'Start in the tray at login', hint: 'When authtray starts at login, show only the tray icon, not this window.' },
];

export function SettingsView({ api, onClose, focusOnMount = false }: SettingsViewProps) {
  const id = useId();
  const [settings, setSettings] = useState<AppSettingsView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [consent, setConsent] = useConsent(api);

  useEffect(() => {
    void api.settings().then((result) => (result.ok ? setSettings(result.value) : setError(result.error)));
  }, [api]);
  useEffect(() => {
    if (focusOnMount) headingRef.current?.focus();
  }, [focusOnMount]);

  async function change(update: SettingsUpdate) {
    // The checkbox keeps its focus while saving (a disabled one would lose it): a second change waits its turn.
    if (busy) return;
    setBusy(true);
    const result = await api.updateSettings(update);
    setBusy(false);
    if (result.ok) {
      setSettings(result.value);
      setError(null);
    } else setError(result.error);
  }

  async function revoke(decision: ConsentDecisionView) {
    if (busy) return;
    setBusy(true);
    const result = await api.revokeConsent({ program: decision.program, verified: decision.verified, profile: decision.profile });
    setBusy(false);
    if (result.ok) {
      setConsent(result.value);
      setError(null);
      headingRef.current?.focus();
    } else setError(result.error);
  }

  return (
    <section className="card settings" aria-labelledby={`${id}-title`} aria-busy={busy}>
      <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        Settings
      </h2>
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      {settings &&
        FIELDS.map(({ key, label, hint }) => (
          <div className="check" key={key}>
            <input
              type="checkbox"
              id={`${id}-${key}`}
              checked={settings[key]}
              aria-describedby={`${id}-${key}-hint`}
              onChange={(event) => void change({ [key]: event.target.checked })}
            />
            <div>
              <label htmlFor={`${id}-${key}`}>{label}</label>
              <p className="hint" id={`${id}-${key}-hint`}>
                {hint}
              </p>
            </div>
          </div>
        ))}
      {consent && (
        <section aria-labelledby={`${id}-programs`}>
          <h3 id={`${id}-programs`}>Programs allowed to use your accounts</h3>
          {consent.decisions.length === 0 ? (
            <p className="hint">None. A program that asks for an account&apos;s token is asked about in this window first.</p>
          ) : (
            <ul className="decisions">
              {consent.decisions.map((d) => (
                <li key={JSON.stringify([d.program, d.verified, d.profile])}>
                  <div>
                    <span className="mono">{d.program}</span> {!d.verified && <span className="badge warn">unverified</span>}
                    <p className="hint">
                      Profile &quot;{d.profile}&quot;, allowed {formatTime(d.decidedAt)}
                    </p>
                  </div>
                  <button type="button" aria-label={`Revoke ${d.program} for profile ${d.profile}`} onClick={() => void revoke(d)}>
                    Revoke
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <div className="actions">
        <button type="button" onClick={onClose}>
          Done
        </button>
      </div>
    </section>
  );
}
