// One profile: linked, linking, needing a relink, or in trouble; each with its next step.
import { useEffect, useRef, type ReactNode } from 'react';
import type { ApiError, AuthtrayApi, ProfileView, UnlinkView } from '../../../preload/api.js';
import { accountTitle, providerLabel } from '../format.js';
import { AccountDetails } from './AccountDetails.js';
import { ErrorNotice } from './ErrorNotice.js';
import { LinkingPanel } from './LinkingPanel.js';

export interface ProfileCardProps {
  view: ProfileView;
  api: AuthtrayApi;
  /** The code was rejected or the attempt ended: cancel and begin again. */
  onStartAgain: (view: ProfileView) => void;
  /** Link this profile again with its saved settings. */
  onRelink: (view: ProfileView) => void;
  /** Read the profiles again (after unlocking the keyring, say). */
  onRetry: () => void;
  onUnlinked: (view: ProfileView, result: UnlinkView) => void;
  /** Bumped when the tray asks to unlink this profile. */
  unlinkRequested?: number;
  /** Bumped when a notification or the tray opens the window on this profile. */
  showRequested?: number;
}

const errorOf = <T,>(result: { ok: true; value: T } | { ok: false; error: ApiError }) => (result.ok ? null : result.error);

/** A problem whose one way out is linking the account again. */
function RelinkNotice({ tone, title, children, onRelink }: { tone: 'error' | 'warn'; title: string; children: ReactNode; onRelink: () => void }) {
  return (
    <div className={`notice ${tone}`} role={tone === 'error' ? 'alert' : 'note'}>
      <p className="notice-title">{title}</p>
      <p>{children}</p>
      <div className="actions">
        <button type="button" className="primary" onClick={onRelink}>
          Link again
        </button>
      </div>
    </div>
  );
}

function badge(view: ProfileView): { text: string; tone: string } {
  if (view.pending) return { text: 'Linking', tone: 'info' };
  if (view.health === 'keyring-locked') return { text: 'Keyring locked', tone: 'bad' };
  if (view.health === 'store-unreachable') return { text: 'Store unreachable', tone: 'bad' };
  if (view.health === 'provider-unreachable') return { text: 'Provider unreachable', tone: 'warn' };
  if (view.error) return { text: 'Needs attention', tone: 'bad' };
  if (view.needsRelink) return { text: 'Needs relink', tone: 'bad' };
  if (view.linked) return { text: 'Linked', tone: 'good' };
  return { text: 'Not linked', tone: 'muted' };
}

export function ProfileCard({ view, api, onStartAgain, onRelink, onRetry, onUnlinked, unlinkRequested = 0, showRequested = 0 }: ProfileCardProps) {
  const state = badge(view);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!showRequested) return;
    headingRef.current?.scrollIntoView?.({ block: 'start' });
    headingRef.current?.focus();
  }, [showRequested]);
  const titleId = `profile-${view.profile}-title`;
  const unlink = async () => {
    const result = await api.unlink(view.profile);
    if (result.ok) onUnlinked(view, result.value);
    return errorOf(result);
  };
  let body;
  if (view.pending) {
    const profile = view.profile;
    body = (
      <LinkingPanel
        pending={view.pending}
        error={view.error}
        onOpen={async () => errorOf(await api.openLink(profile))}
        onCopy={async () => errorOf(await api.copyLink(profile))}
        onFinish={async (input) => errorOf(await api.finishLink({ profile, input }))}
        onCancel={async () => errorOf(await api.cancelLink(profile))}
        onStartAgain={() => onStartAgain(view)}
      />
    );
  } else if (view.error) {
    body = <ErrorNotice error={view.error} onRetry={onRetry} onStartAgain={() => onStartAgain(view)} onRelink={() => onRelink(view)} />;
  } else if (view.needsRelink) {
    body = (
      <>
        <RelinkNotice tone="error" title="This account needs to be linked again" onRelink={() => onRelink(view)}>
          {providerLabel(view.provider)} no longer accepts authtray’s access (it was revoked, or it expired). Link it again to keep using it.
        </RelinkNotice>
        <AccountDetails view={view} onUnlink={unlink} confirmRequested={unlinkRequested} />
      </>
    );
  } else if (view.linked && view.health === 'provider-unreachable') {
    body = (
      <>
        <div className="notice warn" role="note">
          <p className="notice-title">{providerLabel(view.provider)} could not be reached</p>
          <p>authtray got no answer when it checked this link, after several tries. It checks again on its own, and when your computer wakes; if this stays, check your connection.</p>
        </div>
        <AccountDetails view={view} onUnlink={unlink} confirmRequested={unlinkRequested} />
      </>
    );
  } else if (view.linked) {
    body = <AccountDetails view={view} onUnlink={unlink} confirmRequested={unlinkRequested} />;
  } else {
    body = (
      <RelinkNotice tone="warn" title="The credentials of this account are missing" onRelink={() => onRelink(view)}>
        They were removed from the store outside authtray. Link the account again to use it.
      </RelinkNotice>
    );
  }
  return (
    <article className="card profile" aria-labelledby={titleId}>
      <header className="profile-header">
        <div>
          <h2 id={titleId} ref={headingRef} tabIndex={-1}>{view.account ? accountTitle(view) : `New account: ${view.profile}`}</h2>
          <p className="subtitle">
            {providerLabel(view.provider)} · profile {view.profile}
          </p>
        </div>
        <span className={`badge ${state.tone}`}>{state.text}</span>
      </header>
      {body}
    </article>
  );
}
