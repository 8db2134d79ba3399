/**
 * Desktop notifications, decided without Electron: a link that starts to need the person, the
 * keyring locked, a link finished in the browser while the window is hidden. Once per state change
 * (no repeats while the state lasts), none when the person turned them off. `show` is the app's
 * Electron `Notification`; a click opens the window on the notice's profile.
 */
import type { ConsentQuestionView, LinkHealth, ProfileView } from '../../preload/api.js';

export interface Notice {
  title: string;
  body: string;
  /** The account the notice is about: a click opens the window on it. */
  profile: string;
}

const PROVIDERS: Record<string, string> = { dropbox: 'Dropbox', box: 'Box', 'box-jwt': 'Box', 'box-developer-token': 'Box', oidc: 'OpenID Connect', sandbox: 'Sandbox' };

/** "Dropbox — alice@example.com": the provider and the account as the person knows it. */
export function accountLine(view: Pick<ProfileView, 'provider' | 'account' | 'profile'>): string {
  const who = view.account?.email ?? view.account?.name ?? view.account?.id ?? view.profile;
  return `${PROVIDERS[view.provider] ?? view.provider} — ${who}`;
}

/** The notice for a link that came into `health`, or null when that state is not worth a notification. */
export function healthNotice(view: ProfileView, health: LinkHealth): Notice | null {
  switch (health) {
    case 'needs-relink':
      return { title: `${accountLine(view)} needs to be linked again`, body: 'The provider no longer accepts this link. Open authtray and choose Link again.', profile: view.profile };
    case 'keyring-locked':
      return { title: 'Your keyring is locked', body: `authtray cannot read the credentials of ${accountLine(view)}. Unlock your keyring, then choose Retry in authtray.`, profile: view.profile };
    default:
      return null;
  }
}

/** A link finished in the browser while the window was hidden. */
export function linkedNotice(view: ProfileView): Notice {
  return { title: `${accountLine(view)} is linked`, body: 'authtray keeps it linked from now on.', profile: view.profile };
}

/** A program asks the app's agent for an account's token: the window shows the question. */
export function consentNotice(question: Pick<ConsentQuestionView, 'program' | 'verified' | 'profile' | 'account'>): Omit<Notice, 'profile'> {
  const program = question.verified ? question.program : `"${question.program}" (unverified)`;
  return { title: 'A program asks for your account', body: `${program} asks for a token of ${question.account ?? `profile "${question.profile}"`}. Open authtray to allow or deny it.` };
}

export interface NotifierOptions {
  show(notice: Notice): void;
  /** The person's setting, read at each notice. */
  enabled(): boolean;
}

/** Says each state change once: a state already told is not told again until it has ended. */
export class Notifier {
  readonly #options: NotifierOptions;
  /** What was last told per profile. */
  readonly #told = new Map<string, LinkHealth>();
  #keyringTold = false;

  constructor(options: NotifierOptions) {
    this.#options = options;
  }

  /** Called with every profile after each change. */
  update(views: readonly ProfileView[]): void {
    const locked = views.some((v) => v.health === 'keyring-locked');
    if (!locked) this.#keyringTold = false;
    for (const view of views) {
      const health = view.health;
      if (!health || health === 'linked' || health === 'provider-unreachable') {
        this.#told.delete(view.profile);
        continue;
      }
      if (this.#told.get(view.profile) === health) continue;
      this.#told.set(view.profile, health);
      // One keyring holds every profile: one notice for all of them.
      if (health === 'keyring-locked') {
        if (this.#keyringTold) continue;
        this.#keyringTold = true;
      }
      const notice = healthNotice(view, health);
      if (notice) this.#tell(notice);
    }
    const names = new Set(views.map((v) => v.profile));
    for (const profile of [...this.#told.keys()]) if (!names.has(profile)) this.#told.delete(profile);
  }

  /** A link finished in the browser; told only when the window was not in view. */
  linked(view: ProfileView, windowVisible: boolean): void {
    if (!windowVisible) this.#tell(linkedNotice(view));
  }

  #tell(notice: Notice): void {
    if (this.#options.enabled()) this.#options.show(notice);
  }
}
