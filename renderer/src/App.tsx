// The window: every profile as a card, the link form when there is none (or "Add account"), and
// the tray's requests. All state comes from main through `api`; the window keeps none of its own
// that matters: a link in progress is shown again from main after a reload. The profiles are read
// once when the window opens (and on Retry); after that `status:changed` is their one source: a
// command answers only its own result and the window never reads the profiles again after one.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ApiError, AppInfo, AuthtrayApi, LinkRequest, ProfileView, UnlinkView } from '../../preload/api.js';
import type { CommandBuffer } from './commands.js';
import { accountTitle } from './format.js';
import { useConsent } from './consent.js';
import { ConsentPrompt } from './components/ConsentPrompt.js';
import { ErrorNotice } from './components/ErrorNotice.js';
import { LinkForm } from './components/LinkForm.js';
import { ProfileCard } from './components/ProfileCard.js';
import { SettingsView } from './components/SettingsView.js';

interface FormState {
  profile: string | null;
  initial?: Partial<LinkRequest> | undefined;
  relink?: { provider: string; needsClientSecret: boolean } | undefined;
  asked: boolean;
}

/** A free profile name for another account. */
export function suggestProfile(profiles: readonly ProfileView[]): string {
  const taken = new Set(profiles.map((p) => p.profile));
  if (!taken.has('default')) return 'default';
  for (let n = 2; ; n++) if (!taken.has(`account-${n}`)) return `account-${n}`;
}

export function App({ api, commands }: { api: AuthtrayApi; commands: CommandBuffer }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [profiles, setProfiles] = useState<ProfileView[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [form, setForm] = useState<FormState | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [unlinkAsk, setUnlinkAsk] = useState<{ profile: string; seq: number } | null>(null);
  const [loading, setLoading] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState<{ asked: boolean } | null>(null);
  const [shown, setShown] = useState<{ profile: string; seq: number } | null>(null);
  /** A link just started whose profile `status:changed` has not brought yet. */
  const [starting, setStarting] = useState<string | null>(null);
  /** The link form's last choice (provider, client id), remembered by main between runs. */
  const [lastForm, setLastForm] = useState<Partial<LinkRequest> | undefined>(undefined);
  /** What each profile was last linked with (without the secret), to fill the form when starting again. */
  const lastRequests = useRef(new Map<string, Partial<LinkRequest>>());
  /** Programs asking the app's agent for a token: the first question is shown above everything. */
  const [consent] = useConsent(api);
  const question = consent?.questions[0];

  /** Reads the app info and the profiles: when the window opens, and on Retry (which asks the keyring afresh). */
  const load = useCallback(async (retry = false) => {
    setLoading(true);
    const [infoResult, profilesResult] = await Promise.all([api.appInfo(retry ? { retry } : undefined), api.profiles()]);
    setLoading(false);
    if (infoResult.ok) setInfo(infoResult.value);
    if (profilesResult.ok) setProfiles(profilesResult.value);
    const error = !infoResult.ok ? infoResult.error : !profilesResult.ok ? profilesResult.error : null;
    setLoadError(error);
  }, [api]);

  useEffect(() => {
    void load();
    void api.settings().then((result) => result.ok && setLastForm(result.value.linkForm));
    return api.onStatusChanged(setProfiles);
  }, [api, load]);

  useEffect(() => {
    if (starting !== null && profiles?.some((p) => p.profile === starting)) setStarting(null);
  }, [profiles, starting]);

  const command = useSyncExternalStore(commands.subscribe, commands.current);
  useEffect(() => {
    if (!command.command) return;
    const c = command.command;
    if (c.command === 'link') setForm({ profile: null, asked: true });
    else if (c.command === 'settings') setSettingsOpen({ asked: true });
    else if (c.command === 'show') setShown({ profile: c.profile, seq: command.seq });
    else setUnlinkAsk({ profile: c.profile, seq: command.seq });
  }, [command]);

  async function startLink(request: LinkRequest): Promise<ApiError | null> {
    if (request.provider) lastRequests.current.set(request.profile, { provider: request.provider, clientId: request.clientId, issuer: request.issuer });
    const result = await api.startLink(request);
    if (!result.ok) return result.error;
    // The profile, now linking, arrives on status:changed.
    setStarting(request.profile);
    setForm(null);
    setNotice(null);
    return null;
  }

  /** Links a configured profile again: at once when nothing is asked, else through the form. */
  function relink(view: ProfileView) {
    if (view.needsClientSecret) setForm({ profile: view.profile, relink: { provider: view.provider, needsClientSecret: true }, asked: true });
    else void startLink({ profile: view.profile }).then((error) => error && setLoadError(error));
  }

  async function startAgain(view: ProfileView) {
    await api.cancelLink(view.profile);
    if (view.account) relink(view);
    else setForm({ profile: view.profile, initial: lastRequests.current.get(view.profile), asked: true });
  }

  function unlinked(view: ProfileView, { revoked, warning }: UnlinkView) {
    // "Revoked" only when the provider answered the revocation with success.
    setNotice(warning ? `Unlinked ${accountTitle(view)}. ${warning}` : `Unlinked ${accountTitle(view)}: ${revoked ? 'its access was revoked and ' : ''}the credentials deleted.`);
  }

  const list = profiles ?? [];
  const waitingForStart = starting !== null && !list.some((p) => p.profile === starting);
  const showForm = info !== null && profiles !== null && ((list.length === 0 && !waitingForStart) || form !== null);
  const formProfile = form?.profile ?? (list.length === 0 ? 'default' : null);
  return (
    <main className="app" aria-busy={loading}>
      <header className="app-header">
        <h1>authtray</h1>
        <p className="subtitle">Your linked cloud-storage accounts</p>
      </header>
      {question && <ConsentPrompt key={question.id} question={question} more={consent.questions.length - 1} api={api} />}
      {settingsOpen && <SettingsView api={api} focusOnMount={settingsOpen.asked} onClose={() => setSettingsOpen(null)} />}
      {loadError && <ErrorNotice error={loadError} busy={loading} onRetry={() => void load(true)} onDismiss={() => setLoadError(null)} />}
      {notice && (
        <div className="notice info" role="status">
          <p>{notice}</p>
          <div className="actions">
            <button type="button" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </div>
        </div>
      )}
      {list.map((view) => (
        <ProfileCard
          key={view.profile}
          view={view}
          api={api}
          onStartAgain={(v) => void startAgain(v)}
          onRelink={relink}
          onRetry={() => void load(true)}
          onUnlinked={unlinked}
          unlinkRequested={unlinkAsk?.profile === view.profile ? unlinkAsk.seq : 0}
          showRequested={shown?.profile === view.profile ? shown.seq : 0}
        />
      ))}
      {showForm && (
        <LinkForm
          key={`${formProfile ?? 'new'}-${form?.relink ? 'relink' : 'link'}`}
          info={info}
          profile={formProfile}
          suggestedProfile={suggestProfile(list)}
          initial={form?.initial ?? (form?.relink ? undefined : lastForm)}
          relink={form?.relink}
          focusOnMount={form?.asked ?? false}
          onSubmit={startLink}
          onCancel={list.length > 0 ? () => setForm(null) : undefined}
        />
      )}
      {!showForm && profiles !== null && list.length > 0 && (
        <div className="actions add">
          <button type="button" onClick={() => setForm({ profile: null, asked: true })}>
            Add account
          </button>
        </div>
      )}
      {profiles === null && !loadError && <p className="hint" role="status">Loading…</p>}
      {waitingForStart && !showForm && <p className="hint" role="status">Starting the link…</p>}
      {!settingsOpen && (
        <footer className="actions add">
          <button type="button" className="quiet" onClick={() => setSettingsOpen({ asked: true })}>
            Settings
          </button>
        </footer>
      )}
    </main>
  );
}
